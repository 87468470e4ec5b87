"""``perovx simulate`` with ``[detector] kind = "indirect"``: a scintillator on photodiodes.

The same beam, object, dose, readout, correction and image-quality chain as the direct
kind (:mod:`perovx.readout.simulate`); only the detector differs —

    beam → object → energy groups → Monte Carlo deposition kernels in the phosphor (at its
    packing density; Cs, I, Gd K fluorescence reabsorbed or escaping) → light yield →
    depth-dependent optical spread (:func:`perovx.transport.scintillator.optical_transfer`)
    → photodiode aperture (fill factor) and quantum efficiency → spread functions per
    energy group and depth layer → calibration, reads (quanta, gain and Swank noise,
    photodiode dark charge, electronic noise, ADC) → offset/gain correction

Each energy group is split into ``depth_layers`` layers of the screen, each with its own
spread function and an independent Poisson draw of the photons absorbed there, so the
noise of X-rays absorbed far from the photodiodes is blurred more than that of those
absorbed near them (the Lubberts effect), as in the analytic
:func:`perovx.transport.scintillator.indirect_response`.

One detected optical quantum is one photodiode electron; the panel's ``electronic_noise``
and ``full_scale_charge`` are in those electrons.

K fluorescence reaches the image through the Monte Carlo kernels: reabsorbed K x-rays
blur the mean signal (the MTF) and escaping ones lower the absorbed energy (the Swank
factor). Their *noise*, though, is blurred with each depth layer's mean spread (a serial
cascade): the local and remote deposits of one photon are not drawn apart, so the
simulated NPS falls with the MTF² where the parallel cascade of
:func:`perovx.design.indirect.indirect_model` keeps the remote deposits' white noise.
For 600 µm CsI:Tl at 150 µm pitch under RQA5 the simulated flats give a DQE of about
0.65–0.69 at 2 lp/mm, the model's serial cascade 0.65 and its (default) parallel cascade
0.45; the DQE the summary reports is the model's parallel one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError, PerovxError
from perovx.readout.config import IndirectDetectorConfig, SimulateConfig
from perovx.readout.modes import Acquisition, Imager, acquire
from perovx.readout.simulate_summary import acquisition_summary, image_dataarray
from perovx.transport.charge import SpreadFunction
from perovx.transport.scintillator import (
    SCINTILLATORS,
    Scintillator,
    optical_pixel_response,
    screen_spread_functions,
)

if TYPE_CHECKING:
    import xarray

    from perovx.readout.simulate import EnergyGroups
    from perovx.spectra.beam import Beam

__all__ = ["IndirectSystem", "build_indirect_system", "resolve_screen", "simulate_indirect"]


def resolve_screen(det: IndirectDetectorConfig) -> Scintillator:
    """The catalogue screen of ``det.scintillator`` with the configuration's overrides."""
    try:
        base = SCINTILLATORS[det.scintillator]
    except KeyError:
        raise InputError(f"[detector] scintillator: {det.scintillator!r} is not one of "
                         f"{', '.join(SCINTILLATORS)}") from None
    changes: dict[str, Any] = {}
    for key, attr in (("packing_fraction", "packing_fraction"),
                      ("light_yield_per_keV", "light_yield_per_keV"),
                      ("diffusion_length_m", "diffusion_length_m"),
                      ("lateral_ratio", "lateral_ratio"),
                      ("reflective_top", "reflective_top")):
        value = getattr(det, key)
        if value is not None:
            changes[attr] = value
    return replace(base, **changes) if changes else base


@dataclass(frozen=True, eq=False)
class IndirectSystem:
    """The indirect detector of a configuration (the analogue of ``ImagingSystem``).

    Attributes
    ----------
    imager
        Panel and spread functions: one per energy group and depth layer, group-major.
    screen
        The scintillator (catalogue values with the overrides).
    material
        Material record of the phosphor (for the Monte Carlo).
    beam, groups
        The beam and its energy groups.
    layers
        Depth layers per group.
    thickness_m
        Screen thickness, m.
    notes
        Assumptions taken, for the summary.
    """

    imager: Imager
    screen: Scintillator
    material: Any
    beam: Beam
    groups: EnergyGroups
    layers: int
    thickness_m: float
    notes: tuple[str, ...] = ()
    group_spreads: tuple[tuple[SpreadFunction, ...], ...] = field(default=(), repr=False)

    @property
    def spreads(self) -> tuple[SpreadFunction, ...]:
        """Spread functions of every (group, layer), group-major."""
        return self.imager.spreads

    @property
    def open_fluence_per_Gy(self) -> np.ndarray:
        """Open-field fluence of each (group, layer), photons m⁻² Gy⁻¹."""
        return np.repeat(self.groups.fluence_per_Gy, self.layers)

    def expand(self, fluence_groups: np.ndarray) -> np.ndarray:
        """Fluence maps per group → per (group, layer) (each layer sees its group's map)."""
        return np.repeat(np.asarray(fluence_groups, dtype=np.float32), self.layers, axis=0)

    @property
    def description(self) -> str:
        """Short label: screen, thickness, packing."""
        return (f"{self.screen.name} {self.thickness_m * 1e6:g} um (packing "
                f"{self.screen.packing_fraction:g}) on photodiodes")

    def quanta_per_Gy_m2(self) -> float:
        """Mean detected optical quanta (photodiode electrons) per Gy and m², open field."""
        return float(sum(float(q) * s.electrons_per_photon
                         for q, s in zip(self.open_fluence_per_Gy, self.spreads, strict=True)))

    def sensitivity_C_per_Gy_m2(self) -> float:
        """Photodiode charge per unit air kerma and area, C Gy⁻¹ m⁻²."""
        from perovx.readout.noise import ELEMENTARY_CHARGE_C

        return self.quanta_per_Gy_m2() * ELEMENTARY_CHARGE_C


