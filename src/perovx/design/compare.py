"""Several detectors side by side on one phantom, beam and dose.

Each detector images the same phantom at the same air kerma through the whole
``perovx simulate`` chain; the images are shown in one window (each divided by its own
open-field signal, so grey levels are transmissions; a layer whose dark current drifts
by ion migration is held under bias for :data:`SETTLE_TIME_CONSTANTS` drift time constants
before its offset calibration, so that no residual dark charge lifts its image). Beside
them, the cascaded-systems model (:mod:`perovx.design.csa`; for a scintillator panel
:mod:`perovx.design.indirect`) gives each detector's MTF, NPS and DQE, and the table
ranks them by figures that cannot reward blur: the DQE at named frequencies and the
detectability index d′ of contrast-detail tasks for the NPW and NPWE model observers
(:mod:`perovx.design.observer`). An "SNR per pixel" is not among them: smoothing the
noise away raises it while the detail is lost with the noise.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from perovx.design.csa import CSAResult, Design, csa_model
from perovx.design.observer import DEFAULT_TASKS, Task, detectability
from perovx.errors import FileFormatError, InputError

__all__ = ["DQE_FREQUENCIES_LP_PER_MM", "Comparison", "compare", "design_from_config",
           "figures_of_merit", "image_quality_summary", "indirect_design_from_config",
           "parse_detector"]

#: Frequencies of the DQE columns, lp/mm.
DQE_FREQUENCIES_LP_PER_MM = (0.0, 0.5, 1.0, 2.0)
#: Default field for a detector given without a bias, V/m (1 V/µm).
DEFAULT_FIELD_V_PER_M = 1e6
#: The panel's ADC range is this many times the open-field charge (dark + signal).
RANGE_FACTOR = 3.0
#: Before its dark and flat calibration frames, a layer whose dark current drifts by ion
#: migration is held under bias for this many drift time constants (the dark current is
#: then within e⁻¹⁰ ≈ 5·10⁻⁵ of its settled value), as a panel is conditioned before its
#: offset calibration. Without it the offset is taken on a lower dark current than the
#: image's and the residual dark charge compresses every transmission towards 1.
SETTLE_TIME_CONSTANTS = 10.0


def parse_detector(spec: str, *, pitch_m: float, beam: str, field_V_per_m: float =
                   DEFAULT_FIELD_V_PER_M, **design: Any) -> tuple[str, Design]:
    """A detector of ``perovx compare``: ``MATERIAL:THICKNESS[:BIAS]`` or a TOML file.

    Without a bias the field is ``field_V_per_m`` with the polarity that sends the carrier
    of larger μτ to the pixels. A ``perovx simulate`` TOML file gives the layer, its
    overrides and the panel (pitch, fill factor, noise, timing, lag); the phantom, beam
    and dose of the comparison replace its own.

    Returns
    -------
    (label, Design)
    """
    from perovx.units import parse_quantity

    if spec.lower().endswith(".toml"):
        return _from_toml(Path(spec), beam=beam, **design)
    indirect = _indirect_spec(spec, pitch_m=pitch_m, beam=beam, **design)
    if indirect is not None:
        return indirect
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise InputError(
            f"detector {spec!r}: use MATERIAL:THICKNESS[:BIAS] (a-Se:1mm, CZT:1mm:-1000V) or a "
            "perovx simulate TOML file")
    material = parts[0]
    thickness = parse_quantity(parts[1], "m", name=f"detector {spec!r} thickness", minimum=0,
                               allow_zero=False)
    if len(parts) == 3:
        bias = parse_quantity(parts[2], "V", name=f"detector {spec!r} bias")
        if bias == 0:
            raise InputError(f"detector {spec!r}: bias must be non-zero (its sign picks the "
                             "carrier the pixels collect)")
    else:
        from perovx.materials import get_material

        mat = get_material(material)
        e = design.get("mu_tau_e_m2_per_V") or (mat.mu_tau_e_m2_per_V.value
                                                if mat.mu_tau_e_m2_per_V else 0.0)
        h = design.get("mu_tau_h_m2_per_V") or (mat.mu_tau_h_m2_per_V.value
                                                if mat.mu_tau_h_m2_per_V else 0.0)
        sign = 1.0 if h >= e else -1.0  # > 0: holes to the pixels
        bias = sign * field_V_per_m * thickness
    label = f"{material} {thickness * 1e3:g} mm"
    return label, Design(material=material, thickness_m=thickness, bias_V=bias,
                         pitch_m=pitch_m, beam=beam, **design)


def _from_toml(path: Path, *, beam: str, **design: Any) -> tuple[str, Any]:
    from perovx.readout.simulate import load_config

    cfg = load_config(path)
    if getattr(cfg.detector, "kind", "direct") == "indirect":
        return cfg.title or path.stem, indirect_design_from_config(cfg, beam=beam)
    return cfg.title or path.stem, design_from_config(cfg, beam=beam, **design)


# --- indirect (scintillator) detectors: perovx.design.indirect ---
def _indirect_spec(spec: str, *, pitch_m: float, beam: str, **design: Any
                   ) -> tuple[str, Any] | None:
    """``SCINTILLATOR:THICKNESS`` (``CsI:Tl:600um``, ``Gd2O2S:Tb:200um``), else None."""
    from perovx.design.indirect import IndirectDesign
    from perovx.transport.scintillator import SCINTILLATORS
    from perovx.units import parse_quantity

    name = next((n for n in SCINTILLATORS if spec.startswith(n + ":")), None)
    if name is None:
        return None
    rest = spec[len(name) + 1:]
    thickness = parse_quantity(rest, "m", name=f"detector {spec!r} thickness", minimum=0,
                               allow_zero=False)
    kwargs = {k: design[k] for k in ("electronic_noise_e", "histories", "seed")
              if design.get(k) is not None}
    d = IndirectDesign(SCINTILLATORS[name], thickness, pitch_m, beam=beam, **kwargs)
    return f"{name} {thickness * 1e6:g} um (indirect)", d


def indirect_design_from_config(config: Any, *, beam: str | None = None) -> Any:
    """The :class:`~perovx.design.indirect.IndirectDesign` of a ``kind = "indirect"`` config."""
    from perovx.design.indirect import IndirectDesign
    from perovx.readout.indirect import resolve_screen

    det, panel = config.detector, config.panel
    return IndirectDesign(
        resolve_screen(det), det.thickness_m, panel.pixel_pitch_m,
        beam=beam or config.beam.spectrum, fill_factor=panel.fill_factor,
        photodiode_qe=det.photodiode_qe, electronic_noise_e=panel.electronic_noise_e,
        integration_time_s=panel.integration_time_s,
        dark_current_density_A_m2=det.dark_current_density_A_m2,
        histories=max(config.simulation.histories, 100_000), seed=config.simulation.seed,
        calibration_frames=tuple(config.calibration_frames))


def _model(design: Any, *, air_kerma_Gy: float) -> Any:
    """The cascaded-systems model of a direct design, the indirect model of a screen."""
    if getattr(design, "kind", "direct") == "indirect":
        from perovx.design.indirect import indirect_model

        return indirect_model(design, air_kerma_Gy=air_kerma_Gy)
    return csa_model(design, air_kerma_Gy=air_kerma_Gy)


def _indirect_simulate_config(design: Any, result: Any, *, phantom: str, air_kerma_Gy: float,
                              shape: int, seed: int, options: dict[str, Any] | None) -> Any:
    from perovx.readout.config import IndirectDetectorConfig
    from perovx.readout.modes import PixelArray
    from perovx.readout.panel import Panel
    from perovx.readout.simulate import (
        BeamConfig,
        ObjectConfig,
        SimulateConfig,
        SimulationConfig,
    )

    s = design.screen
    det = IndirectDetectorConfig(
        scintillator=next(k for k, v in _screens().items() if v.name == s.name),
        thickness_m=design.thickness_m, photodiode_qe=design.photodiode_qe,
        packing_fraction=s.packing_fraction, light_yield_per_keV=s.light_yield_per_keV,
        diffusion_length_m=s.diffusion_length_m, lateral_ratio=s.lateral_ratio,
        reflective_top=s.reflective_top,
        dark_current_density_A_m2=design.dark_current_density_A_m2)
    full_scale = float(f"{RANGE_FACTOR * result.mean_signal_e * 1.602176634e-19:.2g}")
    panel = Panel(pixel_pitch_m=design.pitch_m, rows=shape, columns=shape,
                  integration_time_s=design.integration_time_s,
                  electronic_noise_e=design.electronic_noise_e, adc_bits=16,
                  full_scale_charge_C=full_scale, fill_factor=design.fill_factor)
    return SimulateConfig(
        detector=det, panel=panel, beam=BeamConfig(design.beam, 1.5),
        mode=PixelArray(air_kerma_Gy=air_kerma_Gy), image_shape=(shape, shape),
        object=ObjectConfig(phantom=phantom, options=options or {}),
        simulation=SimulationConfig(seed=seed, energy_groups=4,
                                    histories=min(design.histories, 100_000)),
        calibration_frames=design.calibration_frames or (16, 16), title=design.label)


def _screens() -> dict[str, Any]:
    from perovx.transport.scintillator import SCINTILLATORS

    return SCINTILLATORS
# --- end indirect ---


def design_from_config(config: Any, *, beam: str | None = None, **design: Any) -> Design:
    """The :class:`Design` of a ``perovx simulate`` configuration (layer and panel).

    ``beam`` replaces the configuration's beam; other keyword arguments replace fields.
    """
    from perovx.readout.process import get_process

    det, panel = config.detector, config.panel
    density = None
    if det.process != "single_crystal" or det.density_kg_m3 is not None:
        from perovx.materials import get_material

        crystal = det.density_kg_m3 or get_material(det.material).density()
        density = get_process(det.process).packing_fraction * crystal
    fields = {
        "fill_factor": panel.fill_factor, "temperature_K": det.temperature_K,
        "density_kg_m3": density, "mu_tau_e_m2_per_V": det.mu_tau_e_m2_per_V,
        "mu_tau_h_m2_per_V": det.mu_tau_h_m2_per_V, "w_pair_eV": det.w_pair_eV,
        "fano_factor": det.fano_factor, "resistivity_ohm_m": det.resistivity_ohm_m,
        "dark_current_density_A_m2": det.dark_current_density_A_m2,
        "electronic_noise_e": panel.electronic_noise_e,
        "integration_time_s": panel.integration_time_s, "lag_fraction": panel.lag_fraction,
        "calibration_frames": tuple(config.calibration_frames),
        "adc_bits": panel.adc_bits, "full_scale_charge_C": panel.full_scale_charge_C,
        "energy_groups": config.simulation.energy_groups,
        "histories": config.simulation.histories, "seed": config.simulation.seed,
    }
    fields.update(design)
    return Design(material=det.material, thickness_m=det.thickness_m, bias_V=det.bias_V,
                  pitch_m=panel.pixel_pitch_m, beam=beam or config.beam.spectrum, **fields)


def image_quality_summary(config: Any, *, air_kerma_Gy: float | None = None,
                          tasks: Sequence[Task] = DEFAULT_TASKS) -> dict[str, Any]:
    """DQE at named frequencies and d′ of a ``perovx simulate`` configuration's detector.

    From the cascaded-systems model at the configuration's air kerma per frame (pixel
    arrays) or ``air_kerma_Gy``: the figures that replace the per-pixel SNR, which rewards
    blur, in the summaries.
    """
    kerma = air_kerma_Gy if air_kerma_Gy is not None else getattr(config.mode, "air_kerma_Gy",
                                                                  None)
    if kerma is None:
        raise InputError("give the air kerma per frame for the image-quality summary")
    if getattr(config.detector, "kind", "direct") == "indirect":
        res = _model(indirect_design_from_config(config), air_kerma_Gy=kerma)
        model = "indirect-panel model (perovx.design.indirect)"
    else:
        res = csa_model(design_from_config(config), air_kerma_Gy=kerma)
        model = "cascaded linear systems (perovx.design.csa)"
    out = figures_of_merit(res, tasks=tasks)
    out["air_kerma_uGy"] = kerma * 1e6
    out["model"] = model
    return out


def figures_of_merit(result: CSAResult, *, tasks: Sequence[Task] = DEFAULT_TASKS
                     ) -> dict[str, Any]:
    """The comparison table's row of one detector: DQE at named frequencies, MTF, d′."""
    nyq = 0.5 / result.design.pitch_m
    out: dict[str, Any] = {
        "quantum_efficiency": result.quantum_efficiency,
        "swank_factor": result.swank_factor,
        "mean_signal_per_pixel_e": result.mean_signal_e,
    }
    for f in DQE_FREQUENCIES_LP_PER_MM:
        out[f"dqe_at_{f:g}_lp_per_mm"] = (result.at("dqe", f * 1e3) if f * 1e3 <= nyq * 1.0001
                                          else None)
    for f in (1.0, 2.0):
        out[f"mtf_at_{f:g}_lp_per_mm"] = (result.at("mtf", f * 1e3) if f * 1e3 <= nyq * 1.0001
                                          else None)
    for task in tasks:
        tag = f"{task.diameter_m * 1e3:g}mm_{task.contrast * 100:g}pct"
        for obs in ("npw", "npwe"):
            out[f"d_prime_{obs}_{tag}"] = detectability(result, task, observer=obs)
    return out


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare`.

    Attributes
    ----------
    folder
        Output folder (PNG figures and ``compare.json``).
    detectors
        Label → figures of merit (see :func:`figures_of_merit`), the design and the
        image's ``transmission_median``, ``transmission_p5`` and ``transmission_p95`` (1:
        the image over its open-field signal).
    figures
        Name → PNG path.
    curves
        Label → the model's curves: ``frequency_per_mm`` (cycles mm⁻¹, zero to Nyquist),
        ``mtf`` (1), ``nnps_mm2`` (mm²) and ``dqe`` (1), as lists.
    """

    folder: Path
    detectors: dict[str, dict[str, Any]]
    figures: dict[str, str]
    curves: dict[str, dict[str, list[float]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {"folder": str(self.folder), "detectors": self.detectors,
                "figures": self.figures}


def _simulate_config(design: Design, result: CSAResult, *, phantom: str, air_kerma_Gy: float,
                     shape: int, seed: int, options: dict[str, Any] | None = None) -> Any:
    if getattr(design, "kind", "direct") == "indirect":
        return _indirect_simulate_config(design, result, phantom=phantom,
                                         air_kerma_Gy=air_kerma_Gy, shape=shape, seed=seed,
                                         options=options)
    from perovx.readout.modes import PixelArray
    from perovx.readout.panel import Panel
    from perovx.readout.simulate import (
        BeamConfig,
        DetectorConfig,
        ObjectConfig,
        SimulateConfig,
        SimulationConfig,
    )

    det = DetectorConfig(
        material=design.material, thickness_m=design.thickness_m, bias_V=design.bias_V,
        temperature_K=design.temperature_K, density_kg_m3=design.density_kg_m3,
        mu_tau_e_m2_per_V=design.mu_tau_e_m2_per_V, mu_tau_h_m2_per_V=design.mu_tau_h_m2_per_V,
        resistivity_ohm_m=design.resistivity_ohm_m,
        dark_current_density_A_m2=design.dark_current_density_A_m2
        if design.dark_current_density_A_m2 is not None or result._prep is None
        else (None if result._prep.dark_current_A_m2 > 0 else 0.0),
        w_pair_eV=design.w_pair_eV, fano_factor=design.fano_factor)
    settle_s, dark_factor = _bias_settling(det)
    charge_e = result.mean_signal_e + result.additive_e2["dark_shot"] * dark_factor
    full_scale = float(f"{RANGE_FACTOR * charge_e * 1.602176634e-19:.2g}")
    panel = Panel(pixel_pitch_m=design.pitch_m, rows=shape, columns=shape,
                  integration_time_s=design.integration_time_s,
                  electronic_noise_e=design.electronic_noise_e, adc_bits=16,
                  full_scale_charge_C=full_scale, fill_factor=design.fill_factor,
                  lag_fraction=design.lag_fraction,
                  lag_time_constant_s=0.3 if design.lag_fraction > 0 else None)
    return SimulateConfig(
        detector=det, panel=panel, beam=BeamConfig(design.beam, 1.5),
        mode=PixelArray(air_kerma_Gy=air_kerma_Gy), image_shape=(shape, shape),
        object=ObjectConfig(phantom=phantom, options=options or {}),
        simulation=SimulationConfig(seed=seed, energy_groups=design.energy_groups,
                                    histories=design.histories),
        calibration_frames=design.calibration_frames or (16, 16),
        bias_settle_s=settle_s, title=design.label)


def _bias_settling(det: Any) -> tuple[float, float]:
    """Bias-settling time, s, and settled/initial dark-current ratio of a direct layer.

    The drift is the one ``perovx simulate`` applies (:class:`IonMigration` from the
    layer's activation energy): the layer is held under bias for
    :data:`SETTLE_TIME_CONSTANTS` drift time constants before its calibration frames, so
    that the offset is measured on the dark current of the image frames. A layer without
    a known activation energy (stable baseline) or at infinite time constant: (0, 1).
    """
    from perovx.materials import get_material
    from perovx.transport.instability import IonMigration

    ea = det.ion_activation_energy_eV
    if ea is None:
        known = getattr(get_material(det.material), "activation_energy_eV", None)
        ea = None if known is None else known.value
    if ea is None or det.bias_V == 0:
        return 0.0, 1.0
    drift = IonMigration(ea, thickness_m=det.thickness_m, bias_V=det.bias_V,
                         temperature_K=det.temperature_K, amplitude=det.drift_amplitude)
    tau = drift.time_constant_s
    if not math.isfinite(tau):
        return 0.0, 1.0
    return SETTLE_TIME_CONSTANTS * tau, 1.0 + drift.amplitude


def _transmission_stats(transmission: np.ndarray) -> dict[str, float]:
    """Median and 5th/95th percentiles of an image divided by its open-field signal (1)."""
    p5, p50, p95 = np.percentile(transmission, [5, 50, 95])
    return {"transmission_median": float(p50), "transmission_p5": float(p5),
            "transmission_p95": float(p95)}


def _safe(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") or "detector"


def compare(
    detectors: Sequence[tuple[str, Design]],
    *,
    air_kerma_Gy: float,
    out: str | Path,
    phantom: str = "hand",
    shape: int = 256,
    seed: int = 0,
    measure: bool = False,
    tasks: Sequence[Task] = DEFAULT_TASKS,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Image one phantom with several detectors at one dose and compare them.

    Parameters
    ----------
    detectors
        (label, design) pairs (see :func:`parse_detector`); one beam for all.
    air_kerma_Gy
        Air kerma at the detector, Gy (> 0).
    out
        New folder for ``compare_images.png``, ``compare_curves.png`` and
        ``compare.json``; an existing folder is never touched.
    phantom
        Phantom of ``perovx simulate`` (hand, contrast_detail, line_pairs, ...).
    shape
        Panel size, pixels per side (32–1024).
    seed
        Seed of every simulation.
    measure
        Also simulate a slanted tungsten edge per detector (at 10× the dose) and overlay
        the MTF measured from it by :func:`perovx.metrics.slanted_edge_mtf`.
    tasks
        Detection tasks of the d′ columns.
    progress
        Called with a message before each detector.

    Returns
    -------
    Comparison
    """
    from perovx.readout.simulate import simulate

    if not detectors:
        raise InputError("give at least one detector (--detector a-Se:1mm ...)")
    beams = {d.beam for _, d in detectors}
    if len(beams) > 1:
        raise InputError(f"detectors use different beams {sorted(beams)}; compare at one beam")
    if not (math.isfinite(air_kerma_Gy) and air_kerma_Gy > 0):
        raise InputError(f"dose must be an air kerma > 0 Gy, got {air_kerma_Gy!r}")
    if isinstance(shape, bool) or int(shape) != shape or not 32 <= shape <= 1024:
        raise InputError(f"image size must be 32–1024 pixels, got {shape!r}")
    labels = [label for label, _ in detectors]
    if len(set(labels)) != len(labels):
        raise InputError(f"two detectors share a label: {labels}")
    out = Path(out)
    if out.exists():
        raise FileFormatError(f"{out}: already exists; choose a new folder (perovx never "
                              "overwrites)")
    step = progress or (lambda message: None)
    rows: dict[str, dict[str, Any]] = {}
    images: dict[str, np.ndarray] = {}
    results: dict[str, CSAResult] = {}
    measured: dict[str, Any] = {}
    for label, design in detectors:
        step(f"{label}: model")
        res = _model(design, air_kerma_Gy=air_kerma_Gy)
        results[label] = res
        row = figures_of_merit(res, tasks=tasks)
        row["design"] = design.to_dict()
        step(f"{label}: {phantom} image")
        cfg = _simulate_config(design, res, phantom=phantom, air_kerma_Gy=air_kerma_Gy,
                               shape=shape, seed=seed)
        img = simulate(cfg, write=False)
        level = res.mean_signal_e * cfg.panel.dn_per_electron
        images[label] = np.asarray(img.values, dtype=float) / level
        row.update(_transmission_stats(images[label]))
        row["saturated_fraction"] = float(img.attrs.get("saturated_fraction", 0.0))
        if measure:
            from perovx.errors import PerovxError
            from perovx.metrics.mtf import slanted_edge_mtf

            step(f"{label}: edge image")
            edge_cfg = _simulate_config(
                design, _model(design, air_kerma_Gy=10 * air_kerma_Gy), phantom="edge",
                air_kerma_Gy=10 * air_kerma_Gy, shape=shape, seed=seed + 1,
                options={"angle_deg": 3.0, "material": "W", "thickness_m": 1e-3})
            try:
                m = slanted_edge_mtf(simulate(edge_cfg, write=False).values,
                                     pixel_pitch_m=design.pitch_m)
                measured[label] = m
                for f in (1.0, 2.0):
                    row[f"measured_mtf_at_{f:g}_lp_per_mm"] = float(
                        np.interp(f * 1e3, m.frequency_per_m, m.mtf))
            except PerovxError as exc:
                row["measured_mtf_note"] = str(exc)
        rows[label] = row
    parent = out.parent if out.parent.exists() else None
    if parent is None:
        raise FileFormatError(f"{out.parent}: folder does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=".perovx-compare-", dir=parent))
    try:
        figs = _plots(tmp, images, results, measured, phantom=phantom,
                      air_kerma_Gy=air_kerma_Gy, rows=rows, tasks=tasks)
        curves = {label: {"frequency_per_mm": (r.frequency_per_m * 1e-3).tolist(),
                          "mtf": r.mtf.tolist(), "nnps_mm2": (r.nnps_m2 * 1e6).tolist(),
                          "dqe": r.dqe.tolist()} for label, r in results.items()}
        comparison = Comparison(folder=out, detectors=rows,
                                figures={k: str(out / Path(v).name) for k, v in figs.items()},
                                curves=curves)
        from perovx.io.serialize import jsonable

        (tmp / "compare.json").write_text(
            json.dumps(jsonable(comparison.to_dict()), indent=2, allow_nan=False),
            encoding="utf-8")
        if out.exists():
            raise FileFormatError(f"{out}: appeared while the comparison ran; not replaced")
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return comparison


def _plots(folder: Path, images: dict[str, np.ndarray], results: dict[str, CSAResult],
           measured: dict[str, Any], *, phantom: str, air_kerma_Gy: float,
           rows: dict[str, dict[str, Any]], tasks: Sequence[Task]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(images)
    lo, hi = np.percentile(np.concatenate([v.ravel() for v in images.values()]), [0.5, 99.5])
    fig, axes = plt.subplots(1, n, figsize=(3.8 * n, 4.3), squeeze=False)
    task = tasks[0] if tasks else None
    for ax, (label, img) in zip(axes[0], images.items(), strict=True):
        p = results[label].design.pitch_m * 1e3
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi,
                  extent=(0, img.shape[1] * p, img.shape[0] * p, 0))
        r = rows[label]
        title = f"{label}\nDQE(1 lp/mm) {r['dqe_at_1_lp_per_mm']:.2f}"
        if task is not None:
            tag = f"{task.diameter_m * 1e3:g}mm_{task.contrast * 100:g}pct"
            title += f", d′ NPWE {r[f'd_prime_npwe_{tag}']:.1f}"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("x (mm)")
        ax.set_ylabel("y (mm)")
    fig.suptitle(f"{phantom} phantom, {air_kerma_Gy * 1e6:g} µGy air kerma at the detector, "
                 f"one window (transmission {lo:.2f}–{hi:.2f})")
    fig.tight_layout()
    fig.savefig(folder / "compare_images.png", dpi=100)
    plt.close(fig)

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(15, 4.2))
    for i, (label, res) in enumerate(results.items()):
        f = res.frequency_per_m * 1e-3
        color = f"C{i}"
        a1.plot(f, res.mtf, color=color, label=f"{label} (model)")
        if label in measured:
            m = measured[label]
            keep = m.frequency_per_m <= 0.5 / res.design.pitch_m
            a1.plot(m.frequency_per_m[keep] * 1e-3, m.mtf[keep], "--", color=color,
                    label=f"{label} (simulated edge)")
        a2.semilogy(f, res.nnps_m2 * 1e6, color=color, label=label)
        a3.plot(f, res.dqe, color=color, label=label)
    a1.set_ylabel("presampling MTF (1)")
    a2.set_ylabel("normalised NPS (mm²)")
    a3.set_ylabel("DQE (1)")
    for ax in (a1, a2, a3):
        ax.set_xlabel("spatial frequency (lp/mm)")
        ax.grid(alpha=0.3)
    a1.set_ylim(0, 1.05)
    a3.set_ylim(0, 1.0)
    a1.legend(fontsize=7)
    a3.legend(fontsize=7)
    fig.suptitle(f"cascaded-systems model at {air_kerma_Gy * 1e6:g} µGy")
    fig.tight_layout()
    fig.savefig(folder / "compare_curves.png", dpi=100)
    plt.close(fig)
    return {"images": str(folder / "compare_images.png"),
            "curves": str(folder / "compare_curves.png")}
