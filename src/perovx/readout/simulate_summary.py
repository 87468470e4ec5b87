"""The JSON summary and the labelled image of a ``perovx simulate`` run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import PerovxError
from perovx.io.serialize import jsonable
from perovx.readout.film import get_structure
from perovx.readout.imager import Acquisition
from perovx.readout.panel import Panel
from perovx.readout.process import get_process

if TYPE_CHECKING:
    import xarray

    from perovx.readout.config import SimulateConfig
    from perovx.readout.simulate import ImagingSystem

__all__ = ["acquisition_summary", "image_dataarray", "to_dataarray"]


def acquisition_summary(acq: Acquisition, panel: Panel) -> dict[str, Any]:
    """The ``acquisition`` entry of a simulate summary: the read plan, saturation, the dark
    charge per read (electrons and fraction of full scale) and the calibration's state."""
    return {
        **acq.plan.to_dict(),
        "saturated_fraction": acq.saturated_fraction,
        "dark_charge_per_read_e": acq.dark_e,
        "dark_fraction_of_full_scale": acq.dark_e / panel.full_scale_e,
        "defect_fraction": acq.calibration.defect_fraction,
        "calibration_valid": acq.calibration.valid,
    }


def _summary(config: SimulateConfig, system: ImagingSystem, acq: Acquisition,
             object_info: Mapping[str, Any] | None,
             timings: Mapping[str, float]) -> dict[str, Any]:
    from perovx import __version__
    from perovx.interaction.sensitivity import absorption_limited_sensitivity
    from perovx.readout.frame import flat_field_noise_budget
    from perovx.readout.noise import ELEMENTARY_CHARGE_C

    panel = config.panel
    det = config.detector
    t = system.transport
    sens = system.sensitivity_C_per_Gy_m2()
    try:
        s_abs = absorption_limited_sensitivity(system.material, det.thickness_m, system.beam,
                                               w_pair_eV=t.w_pair_eV,
                                               density_kg_m3=system.film_density_kg_m3)
    except PerovxError:
        s_abs = float("nan")
    cell_area = (panel.pixel_pitch_m / config.simulation.oversample) ** 2
    per_read = acq.plan.air_kerma_per_read_Gy
    budget = flat_field_noise_budget(
        [q * per_read * cell_area for q in system.groups.fluence_per_Gy], system.spreads, panel,
        dark_e=acq.dark_e,
    )
    beam_info = {k: v for k, v in system.beam.to_dict().items()
                 if k not in ("energy_keV", "fluence", "fluence_unit")}
    migration = system.ion_migration
    return {
        "perovx_version": __version__,
        "title": config.title,
        "config": config.source,
        "detector": {
            "material": system.material.name,
            "formula": system.material.formula,
            "thickness_mm": det.thickness_m * 1e3,
            "bias_V": det.bias_V,
            "collected_carrier": t.collected_carrier,
            "temperature_K": det.temperature_K,
            "process": get_process(det.process).to_dict(),
            "film_structure": (config.film if config.film is not None
                               else get_structure(det.process)).to_dict(),
            "film_density_kg_m3": system.film_density_kg_m3,
            "mu_tau_e_cm2_per_V": None if t.mu_tau_e_m2_per_V is None
            else t.mu_tau_e_m2_per_V * 1e4,
            "mu_tau_h_cm2_per_V": None if t.mu_tau_h_m2_per_V is None
            else t.mu_tau_h_m2_per_V * 1e4,
            "w_pair_eV": t.w_pair_eV,
            "fano_factor": t.fano_factor,
            "dark_current_density_nA_per_cm2": system.imager.dark_current_density_A_m2 * 1e5,
            "stack": None if system.stack is None else {
                **system.stack.to_dict(),
                "barrier_eV": system.stack.barrier_eV(det.bias_V),
                "saturation_current_nA_per_cm2":
                    system.stack.saturation_current_A_m2(
                        det.bias_V, temperature_K=det.temperature_K) * 1e5,
                "series_resistance_ohm_cm2": system.stack.series_resistance_ohm_m2(
                    det.resistivity_ohm_m if det.resistivity_ohm_m is not None
                    else getattr(system.material.resistivity_ohm_m, "value", None)) * 1e4,
            },
            "ion_migration": None if migration is None else {
                "activation_energy_eV": migration.activation_energy_eV,
                "drift_time_constant_s": migration.time_constant_s,
                "drift_amplitude": migration.amplitude,
            },
        },
        "beam": {**beam_info, "source_image_distance_m": config.beam.source_image_distance_m},
        "energy_groups": [
            {"energy_keV": float(e),
             "photon_fraction": float(q / system.groups.fluence_per_Gy.sum()),
             "depositing_fraction": s.depositing_fraction,
             "electrons_per_photon": s.electrons_per_photon,
             "gain_swank_factor": s.gain_swank_factor}
            for e, q, s in zip(system.groups.energy_keV, system.groups.fluence_per_Gy,
                               system.spreads, strict=True)
        ],
        "kernels": {"method": config.simulation.kernels,
                    "histories": config.simulation.histories
                    if config.simulation.kernels != "local" else None,
                    "photon_histories": acq.photon_histories
                    if config.simulation.kernels == "full_monte_carlo" else None},
        "panel": panel.to_dict(),
        "object": None if object_info is None else {
            **object_info, "scatter_fraction": config.object.scatter_fraction},
        "acquisition": acquisition_summary(acq, panel),
        "signal": {
            "sensitivity_uC_per_Gy_cm2": sens * 1e2,
            "absorption_limited_sensitivity_uC_per_Gy_cm2": s_abs * 1e2,
            "open_field_signal_per_read_e": sens * per_read * panel.pixel_area_m2
            / ELEMENTARY_CHARGE_C,
            "dn_per_electron": panel.dn_per_electron,
        },
        "noise_open_field_e2": budget.to_dict(),
        "notes": list(system.notes) + _acquisition_notes(acq, panel),
        "timing_s": dict(timings),
    }