def build_indirect_system(
    config: SimulateConfig, *, progress: Callable[[str, float], None] | None = None
) -> IndirectSystem:
    """Build the scintillator panel of a ``kind = "indirect"`` configuration."""
    from perovx.materials import get_material
    from perovx.readout.simulate import _kernels, energy_groups
    from perovx.spectra import get_beam

    report = progress or (lambda stage, fraction: None)
    det = config.detector
    if not isinstance(det, IndirectDetectorConfig):
        raise InputError(f"{config.source}: [detector] is not of kind \"indirect\"")
    src = config.source
    try:
        screen = resolve_screen(det)
    except InputError as exc:
        raise InputError(f"{src}: {exc}") from None
    report("materials", 0.0)
    material = get_material(screen.formula)
    try:
        beam = get_beam(config.beam.spectrum)
    except PerovxError as exc:
        raise InputError(f"{src}: [beam] spectrum: {exc}") from None
    sim = config.simulation
    groups = energy_groups(beam, material, sim.energy_groups)
    report("materials", 1.0)
    panel = config.panel
    cell = panel.pixel_pitch_m / sim.oversample
    density = screen.density_kg_m3 * screen.packing_fraction
    kernels = _kernels(material, det.thickness_m, groups.energy_keV, sim=sim, bin_m=cell,
                       density_kg_m3=density, progress=report)
    report("response", 0.0)
    try:
        response = optical_pixel_response(
            screen, thickness_m=det.thickness_m, depth_edges_m=kernels[0].depth_edges_m,
            pitch_m=panel.pixel_pitch_m, oversample=sim.oversample,
            fill_factor=panel.fill_factor, photodiode_qe=det.photodiode_qe)
        per_group = screen_spread_functions(kernels, response,
                                            light_yield_per_keV=screen.light_yield_per_keV,
                                            oversample=sim.oversample,
                                            depth_layers=det.depth_layers)
    except InputError as exc:
        raise InputError(f"{src}: [detector]: {exc}") from None
    report("response", 1.0)
    spreads = tuple(s for layers in per_group for s in layers)
    notes = [f"scintillator: {screen.source}",
             f"optical stage: diffusion model of perovx.transport.scintillator "
             f"(lateral ratio {screen.lateral_ratio:g}, absorption length "
             f"{screen.diffusion_length_m * 1e3:g} mm, "
             f"{'reflective' if screen.reflective_top else 'black'} top)"]
    if det.dark_current_density_A_m2 == 0:
        notes.append("photodiode dark current not modelled (dark_current_density = 0)")
    imager = Imager(
        panel=panel, spreads=spreads, dark_current_density_A_m2=det.dark_current_density_A_m2,
        pattern=panel.fixed_pattern(seed=sim.seed + 202), bias_settle_s=config.bias_settle_s,
        calibration_frames=config.calibration_frames,
        name=f"{screen.name} {det.thickness_m * 1e3:g} mm",
    )
    return IndirectSystem(imager=imager, screen=screen, material=material, beam=beam,
                          groups=groups, layers=det.depth_layers, thickness_m=det.thickness_m,
                          notes=tuple(notes),
                          group_spreads=tuple(tuple(layers) for layers in per_group))


