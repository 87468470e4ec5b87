"""``perovx simulate``: an X-ray image of an object taken by a perovskite imager.

A TOML file describes the detector layer, the readout panel, the beam, the imaging mode,
the object and the simulation; :func:`load_config` reads and checks it (every error
names the file, line and key), :func:`simulate` runs the chain —

    beam → object (polychromatic Beer–Lambert) → energy groups → Monte Carlo deposition
    kernels → Shockley–Ramo pixel response with trapping and diffusion → spread functions
    → film non-uniformity → calibration, reads (quanta, gain, spread, dark charge and its
    drift, lag, noise, ADC) → offset/gain correction

With ``[simulation] kernels = "full_monte_carlo"`` (pixel arrays of at most
:data:`FULL_MC_MAX_PIXELS` pixels) the object reads skip the kernels: every photon
leaving the object is transported through the layer by the Monte Carlo, its deposits
are tallied on the panel's cells × depth bins and go through the same pixel response,
lag, readout and correction (:class:`~perovx.readout.modes.PhotonTransport`)

— and returns the corrected image as an :class:`xarray.DataArray` (coordinates in mm),
writing 16-bit TIFF and DICOM images with their pixel spacing and acquisition data, a
JSON summary and a PNG preview.

The documented example files are ``examples/simulate/*.toml``; the schema, section by
section, is in :data:`CONFIG_KEYS`. The energy groups and deposition kernels live in
:mod:`perovx.readout.groups`, the summary and the labelled image in
:mod:`perovx.readout.simulate_summary`, the files in :mod:`perovx.readout.simulate_output`;
their public names are importable from here.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError, PerovxError
from perovx.readout.config import (
    CONFIG_KEYS,
    FULL_MC_MAX_PIXELS,
    FULL_MC_MAX_PIXELS_CUDA,
    KERNEL_METHODS,
    MODES,
    OUTPUT_FORMATS,
    PHANTOM_NAMES,
    BeamConfig,
    DetectorConfig,
    ObjectConfig,
    OutputConfig,
    SimulateConfig,
    SimulationConfig,
    load_config,
    parse_config,
)
from perovx.readout.film import defect_collection_map, get_structure, share_spreads
from perovx.readout.groups import EnergyGroups, _kernels, energy_groups
from perovx.readout.modes import (
    Imager,
    PhotonTransport,
    PixelArray,
    acquire,
)
from perovx.readout.process import film_factors, film_maps, get_process
from perovx.readout.simulate_output import claim_outputs, output_paths, write_outputs
from perovx.readout.simulate_summary import _summary, to_dataarray
from perovx.transport.charge import (
    ChargeTransport,
    PixelResponse,
    SpreadFunction,
    pixel_response,
    spread_functions,
)
from perovx.transport.instability import IonMigration
from perovx.transport.stack import DeviceStack

if TYPE_CHECKING:
    import xarray

    from perovx.interaction.phantoms import FluenceField, Phantom
    from perovx.limits import Limits
    from perovx.spectra.beam import Beam

__all__ = [
    "CONFIG_KEYS",
    "FULL_MC_MAX_PIXELS",
    "FULL_MC_MAX_PIXELS_CUDA",
    "KERNEL_METHODS",
    "MODES",
    "OUTPUT_FORMATS",
    "PHANTOM_NAMES",
    "BeamConfig",
    "DetectorConfig",
    "EnergyGroups",
    "ImagingSystem",
    "ObjectConfig",
    "OutputConfig",
    "SimulateConfig",
    "SimulationConfig",
    "build_object",
    "build_system",
    "energy_groups",
    "load_config",
    "output_paths",
    "parse_config",
    "photon_transport",
    "simulate",
    "to_dataarray",
]

# --------------------------------------------------------------------------- system


@dataclass(frozen=True, eq=False)
class ImagingSystem:
    """Everything :func:`simulate` builds before the object: detector, beam, groups.

    Attributes
    ----------
    imager
        The detector and readout.
    transport
        The layer's transport parameters.
    material
        The detector material record.
    beam
        The beam.
    groups
        Energy groups of the beam.
    film_density_kg_m3
        Density of the film (packing × crystal density), kg m⁻³.
    ion_migration
        Drift of the dark current (``None``: stable).
    response
        Depth-resolved pixel response behind the spread functions.
    notes
        Assumptions taken (missing data, defaults), for the summary.
    """

    imager: Imager
    transport: ChargeTransport
    material: Any
    beam: Beam
    groups: EnergyGroups
    film_density_kg_m3: float
    ion_migration: IonMigration | None
    notes: tuple[str, ...] = ()
    response: PixelResponse | None = field(default=None, repr=False)
    stack: DeviceStack | None = None

    @property
    def spreads(self) -> tuple[SpreadFunction, ...]:
        """Spread functions of the groups."""
        return self.imager.spreads

    def sensitivity_C_per_Gy_m2(self) -> float:
        """Mean signal charge per unit air kerma and area, C Gy⁻¹ m⁻² (lag and film aside)."""
        from perovx.readout.noise import ELEMENTARY_CHARGE_C

        per_gy = sum(float(q) * s.electrons_per_photon
                     for q, s in zip(self.groups.fluence_per_Gy, self.spreads, strict=True))
        return per_gy * ELEMENTARY_CHARGE_C


def build_system(
    config: SimulateConfig, *, progress: Callable[[str, float], None] | None = None
) -> ImagingSystem:
    """Build the detector (layer response, readout, dark current) of a configuration.

    Parameters
    ----------
    config
        A checked configuration.
    progress
        Called as ``progress(stage, fraction)``.
    """
    from perovx.interaction.absorption import layer_coefficients
    from perovx.materials import get_material
    from perovx.spectra import get_beam

    report = progress or (lambda stage, fraction: None)
    det = config.detector
    src = config.source
    notes: list[str] = []
    report("materials", 0.0)
    try:
        material = get_material(det.material)
    except PerovxError as exc:
        raise InputError(f"{src}: [detector] material: {exc}") from None
    process = get_process(det.process)
    try:
        crystal = det.density_kg_m3 if det.density_kg_m3 is not None else material.density()
    except InputError as exc:
        raise InputError(f"{src}: [detector] density: {exc}") from None
    structure = config.film if config.film is not None else get_structure(process.name)
    # membrane fibres take their volume fraction of the layer (nylon's attenuation neglected)
    film_density = process.packing_fraction * (1.0 - structure.fibre_volume_fraction) * crystal
    try:
        transport = ChargeTransport.from_material(
            material, thickness_m=det.thickness_m, bias_V=det.bias_V,
            temperature_K=det.temperature_K, fano_factor=det.fano_factor,
            w_pair_eV=det.w_pair_eV, mu_tau_e_m2_per_V=det.mu_tau_e_m2_per_V,
            mu_tau_h_m2_per_V=det.mu_tau_h_m2_per_V,
        )
    except InputError as exc:
        raise InputError(
            f"{src}: [detector]: {exc} (material {material.name!r}; give mu_tau_e / mu_tau_h "
            "or w_pair)"
        ) from None
    try:
        beam = get_beam(config.beam.spectrum)
    except PerovxError as exc:
        raise InputError(f"{src}: [beam] spectrum: {exc}") from None
    groups = energy_groups(beam, material, config.simulation.energy_groups)
    report("materials", 1.0)

    sim = config.simulation
    panel = config.panel
    # film non-uniformity and the panel's fixed pattern: independent seeded maps drawn on
    # worker threads while this one computes the layer's response and dark current (the
    # same maps for any number of threads)
    from perovx.threads import block_pool

    pool = block_pool(None)
    try:
        def later(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
            if pool is None:
                value = fn(*args, **kwargs)
                return lambda: value
            return pool.submit(fn, *args, **kwargs).result

        pattern = later(panel.fixed_pattern, seed=sim.seed + 202)
        if process.name != "single_crystal":
            defects = later(defect_collection_map, structure, panel.shape,
                            pitch_m=panel.pixel_pitch_m, seed=sim.seed + 303)
            maps_of = later(film_maps, process, panel.shape, spacing_m=panel.pixel_pitch_m,
                            seed=sim.seed + 101)
        response, spreads, stack, j_dark, migration = _layer_response(
            config, material, transport, groups, structure, film_density, notes, report)
        film = None
        if process.name != "single_crystal":
            maps = maps_of()
            mu = layer_coefficients(material, groups.energy_keV,
                                    density_kg_m3=film_density).mu_per_m
            weights = groups.fluence_per_Gy * np.array([s.electrons_per_photon
                                                        for s in spreads])
            film = film_factors(maps, mu_per_m=mu, weights=weights, transport=transport,
                                dtype=np.float32)
            del maps
            # float32: relative factors near 1 with variations of 1e-3 and more; the
            # full-size panel's (groups × pixels) interaction map is halved (eight groups
            # of 3072²: 300 MB instead of 600 MB)
            collection = film.collection
            collection *= defects()  # (float64, in place: then stored as float32)
            film = replace(film, collection=collection.astype(np.float32),
                           dark=film.dark.astype(np.float32, copy=False))
            del collection
        fixed = pattern()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)  # an error above: drop what has not started
    imager = Imager(
        panel=panel,
        spreads=spreads,
        dark_current_density_A_m2=j_dark,
        ion_migration=migration,
        film=film,
        pattern=fixed,
        bias_settle_s=config.bias_settle_s,
        calibration_frames=config.calibration_frames,
        name=f"{material.name} {det.thickness_m * 1e3:g} mm",
    )
    return ImagingSystem(
        imager=imager, transport=transport, material=material, beam=beam, groups=groups,
        film_density_kg_m3=film_density, ion_migration=migration, notes=tuple(notes),
        response=response, stack=stack,
    )


def _layer_response(
    config: SimulateConfig, material: Any, transport: ChargeTransport, groups: Any,
    structure: Any, film_density: float, notes: list[str],
    report: Callable[[str, float], None],
) -> tuple[PixelResponse, tuple[SpreadFunction, ...], Any, float, IonMigration | None]:
    """The layer's pixel response and spread functions (stack included) and its dark
    current and ion migration, for :func:`build_system` (``notes`` gets its remarks)."""
    from perovx.transport.dark import dark_current_density

    det = config.detector
    src = config.source
    sim = config.simulation
    panel = config.panel
    cell = panel.pixel_pitch_m / sim.oversample
    kernels = _kernels(material, det.thickness_m, groups.energy_keV, sim=sim, bin_m=cell,
                       density_kg_m3=film_density, progress=report)
    report("response", 0.0)
    response = pixel_response(transport, pitch_m=panel.pixel_pitch_m,
                              depth_edges_m=kernels[0].depth_edges_m,
                              oversample=sim.oversample, fill_factor=panel.fill_factor,
                              diffusion=sim.diffusion and not structure.columnar)
    spreads = tuple(spread_functions(kernels, response))
    if structure.columnar:
        notes.append(f"columnar grains ({structure.grain_size_m * 1e6:g} um): lateral "
                     "diffusion confined to the columns")
    # grain-boundary charge sharing (the charge of a grain spread over its footprint)
    spreads = share_spreads(spreads, structure, cell)
    stack = config.stack
    if stack is not None:
        # photons lost in the layers in front of the absorber, charge held at interlayers
        # (the part released within the read comes back to it; the rest is lag)
        entrance = stack.entrance_transmission(groups.energy_keV)
        held = stack.collection_factor(panel.integration_time_s)
        spreads = tuple(s.scaled(float(t) * held) for s, t in zip(spreads, entrance,
                                                                   strict=True))
        notes.append(
            f"device stack: {1 - float(np.mean(entrance)):.2%} of the photons (mean over the "
            f"energy groups) stopped in front "
            f"of the absorber (charge per photon scaled: a mean-level approximation), "
            f"{1 - held:.2%} of the charge held at interlayers beyond the read")
    report("response", 1.0)

    # dark current and its drift
    ea_dark = material.activation_energy_eV.value if material.activation_energy_eV else None
    if det.dark_current_density_A_m2 is not None:
        j_dark = det.dark_current_density_A_m2
    elif stack is not None:
        j_dark = _stack_dark_current(config, material, ea_dark)
    else:
        rho = det.resistivity_ohm_m
        if rho is None and material.resistivity_ohm_m is not None:
            rho = material.resistivity_ohm_m.value
        if rho is None:
            raise InputError(
                f"{src}: [detector]: material {material.name!r} has no resistivity; give "
                "resistivity (e.g. \"1e11 ohm cm\") or dark_current_density (e.g. \"1 nA/cm2\")"
            )
        try:
            j_dark = dark_current_density(rho, det.thickness_m, det.bias_V,
                                          temperature_K=det.temperature_K,
                                          activation_energy_eV=ea_dark)
        except InputError as exc:
            raise InputError(f"{src}: [detector] temperature: {exc}") from None
    ea_ion = det.ion_activation_energy_eV if det.ion_activation_energy_eV is not None else ea_dark
    migration = None
    if ea_ion is None:
        notes.append("no ion-migration activation energy known: the baseline is taken as stable")
    else:
        migration = IonMigration(ea_ion, thickness_m=det.thickness_m, bias_V=det.bias_V,
                                 temperature_K=det.temperature_K,
                                 amplitude=det.drift_amplitude)
        notes.extend(_settling_note(migration, config.bias_settle_s))
    return response, spreads, stack, j_dark, migration


def _settling_note(migration: IonMigration, settle_s: float) -> list[str]:
    """A note when the offset is calibrated before the drifting dark current settles.

    The dark frames are read ``settle_s`` after bias-on; if the dark current still rises
    by more than 5 % after that, the offset map is too low and the leftover dark charge
    brightens the image and squeezes its contrast towards 1 (the flat field carries it too).
    """
    tau = migration.time_constant_s
    if not math.isfinite(tau) or tau <= 0:
        return []
    start = float(migration.dark_factor(settle_s))
    settled = float(migration.dark_factor(settle_s + 10 * tau))
    rise = settled / start - 1 if start > 0 else 0.0
    if rise <= 0.05:
        return []
    return [f"the dark current still rises by {rise:.0%} after the offset calibration "
            f"(ion migration, τ = {tau:.3g} s; [panel] bias_settle_time = {settle_s:g} s): "
            "leftover dark charge brightens the image and squeezes its contrast; set "
            f"bias_settle_time to at least {10 * tau:.3g} s (10 τ), as a panel is held under "
            "bias before its offset calibration"]


def _stack_dark_current(config: SimulateConfig, material: Any, ea_eV: float | None) -> float:
    """|J| of the device stack at the operating bias and temperature, A m⁻²."""
    from perovx.transport.dark import ROOM_TEMPERATURE_K, resistivity_at

    det = config.detector
    stack = config.stack
    assert stack is not None
    rho = det.resistivity_ohm_m
    if rho is None and material.resistivity_ohm_m is not None:
        rho = material.resistivity_ohm_m.value
    if rho is not None and det.temperature_K != ROOM_TEMPERATURE_K:
        if ea_eV is None:
            raise InputError(f"{config.source}: [detector]: the dark current at "
                             f"{det.temperature_K:g} K needs the activation energy of "
                             f"{material.name!r}")
        rho = resistivity_at(rho, det.temperature_K, activation_energy_eV=ea_eV)
    shunt = config.shunt_resistance_ohm_m2
    try:
        return abs(stack.dark_current_density(
            det.bias_V, temperature_K=det.temperature_K, absorber_resistivity_ohm_m=rho,
            shunt_resistance_ohm_m2=shunt if shunt is not None else float("inf")))
    except InputError as exc:
        raise InputError(f"{config.source}: [stack]: {exc}") from None


def build_object(config: SimulateConfig) -> Phantom | None:
    """The object of a configuration on the cell grid of its imaging mode (None: open field)."""
    from perovx.interaction.phantoms import DEFAULT_LP_PER_MM, make_phantom, tiff_phantom

    obj = config.object
    os_ = config.simulation.oversample
    # the object's own sizes: a detector cell sees cell / magnification of the object
    cell = config.panel.pixel_pitch_m / os_ / obj.magnification
    shape = (config.image_shape[0] * os_, config.image_shape[1] * os_)
    src = config.source
    opts = dict(obj.options)
    try:
        if obj.phantom == "none":
            return None
        if obj.phantom == "volume":
            return _volume(opts, shape=shape, spacing_m=cell)
        if obj.phantom == "chest":
            from perovx.interaction.chest import chest_phantom

            return chest_phantom(shape, spacing_m=cell, **opts)
        if obj.phantom == "tiff":
            phantom = tiff_phantom(opts.pop("paths"), shape=shape, **opts)
            return replace(phantom, spacing_m=cell)
        if obj.phantom == "hand":
            # the transmission reads float32 maps (_float32_maps): the hand is made so,
            # never holding the float64 maps of a full-size cell grid
            opts["dtype"] = np.float32
        if obj.phantom == "line_pairs" and "frequencies_lp_per_mm" not in opts:
            nyquist = 1e-3 / (2 * cell)
            opts["frequencies_lp_per_mm"] = tuple(f for f in DEFAULT_LP_PER_MM if f <= nyquist)
        return make_phantom(obj.phantom, shape, spacing_m=cell, **opts)
    except PerovxError as exc:
        raise type(exc)(f"{src}: [object]: {exc}") from None


def _volume(opts: dict[str, Any], *, shape: tuple[int, int], spacing_m: float) -> Phantom:
    """A ``phantom = "volume"`` object: a labelled .npy, a NIfTI CT file or a DICOM series."""
    from perovx.interaction.voxel_phantoms import volume_phantom

    return volume_phantom(opts.pop("path"), shape=shape, spacing_m=spacing_m, **opts)


def photon_transport(config: SimulateConfig, system: ImagingSystem) -> PhotonTransport | None:
    """The photon-by-photon transport of ``kernels = "full_monte_carlo"`` (else None)."""
    if config.simulation.kernels != "full_monte_carlo":
        return None
    from perovx.interaction.montecarlo import Stack

    if system.response is None:
        raise InputError(f"{config.source}: [simulation] kernels = \"full_monte_carlo\" "
                         "needs the system's pixel response (build it with build_system)")
    if system.stack is not None:
        if system.stack.interface.fractions:
            raise InputError(f"{config.source}: [simulation] kernels = \"full_monte_carlo\" "
                             "does not follow charge held at interlayers ([stack] "
                             "trapped_fraction > 0): use kernels = \"monte_carlo\"")
        stack = system.stack.monte_carlo_stack(system.material,
                                               absorber_density_kg_m3=system.film_density_kg_m3)
    else:
        stack = Stack.slab(system.material, config.detector.thickness_m,
                           density_kg_m3=system.film_density_kg_m3)
    backend = config.simulation.backend
    if backend == "cuda":
        from perovx.interaction.montecarlo import cuda_available

        if not cuda_available():
            raise InputError(f"{config.source}: [simulation] backend = \"cuda\" needs an "
                             "NVIDIA GPU with a working CUDA driver and numba's CUDA "
                             "support; none was found: use backend = \"cpu\"")
    return PhotonTransport(stack=stack, energies_keV=system.groups.energy_keV,
                           response=system.response, backend=backend)


def _float32_maps(phantom: Phantom | None) -> Phantom | None:
    """The phantom with float32 thickness maps (what its transmission reads).

    :func:`~perovx.interaction.phantoms.transmission` converts every thickness map to
    float32 before the exponent, so the fluence is the same; the float64 maps of a
    full-size panel (2 × 300 MB for the hand) are dropped one by one while the fluence
    array is not yet allocated, and half as much is held while it is computed. Quantities
    that use the float64 maps (the summary's description, the thickest ray) are taken
    before.
    """
    if phantom is None:
        return None
    maps = phantom.thickness_m
    if all(np.asarray(m).dtype == np.float32 for m in maps.values()):
        return phantom
    from perovx.threads import run_row_chunks

    small = {}
    for key in list(maps):
        big = np.asarray(maps[key])
        if big.ndim == 2 and big.dtype != np.float32:
            # the cast in chunks of rows on the process's threads (the same values)
            small[key] = np.empty(big.shape, dtype=np.float32)
            run_row_chunks(big.shape[0], lambda r0, r1, b=big, s=small[key]:
                           np.copyto(s[r0:r1], b[r0:r1], casting="unsafe"))
        else:
            small[key] = np.asarray(big, dtype=np.float32)
        del big
        if isinstance(maps, dict):  # drop the float64 map now (the phantom is ours)
            maps[key] = small[key]
    return replace(phantom, thickness_m=small)


def _fluence(config: SimulateConfig, system: ImagingSystem,
             phantom: Phantom | None, threads: int | None = None,
             lazy: bool = False) -> np.ndarray | FluenceField:
    """Fluence behind the object per group and cell, photons m⁻² Gy⁻¹ (float32).

    ``lazy``: a :class:`~perovx.interaction.phantoms.FluenceField` with the same values,
    computed window by window where a read samples its cells (a pixel array's reads):
    the (groups × cells) array, 1.2 GB for 8 groups of a 3072² panel's 6144² cells, is
    never held, and a freshly mapped gigabyte costs seconds of page faults on some
    virtual machines. Otherwise the array:

    Computed group by group into one (groups, cells y, cells x) array, the groups on
    ``threads`` worker threads (default: the process's cores, ``PEROVX_THREADS``), so
    that the temporaries of the transmission (float32 strips, the scatter's coarse grid)
    exist for one group per thread only: a full-size panel's peak memory is the result
    plus a few strips, not several times the result (each group is written in place).
    Each group is computed on its own in
    :func:`~perovx.interaction.phantoms.transmitted_fluence` (its transmission and
    scatter depend on its bins only), so the values are the same for any number of
    threads.
    """
    from perovx.interaction.phantoms import fluence_field, transmitted_fluence
    from perovx.threads import run_tasks

    os_ = config.simulation.oversample
    shape = (config.image_shape[0] * os_, config.image_shape[1] * os_)
    scatter = config.object.scatter_fraction if isinstance(config.mode, PixelArray) else 0.0
    index = np.asarray(system.groups.index)
    if lazy:
        return fluence_field(phantom, system.beam.energy_keV, system.beam.fluence_per_Gy,
                             index, groups=system.groups.count, scatter_fraction=scatter,
                             scatter_sigma_m=config.object.scatter_sigma_m, shape=shape,
                             threads=threads)
    grid = phantom.shape if phantom is not None else shape
    out = np.empty((system.groups.count, *grid), dtype=np.float32)

    def group(g: int) -> None:
        transmitted_fluence(
            phantom, system.beam.energy_keV, system.beam.fluence_per_Gy,
            np.where(index == g, 0, -1), groups=1, scatter_fraction=scatter,
            scatter_sigma_m=config.object.scatter_sigma_m, shape=shape, out=out[g : g + 1],
        )

    # the groups are independent (each writes its own slice with the same arithmetic):
    # run them on the process's cores, the result is the same for any number
    run_tasks([(lambda g=g: group(g)) for g in range(system.groups.count)], threads)
    return out


# --------------------------------------------------------------------------- run and output


def simulate(
    config: SimulateConfig | str | Path,
    *,
    write: bool = True,
    overwrite: bool = False,
    progress: Callable[[str, float], None] | None = None,
    limits: Limits | None = None,
) -> xarray.DataArray:
    """Simulate the image of a configuration; write its outputs.

    Parameters
    ----------
    config
        A :class:`SimulateConfig` or the path of a TOML file.
    write
        Write the files listed in ``[output]`` (when a directory is given).
    overwrite
        Replace output files that already exist; otherwise an existing file stops the
        run before anything is computed (:class:`~perovx.errors.OutputError`).
    limits
        Memory and time limits (default: the file's ``[limits]``, the environment, half
        the machine's memory and 6 h); a run estimated above them is refused before any
        work (:class:`~perovx.errors.ResourceLimitError`).
    progress
        Called as ``progress(stage, fraction)`` with stages ``materials``, ``kernels``,
        ``response``, ``object``, ``acquisition``, ``output``.

    Notes
    -----
    ``[simulation] kernels`` chooses how energy deposition enters: ``"monte_carlo"``
    (precomputed Monte Carlo deposition kernels convolved with the fluence, quantum and
    gain noise drawn per cell), ``"local"`` (local-absorption approximation) or
    ``"full_monte_carlo"``: each object read transports N ~ Poisson(expected photons)
    photons from the transmitted fluence map through the layer
    (:class:`~perovx.interaction.montecarlo.FluenceMapSource`), so quantum noise, the
    absorbed-energy spread and K-fluorescence reabsorption come from the photons
    themselves; the deposits on the panel's cells × depth bins then go through the
    same pixel response (trapping, Shockley–Ramo, diffusion), Fano noise, lag, readout
    and correction. Pixel arrays of at most :data:`FULL_MC_MAX_PIXELS` pixels only
    (:data:`FULL_MC_MAX_PIXELS_CUDA` with ``[simulation] backend = "cuda"``, which
    transports the photons on an NVIDIA GPU); the calibration reads, the noise-free
    expectation and the summary's sensitivity and noise budget use the Monte Carlo
    kernels.

    The output set is claimed for the whole run (a lock file in the output folder), so a
    second run into the same folder and name stops at once; every file is written under
    a temporary name and published when all are complete, the JSON summary last.

    Returns
    -------
    xarray.DataArray
        Corrected image (ADC codes above offset), dims ``("y", "x")`` with pixel-centre
        coordinates in mm; ``attrs`` hold the acquisition data and, under
        ``"summary_json"``, the JSON summary.
    """
    from perovx.readout.estimate import check_resources

    cfg = config if isinstance(config, SimulateConfig) else load_config(config)
    if cfg.acquisition is not None:
        raise InputError(f"{cfg.source}: has an [acquisition] section: a frame sequence is "
                         "simulated by perovx.imaging.simulate_sequence (the perovx simulate "
                         "command runs it)")
    check_resources(cfg, limits)
    claim = None
    if write and cfg.output.directory is not None:
        claim = claim_outputs(cfg, overwrite=overwrite)
    try:
        return _run(cfg, write=write and claim is not None, overwrite=overwrite,
                    progress=progress)
    finally:
        if claim is not None:
            claim.release()


def _run(cfg: SimulateConfig, *, write: bool, overwrite: bool,
         progress: Callable[[str, float], None] | None) -> xarray.DataArray:
    report = progress or (lambda stage, fraction: None)
    if cfg.counting is not None:
        from perovx.readout.counting_simulate import simulate_counting

        return simulate_counting(cfg, write=write, overwrite=overwrite, progress=progress)
    if getattr(cfg.detector, "kind", "direct") == "indirect":  # scintillator panel
        from perovx.readout.indirect import simulate_indirect

        return simulate_indirect(cfg, write=write, overwrite=overwrite, progress=progress)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    system = build_system(cfg, progress=report)
    timings["detector"] = time.perf_counter() - t0
    report("object", 0.0)
    t1 = time.perf_counter()
    phantom = build_object(cfg)
    # the summary needs the object's description only: its maps (a full-size panel's
    # cell grid, hundreds of MB) are released before the acquisition
    object_info = None if phantom is None else phantom.to_dict()
    thickness = 0.0 if phantom is None else phantom.max_thickness_m
    phantom = _float32_maps(phantom)
    transport = photon_transport(cfg, system)
    # a pixel array's kernel reads sample the fluence block by block: read it so
    fluence = _fluence(cfg, system, phantom,
                       lazy=isinstance(cfg.mode, PixelArray) and transport is None)
    del phantom
    timings["object"] = time.perf_counter() - t1
    report("object", 1.0)
    report("acquisition", 0.0)
    t2 = time.perf_counter()
    acq = acquire(
        system.imager, fluence, system.groups.fluence_per_Gy, cfg.mode, seed=cfg.simulation.seed,
        source_image_distance_m=cfg.beam.source_image_distance_m,
        object_thickness_m=thickness,
        photon_transport=transport,
    )
    del fluence
    timings["acquisition"] = time.perf_counter() - t2
    report("acquisition", 1.0)
    summary = _summary(cfg, system, acq, object_info, timings)
    image = to_dataarray(acq, cfg, system, summary)
    if write and cfg.output.directory is not None:
        report("output", 0.0)
        files = write_outputs(image, acq, summary, cfg, system, overwrite=overwrite)
        image.attrs["files"] = json.dumps(files)
        report("output", 1.0)
    return image
