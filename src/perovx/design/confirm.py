"""Confirm a design by simulation: measured MTF, NPS and DQE beside the model's.

:func:`simulate_flats_and_edge` images flat fields and a slanted tungsten edge of a
:class:`~perovx.design.csa.Design` through the ``perovx simulate`` chain (detector built
once, one seed per image); :func:`confirm` measures them with
:func:`perovx.metrics.slanted_edge_mtf`, :func:`perovx.metrics.noise_power_spectrum` and
:func:`perovx.metrics.detective_quantum_efficiency` and puts the measured figures beside
the cascaded-systems model's.

The simulator places the photons of a cell at its centre; with
:data:`DEFAULT_OVERSAMPLE` cells per pixel its MTF and NPS agree with the continuous
model within the tolerances of ``tests/design/test_csa.py`` (MTF 0.05, NNPS 10 %).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from perovx.design.csa import Design, csa_model
from perovx.errors import InputError

__all__ = ["DEFAULT_OVERSAMPLE", "DQE_BAND_LP_PER_MM", "EDGE_DOSE_FACTOR", "confirm",
           "simulate_flats_and_edge"]

#: Cells per pixel of the confirming simulations.
DEFAULT_OVERSAMPLE = 8
#: Half-width of the band over which a measured DQE value is averaged, lp/mm.
DQE_BAND_LP_PER_MM = 0.25
#: The edge image is taken at this multiple of the flat-field dose (low-noise ESF).
EDGE_DOSE_FACTOR = 50.0
_ELEMENTARY_CHARGE_C = 1.602176634e-19


def simulate_flats_and_edge(
    design: Design, air_kerma_Gy: float, *, shape: int = 96, flats: int = 4,
    oversample: int = DEFAULT_OVERSAMPLE, histories: int = 1_000_000, seed: int = 0,
    kernel_half_width_m: float = 2e-3,
) -> tuple[np.ndarray, np.ndarray, Design]:
    """Flat fields at ``air_kerma_Gy`` and a 3° W edge at ``EDGE_DOSE_FACTOR`` × that dose.

    The ADC range is set to three times the open-field charge of the edge image; the
    returned design carries it (``adc_bits``, ``full_scale_charge_C``) so the model sees
    the same quantisation. Offset and gain calibration use 1000 frames each (negligible
    calibration noise), unless the design gives its own.

    Returns
    -------
    (flats, edge, design)
        Corrected images in ADC codes: (flats, shape, shape) and (shape, shape).
    """
    from perovx.interaction.phantoms import transmitted_fluence
    from perovx.readout.modes import PixelArray, acquire
    from perovx.readout.panel import Panel
    from perovx.readout.simulate import (
        BeamConfig,
        DetectorConfig,
        ObjectConfig,
        SimulateConfig,
        SimulationConfig,
        build_object,
        build_system,
    )

    if isinstance(shape, bool) or int(shape) != shape or not 64 <= shape <= 512:
        raise InputError(f"confirmation image size must be 64–512 pixels, got {shape!r}")
    if int(flats) != flats or flats < 1:
        raise InputError(f"flats must be an integer >= 1, got {flats!r}")
    signal = csa_model(design, air_kerma_Gy=EDGE_DOSE_FACTOR * air_kerma_Gy).mean_signal_e
    # the simulated images are gain-corrected with flats of the same film: the film's fixed
    # pattern is removed, as in the model with fixed_pattern_residual = 0
    design = replace(design, adc_bits=16,
                     full_scale_charge_C=float(f"{3 * signal * _ELEMENTARY_CHARGE_C:.2g}"),
                     calibration_frames=design.calibration_frames or (1000, 1000),
                     fixed_pattern_residual=0.0)
    det = DetectorConfig(
        material=design.material, thickness_m=design.thickness_m, bias_V=design.bias_V,
        temperature_K=design.temperature_K, density_kg_m3=design.density_kg_m3,
        mu_tau_e_m2_per_V=design.mu_tau_e_m2_per_V, mu_tau_h_m2_per_V=design.mu_tau_h_m2_per_V,
        resistivity_ohm_m=design.resistivity_ohm_m,
        dark_current_density_A_m2=design.dark_current_density_A_m2
        if design.dark_current_density_A_m2 is not None
        else (None if csa_model(design, air_kerma_Gy=air_kerma_Gy).additive_e2["dark_shot"] > 0
              else 0.0),
        w_pair_eV=design.w_pair_eV, fano_factor=design.fano_factor,
        process=design.process or "single_crystal")
    panel = Panel(pixel_pitch_m=design.pitch_m, rows=shape, columns=shape,
                  integration_time_s=design.integration_time_s,
                  electronic_noise_e=design.electronic_noise_e, adc_bits=16,
                  full_scale_charge_C=design.full_scale_charge_C,
                  fill_factor=design.fill_factor)

    def cfg(phantom: str, kerma: float, options: dict[str, Any] | None = None) -> Any:
        return SimulateConfig(
            detector=det, panel=panel, beam=BeamConfig(design.beam, 1.5),
            mode=PixelArray(air_kerma_Gy=kerma), image_shape=(shape, shape),
            object=ObjectConfig(phantom=phantom, options=options or {}),
            simulation=SimulationConfig(seed=seed, oversample=oversample,
                                        energy_groups=design.energy_groups,
                                        histories=histories,
                                        kernel_half_width_m=kernel_half_width_m),
            calibration_frames=design.calibration_frames)

    flat_cfg = cfg("none", air_kerma_Gy)
    edge_cfg = cfg("edge", EDGE_DOSE_FACTOR * air_kerma_Gy,
                   {"angle_deg": 3.0, "material": "W", "thickness_m": 1e-3})
    system = build_system(flat_cfg)
    cells = (shape * oversample, shape * oversample)

    def image(c: Any, s: int) -> np.ndarray:
        phantom = build_object(c)
        fluence = transmitted_fluence(
            phantom, system.beam.energy_keV, system.beam.fluence_per_Gy, system.groups.index,
            groups=system.groups.count, scatter_fraction=0.0, scatter_sigma_m=0.03,
            shape=cells)
        acq = acquire(system.imager, fluence, system.groups.fluence_per_Gy, c.mode, seed=s,
                      source_image_distance_m=1.5,
                      object_thickness_m=0.0 if phantom is None else phantom.max_thickness_m)
        return acq.corrected_dn

    flat = np.stack([image(flat_cfg, seed + 1 + i) for i in range(int(flats))])
    return flat, image(edge_cfg, seed + 1000), design


def confirm(design: Design, *, air_kerma_Gy: float, shape: int = 128, flats: int = 4,
            seed: int = 0, frequencies_lp_per_mm: tuple[float, ...] = (0.5, 1.0, 2.0)
            ) -> dict[str, Any]:
    """Measured MTF and DQE of a simulated design beside the model's, at named frequencies.

    Returns
    -------
    dict
        ``{"measured": {"mtf_at_1_lp_per_mm": …, "dqe_at_1_lp_per_mm": …},
        "model": {…}, "model_serial": {…}, "shape": …, "flats": …}``; frequencies above
        Nyquist are omitted. ``model_serial`` is the DQE with the serial fluorescence
        noise of ``perovx simulate``'s kernel mode, which the measurement follows;
        ``model`` has the parallel (Hajdok) K-fluorescence noise.
    """
    from perovx.metrics import (
        detective_quantum_efficiency,
        noise_power_spectrum,
        slanted_edge_mtf,
    )

    flat, edge, design = simulate_flats_and_edge(design, air_kerma_Gy, shape=shape,
                                                 flats=flats, seed=seed)
    p = design.pitch_m
    mtf = slanted_edge_mtf(edge, pixel_pitch_m=p)
    nps = noise_power_spectrum(flat, pixel_pitch_m=p, roi_size_px=64)
    dqe = detective_quantum_efficiency(mtf, nps, air_kerma_Gy=air_kerma_Gy, beam=design.beam)
    model = csa_model(design, air_kerma_Gy=air_kerma_Gy)
    serial = csa_model(design, air_kerma_Gy=air_kerma_Gy, fluorescence_noise="serial")
    measured: dict[str, float] = {}
    predicted: dict[str, float] = {}
    predicted_serial: dict[str, float] = {}
    for f in frequencies_lp_per_mm:
        if f * 1e3 > 0.5 / p * 1.0001:
            continue
        measured[f"mtf_at_{f:g}_lp_per_mm"] = float(np.interp(f * 1e3, mtf.frequency_per_m,
                                                              mtf.mtf))
        # the measured DQE is averaged over ±DQE_BAND_LP_PER_MM (single NPS bins are noisy)
        band = np.abs(dqe.frequency_per_m - f * 1e3) <= DQE_BAND_LP_PER_MM * 1e3
        measured[f"dqe_at_{f:g}_lp_per_mm"] = float(np.mean(dqe.dqe[band])) if band.any() \
            else float(np.interp(f * 1e3, dqe.frequency_per_m, dqe.dqe))
        predicted[f"mtf_at_{f:g}_lp_per_mm"] = model.at("mtf", f * 1e3)
        predicted[f"dqe_at_{f:g}_lp_per_mm"] = model.at("dqe", f * 1e3)
        predicted_serial[f"dqe_at_{f:g}_lp_per_mm"] = serial.at("dqe", f * 1e3)
    return {"measured": measured, "model": predicted, "model_serial": predicted_serial,
            "shape": shape, "flats": flats, "air_kerma_Gy": air_kerma_Gy}
