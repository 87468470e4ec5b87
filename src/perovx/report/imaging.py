"""Imaging section of ``perovx demo``: one phantom, three detectors, equal dose."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from perovx.design.compare import image_quality_summary
from perovx.errors import PerovxError
from perovx.readout.modes import PixelArray
from perovx.readout.panel import Panel
from perovx.readout.simulate import (
    BeamConfig,
    DetectorConfig,
    ImagingSystem,
    ObjectConfig,
    SimulateConfig,
    SimulationConfig,
    build_system,
    simulate,
)

__all__ = ["DEMO_DETECTORS", "DEMO_EDGE_DOSE_FACTOR", "DEMO_RANGE_FACTOR", "imaging_demo_section"]



def _demo_config(material: str, *, thickness_m: float, bias_V: float, phantom: str,
                 overrides: Mapping[str, Any], kernels: str, shape: int,
                 seed: int) -> SimulateConfig:
    detector = DetectorConfig(material=material, thickness_m=thickness_m, bias_V=bias_V,
                              **overrides)
    panel = Panel(pixel_pitch_m=100e-6, rows=shape, columns=shape, integration_time_s=0.1,
                  electronic_noise_e=1500.0, adc_bits=16, full_scale_charge_C=20e-12,
                  gain_nonuniformity=0.03, dead_pixel_fraction=1e-4)
    options: dict[str, Any] = {"angle_deg": 3.0, "material": "W", "thickness_m": 1e-3} \
        if phantom == "edge" else {}
    return SimulateConfig(
        detector=detector, panel=panel, beam=BeamConfig("RQA5", 1.5),
        mode=PixelArray(air_kerma_Gy=2.5e-6), image_shape=(shape, shape),
        object=ObjectConfig(phantom=phantom, options=options),
        simulation=SimulationConfig(seed=seed, kernels=kernels, histories=50_000,
                                    energy_groups=6),
        title=f"{material} demo",
    )


#: Detectors of the demo comparison: label → (material, thickness m, bias V, overrides).
#: MAPbI3 has no mu-tau or resistivity in the database: the values are those reported for
#: sintered MAPbI3 wafers (S. Shrestha et al., Nat. Photon. 11, 436 (2017): μτ ≈ 2 × 10⁻⁴
#: cm² V⁻¹) and the 10⁷–10⁸ Ω cm typical of MAPbI3 crystals; its bias is kept low
#: (20 V mm⁻¹) because of its dark current. a-Se (0.5 mm at 10 V µm⁻¹, holes to the
#: pixels) has blocking contacts whose dark current (~10 pA cm⁻² at 10 V µm⁻¹, S. O. Kasap
#: and J. A. Rowlands, Proc. IEEE 90, 591 (2002)) replaces a resistivity.
DEMO_DETECTORS: dict[str, tuple[str, float, float, dict[str, Any]]] = {
    "MA3Bi2I9 (pressed)": ("MA3Bi2I9-PC-78", 1.0e-3, -200.0, {"process": "pressing"}),
    "MAPbI3 (wafer)": ("MAPbI3-PC-94", 1.0e-3, -20.0, {
        "process": "pressing", "mu_tau_e_m2_per_V": 2e-8, "mu_tau_h_m2_per_V": 2e-8,
        "resistivity_ohm_m": 1e6}),
    "a-Se (reference)": ("a-Se", 0.5e-3, 5000.0, {"dark_current_density_A_m2": 1e-7}),
}

#: Demo panels: the ADC range is this many times the open-field charge (dark + signal).
DEMO_RANGE_FACTOR = 3.0
#: The demo's edge images (MTF) are taken at this multiple of the hand's dose.
DEMO_EDGE_DOSE_FACTOR = 10.0


def imaging_demo_section(
    outdir: str | Path,
    *,
    shape: int = 256,
    kernels: str = "monte_carlo",
    seed: int = 0,
) -> dict[str, Any]:
    """Image section of ``perovx demo``: the same phantoms by three detectors at equal dose.

    A hand and a slanted W edge (RQA5, 2.5 µGy at the detector, 100 µm pixels) imaged by a
    pressed MA3Bi2I9 panel, a MAPbI3 wafer panel and an a-Se reference
    (:data:`DEMO_DETECTORS`), each panel's ADC range set to :data:`DEMO_RANGE_FACTOR`
    times its open-field charge, the edges taken at :data:`DEMO_EDGE_DOSE_FACTOR` times
    the dose. Writes one PNG of the hands side by side and one of their MTFs (slanted-edge
    analysis by :func:`perovx.metrics.mtf.slanted_edge_mtf`) and returns the figures per
    detector.

    Parameters
    ----------
    outdir
        Directory for the PNG files (created).
    shape
        Panel size, pixels per side.
    kernels
        ``"monte_carlo"`` or ``"local"``.
    seed
        Seed of every draw.

    Returns
    -------
    dict
        ``{"figures": {...paths}, "detectors": {label: {...}}}`` with sensitivity, MTF at
        1 and 2 lp/mm, the frequency where MTF = 0.2, the DQE at 0, 1 and 2 lp/mm and the
        d′ of a 0.5 mm, 2 % disc (NPW and NPWE observers) from the cascaded-systems model
        (figures that blur cannot raise, unlike a per-pixel SNR) and the image's entrance
        air kerma.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from perovx.metrics.mtf import slanted_edge_mtf

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    fig, axes = plt.subplots(1, len(DEMO_DETECTORS), figsize=(4.2 * len(DEMO_DETECTORS), 4.6))
    fig_m, ax_m = plt.subplots(figsize=(5.5, 4.0))
    for ax, (label, (material, thickness, bias, extra)) in zip(
            np.atleast_1d(axes), DEMO_DETECTORS.items(), strict=True):
        hand_cfg = _demo_config(material, thickness_m=thickness, bias_V=bias, phantom="hand",
                                overrides=extra, kernels=kernels, shape=shape, seed=seed)
        # size the ADC range to the detector: DEMO_RANGE_FACTOR × (dark + open-field signal)

        system = build_system(hand_cfg)
        panel = hand_cfg.panel
        assert isinstance(hand_cfg.mode, PixelArray)
        dose = hand_cfg.mode.air_kerma_Gy

        def full_scale_for(kerma: float, system: ImagingSystem = system,
                           panel: Panel = panel) -> float:
            charge = (system.sensitivity_C_per_Gy_m2() * kerma
                      + system.imager.dark_current_density_A_m2 * panel.integration_time_s
                      ) * panel.pixel_area_m2
            return float(f"{DEMO_RANGE_FACTOR * charge:.2g}")

        full_scale = full_scale_for(dose)
        hand_cfg = replace(hand_cfg, panel=replace(panel, full_scale_charge_C=full_scale))
        hand = simulate(hand_cfg, write=False)
        # the edge at ten times the dose, as MTF measurements are made (low noise)
        edge_cfg = replace(
            hand_cfg,
            panel=replace(panel, full_scale_charge_C=full_scale_for(DEMO_EDGE_DOSE_FACTOR * dose)),
            mode=PixelArray(air_kerma_Gy=DEMO_EDGE_DOSE_FACTOR * dose),
            object=ObjectConfig(phantom="edge", options={"angle_deg": 3.0, "material": "W",
                                                         "thickness_m": 1e-3}))
        edge = simulate(edge_cfg, write=False)
        summary = json.loads(hand.attrs["summary_json"])
        iq = image_quality_summary(hand_cfg)
        entry: dict[str, Any] = {
            "material": material,
            "thickness_mm": thickness * 1e3,
            "bias_V": bias,
            "full_scale_charge_pC": full_scale * 1e12,
            "electrons_per_dn": 1.0 / hand_cfg.panel.dn_per_electron,
            "dark_charge_per_frame_e": summary["acquisition"]["dark_charge_per_read_e"],
            "sensitivity_uC_per_Gy_cm2": hand.attrs["sensitivity_uC_per_Gy_cm2"],
            "dqe_at_0_lp_per_mm": iq["dqe_at_0_lp_per_mm"],
            "dqe_at_1_lp_per_mm": iq["dqe_at_1_lp_per_mm"],
            "dqe_at_2_lp_per_mm": iq["dqe_at_2_lp_per_mm"],
            "d_prime_npwe_0.5mm_2pct": iq["d_prime_npwe_0.5mm_2pct"],
            "d_prime_npw_0.5mm_2pct": iq["d_prime_npw_0.5mm_2pct"],
            "entrance_air_kerma_uGy": hand.attrs["entrance_air_kerma_uGy"],
            "saturated_fraction": hand.attrs["saturated_fraction"],
        }
        try:
            mtf = slanted_edge_mtf(edge.values, pixel_pitch_m=panel.pixel_pitch_m)
        except PerovxError as exc:
            entry["mtf_note"] = f"no MTF: {exc}"
            mtf = None
        if mtf is not None:
            f_lp_mm = mtf.frequency_per_m * 1e-3
            below = np.flatnonzero(mtf.mtf < 0.2)
            entry["mtf_at_1_lp_per_mm"] = float(np.interp(1.0, f_lp_mm, mtf.mtf))
            entry["mtf_at_2_lp_per_mm"] = float(np.interp(2.0, f_lp_mm, mtf.mtf))
            entry["frequency_at_mtf_0.2_lp_per_mm"] = float(f_lp_mm[below[0]]) \
                if below.size else None
            keep = f_lp_mm <= 0.5e-3 / panel.pixel_pitch_m
            ax_m.plot(f_lp_mm[keep], mtf.mtf[keep], label=label)
        results[label] = entry
        lo, hi = np.percentile(hand.values, [0.5, 99.5])
        ax.imshow(hand.values, cmap="gray", vmin=lo, vmax=hi,
                  extent=(0, float(hand.x[-1] + hand.x[0]), float(hand.y[-1] + hand.y[0]), 0))
        mtf2 = entry.get("mtf_at_2_lp_per_mm")
        ax.set_title(f"{label}\nDQE(1 lp/mm) {iq['dqe_at_1_lp_per_mm']:.2f}, "
                     f"d′ {iq['d_prime_npwe_0.5mm_2pct']:.1f}, MTF(2 lp/mm) "
                     + (f"{mtf2:.2f}" if mtf2 is not None else "n/a"), fontsize=9)
        ax.set_xlabel("x (mm)")
        ax.set_ylabel("y (mm)")
    fig.suptitle("Hand phantom, RQA5, 2.5 µGy at the detector, 100 µm pixels, equal dose")
    fig.tight_layout()
    hands = out / "imaging_hands.png"
    fig.savefig(hands, dpi=110)
    ax_m.set_xlabel("spatial frequency (lp/mm)")
    ax_m.set_ylabel("presampled MTF (1)")
    ax_m.set_ylim(0, 1.05)
    ax_m.legend()
    ax_m.grid(alpha=0.3)
    fig_m.tight_layout()
    mtf_png = out / "imaging_mtf.png"
    fig_m.savefig(mtf_png, dpi=110)
    plt.close(fig)
    plt.close(fig_m)
    return {"figures": {"hands": str(hands), "mtf": str(mtf_png)}, "detectors": results,
            "kernels": kernels}