def _summary(config: SimulateConfig, system: IndirectSystem, acq: Acquisition,
             phantom: Any, timings: dict[str, float]) -> dict[str, Any]:
    from perovx import __version__

    panel = config.panel
    det = config.detector
    assert isinstance(det, IndirectDetectorConfig)
    sens = system.sensitivity_C_per_Gy_m2()
    per_read = acq.plan.air_kerma_per_read_Gy
    groups = []
    for e, q, layers in zip(system.groups.energy_keV, system.groups.fluence_per_Gy,
                            system.group_spreads, strict=True):
        m0 = sum(s.depositing_fraction for s in layers)
        quanta = sum(s.electrons_per_photon for s in layers)
        groups.append({"energy_keV": float(e),
                       "photon_fraction": float(q / system.groups.fluence_per_Gy.sum()),
                       "depositing_fraction": m0,
                       "detected_quanta_per_photon": quanta,
                       "detected_quanta_per_depositing_photon": quanta / m0 if m0 else 0.0})
    beam_info = {k: v for k, v in system.beam.to_dict().items()
                 if k not in ("energy_keV", "fluence", "fluence_unit")}
    screen = system.screen
    return {
        "perovx_version": __version__,
        "title": config.title,
        "config": config.source,
        "detector": {
            "kind": "indirect",
            "description": system.description,
            "material": screen.name,
            "formula": screen.formula,
            "thickness_mm": det.thickness_m * 1e3,
            "packing_fraction": screen.packing_fraction,
            "screen_density_kg_m3": screen.density_kg_m3 * screen.packing_fraction,
            "light_yield_per_keV": screen.light_yield_per_keV,
            "diffusion_length_mm": screen.diffusion_length_m * 1e3,
            "lateral_ratio": screen.lateral_ratio,
            "reflective_top": screen.reflective_top,
            "photodiode_qe": det.photodiode_qe,
            "fill_factor": panel.fill_factor,
            "depth_layers": system.layers,
            "dark_current_density_nA_per_cm2": det.dark_current_density_A_m2 * 1e5,
            "source": screen.source,
        },
        "beam": {**beam_info, "source_image_distance_m": config.beam.source_image_distance_m},
        "energy_groups": groups,
        "kernels": {"method": config.simulation.kernels,
                    "histories": config.simulation.histories
                    if config.simulation.kernels != "local" else None},
        "panel": panel.to_dict(),
        "object": None if phantom is None else {
            **phantom.to_dict(), "scatter_fraction": config.object.scatter_fraction},
        "acquisition": acquisition_summary(acq, panel),
        "signal": {
            "sensitivity_uC_per_Gy_cm2": sens * 1e2,
            "detected_quanta_per_uGy_per_pixel": system.quanta_per_Gy_m2() * 1e-6
            * panel.pixel_area_m2,
            "open_field_signal_per_read_e": system.quanta_per_Gy_m2() * per_read
            * panel.pixel_area_m2,
            "dn_per_electron": panel.dn_per_electron,
        },
        "notes": list(system.notes),
        "timing_s": dict(timings),
    }


def _dataarray(acq: Acquisition, config: SimulateConfig, system: IndirectSystem,
               summary: dict[str, Any]) -> xarray.DataArray:
    return image_dataarray(acq, config, detector=system.description,
                           sensitivity_C_per_Gy_m2=system.sensitivity_C_per_Gy_m2(),
                           extra={"detector_kind": "indirect"}, summary=summary)


def acquire_indirect(system: IndirectSystem, config: SimulateConfig,
                     fluence_groups: np.ndarray, *, object_thickness_m: float = 0.0,
                     expected: bool = False) -> Acquisition:
    """Calibrate and image with the indirect panel (fluence per energy group, cell grid)."""
    return acquire(system.imager, system.expand(fluence_groups), system.open_fluence_per_Gy,
                   config.mode, seed=config.simulation.seed,
                   source_image_distance_m=config.beam.source_image_distance_m,
                   object_thickness_m=object_thickness_m, expected=expected)


def simulate_indirect(cfg: SimulateConfig, *, write: bool, overwrite: bool,
                      progress: Callable[[str, float], None] | None = None
                      ) -> xarray.DataArray:
    """Run a ``kind = "indirect"`` configuration (from :func:`perovx.readout.simulate.simulate`)."""
    from perovx.readout.simulate import _fluence, build_object
    from perovx.readout.simulate_output import write_outputs

    report = progress or (lambda stage, fraction: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    system = build_indirect_system(cfg, progress=report)
    timings["detector"] = time.perf_counter() - t0
    report("object", 0.0)
    t1 = time.perf_counter()
    phantom = build_object(cfg)
    fluence = _fluence(cfg, system, phantom)  # type: ignore[arg-type]
    timings["object"] = time.perf_counter() - t1
    report("object", 1.0)
    report("acquisition", 0.0)
    t2 = time.perf_counter()
    acq = acquire_indirect(system, cfg, fluence,
                           object_thickness_m=0.0 if phantom is None
                           else phantom.max_thickness_m)
    timings["acquisition"] = time.perf_counter() - t2
    report("acquisition", 1.0)
    summary = _summary(cfg, system, acq, phantom, timings)
    image = _dataarray(acq, cfg, system, summary)
    if write and cfg.output.directory is not None:
        report("output", 0.0)
        files = write_outputs(image, acq, summary, cfg, system,  # type: ignore[arg-type]
                              overwrite=overwrite)
        image.attrs["files"] = json.dumps(files)
        report("output", 1.0)
    return image