def _acquisition_notes(acq: Acquisition, panel: Panel) -> list[str]:
    notes = []
    if not acq.calibration.valid:
        notes.append(
            "calibration failed: the flat frames are no brighter than the dark frames; the "
            f"dark charge per read is {acq.dark_e / panel.full_scale_e:.0%} of full scale: "
            "the dark current fills the readout range and erases the contrast"
        )
    if acq.saturated_fraction > 0:
        notes.append(f"{acq.saturated_fraction:.1%} of the pixels saturated the ADC")
    return notes


def to_dataarray(acq: Acquisition, config: SimulateConfig, system: ImagingSystem,
                 summary: Mapping[str, Any] | None = None) -> xarray.DataArray:
    """The corrected image as a DataArray with pixel-centre coordinates in mm."""
    return image_dataarray(acq, config, detector=system.imager.name,
                           sensitivity_C_per_Gy_m2=system.sensitivity_C_per_Gy_m2(),
                           extra={"bias_V": config.detector.bias_V}, summary=summary)


def image_dataarray(acq: Acquisition, config: SimulateConfig, *, detector: str,
                    sensitivity_C_per_Gy_m2: float, extra: Mapping[str, Any] | None = None,
                    summary: Mapping[str, Any] | None = None) -> xarray.DataArray:
    """The corrected image of any detector kind as a DataArray: pixel-centre coordinates
    in mm, the acquisition (air kerma in µGy, time in s), the detector's name and
    sensitivity (µC Gy⁻¹ cm⁻²), ``extra`` attributes and the summary as JSON."""
    import xarray as xr

    pitch_mm = config.panel.pixel_pitch_m * 1e3
    rows, cols = acq.corrected_dn.shape
    attrs: dict[str, Any] = {
        "long_name": "X-ray image (offset and gain corrected)",
        "units": "DN",
        "pixel_spacing_mm": pitch_mm,
        "imaging_mode": acq.plan.mode,
        "entrance_air_kerma_uGy": acq.plan.entrance_air_kerma_Gy * 1e6,
        "detector_air_kerma_uGy": acq.plan.detector_air_kerma_Gy * 1e6,
        "acquisition_time_s": acq.plan.acquisition_time_s,
        "dn_per_electron": config.panel.dn_per_electron,
        "detector": detector,
        **dict(extra or {}),
        "beam": config.beam.spectrum,
        "saturated_fraction": acq.saturated_fraction,
        "sensitivity_uC_per_Gy_cm2": sensitivity_C_per_Gy_m2 * 1e2,
    }
    if summary is not None:
        attrs["summary_json"] = json.dumps(jsonable(summary), allow_nan=False)
    return xr.DataArray(
        acq.corrected_dn,
        dims=("y", "x"),
        coords={
            "y": ("y", (np.arange(rows) + 0.5) * pitch_mm, {"units": "mm"}),
            "x": ("x", (np.arange(cols) + 0.5) * pitch_mm, {"units": "mm"}),
        },
        name=config.output.name,
        attrs=attrs,
    )
