"""The checked ``perovx simulate`` configuration and its loader.

:func:`load_config` reads a TOML file, validates it against the pydantic models of
:mod:`perovx.readout.config_schema` (one per table; unknown keys refused; quantities
through :func:`perovx.units.parse_quantity` with the bounds of their field), turns the
first violation into one :class:`~perovx.errors.InputError` line naming the file, line
and key, applies the rules that join several tables (the panel's shape and the imaging
mode, the limits of the full Monte Carlo) and returns the frozen
:class:`SimulateConfig` that :func:`perovx.readout.simulate.simulate` consumes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from perovx.errors import FileFormatError, InputError
from perovx.readout.config_errors import Locator, translate
from perovx.readout.config_schema import (
    CONFIG_KEYS,
    FULL_MC_MAX_PIXELS,
    FULL_MC_MAX_PIXELS_CUDA,
    KERNEL_METHODS,
    MODES,
    OUTPUT_FORMATS,
    PHANTOM_NAMES,
    BarPatternSection,
    CdradSection,
    ChestSection,
    CircuitBoardSection,
    ConfigFile,
    ContrastDetailSection,
    EdgeSection,
    HandSection,
    IecEdgeSection,
    IndirectDetectorSection,
    LinePairsSection,
    LineScanSection,
    PixelArraySection,
    TiffSection,
    VolumeSection,
    short,
)
from perovx.readout.counting import CountingReadout
from perovx.readout.film import FilmStructure, get_structure
from perovx.readout.modes import LineScan, Mode, PixelArray, PointScan
from perovx.readout.panel import Panel
from perovx.readout.process import get_process
from perovx.transport.charge import DEFAULT_FANO_FACTOR
from perovx.transport.dark import ROOM_TEMPERATURE_K
from perovx.transport.instability import DEFAULT_DRIFT_AMPLITUDE
from perovx.transport.stack import DeviceStack, StackLayer

__all__ = [
    "CONFIG_KEYS",
    "FULL_MC_MAX_PIXELS",
    "FULL_MC_MAX_PIXELS_CUDA",
    "KERNEL_METHODS",
    "MODES",
    "OUTPUT_FORMATS",
    "PHANTOM_NAMES",
    "AcquisitionConfig",
    "BeamConfig",
    "CountingConfig",
    "DetectorConfig",
    "IndirectDetectorConfig",
    "LimitsConfig",
    "ObjectConfig",
    "OutputConfig",
    "SimulateConfig",
    "SimulationConfig",
    "load_config",
    "parse_config",
]


# --------------------------------------------------------------------------- checked config


@dataclass(frozen=True)
class DetectorConfig:
    """The perovskite layer (SI units). ``None`` overrides take the database value."""

    material: str
    thickness_m: float
    bias_V: float
    temperature_K: float = ROOM_TEMPERATURE_K
    process: str = "single_crystal"
    density_kg_m3: float | None = None
    mu_tau_e_m2_per_V: float | None = None
    mu_tau_h_m2_per_V: float | None = None
    resistivity_ohm_m: float | None = None
    dark_current_density_A_m2: float | None = None
    ion_activation_energy_eV: float | None = None
    drift_amplitude: float = DEFAULT_DRIFT_AMPLITUDE
    w_pair_eV: float | None = None
    fano_factor: float = DEFAULT_FANO_FACTOR


@dataclass(frozen=True)
class IndirectDetectorConfig:
    """A scintillator screen on photodiodes (``[detector] kind = "indirect"``; SI units).

    ``None`` optical parameters take the catalogue screen's values
    (:data:`perovx.transport.scintillator.SCINTILLATORS`); the photodiode fill factor is
    the panel's ``fill_factor``. Run by :mod:`perovx.readout.indirect`.
    """

    scintillator: str
    thickness_m: float
    photodiode_qe: float
    packing_fraction: float | None = None
    light_yield_per_keV: float | None = None
    diffusion_length_m: float | None = None
    lateral_ratio: float | None = None
    reflective_top: bool | None = None
    depth_layers: int = 4
    dark_current_density_A_m2: float = 0.0
    kind: str = "indirect"


@dataclass(frozen=True)
class BeamConfig:
    """Beam spectrum and geometry."""

    spectrum: str
    source_image_distance_m: float = 1.0


@dataclass(frozen=True)
class ObjectConfig:
    """The imaged object.

    Attributes
    ----------
    phantom
        Catalogue name, ``"tiff"`` or ``"none"`` (open field).
    options
        Keyword arguments of the phantom builder (SI units).
    scatter_fraction
        Stated scatter fraction S/(S + P) (pixel array only; scans are collimated).
    scatter_sigma_m
        Width of the scatter distribution, m.
    magnification
        Source–image over source–object distance (>= 1; 1: the object lies on the
        detector); the object's sizes are its own, in the object plane.
    """

    phantom: str = "none"
    options: Mapping[str, Any] = field(default_factory=dict)
    scatter_fraction: float = 0.0
    scatter_sigma_m: float = 30e-3
    magnification: float = 1.0


@dataclass(frozen=True)
class SimulationConfig:
    """Numerical settings."""

    seed: int = 0
    oversample: int = 2
    energy_groups: int = 8
    kernels: str = "monte_carlo"
    histories: int = 200_000
    kernel_half_width_m: float = 2e-3
    depth_bins: int = 16
    diffusion: bool = True
    backend: str = "cpu"


@dataclass(frozen=True)
class OutputConfig:
    """Where and what to write (``directory`` ``None``: write nothing)."""

    directory: Path | None = None
    formats: tuple[str, ...] = OUTPUT_FORMATS
    name: str = "image"


@dataclass(frozen=True)
class LimitsConfig:
    """Resource limits of the run (``None``: the option, environment or default)."""

    max_memory_bytes: float | None = None
    max_time_s: float | None = None


@dataclass(frozen=True)
class AcquisitionConfig:
    """A frame sequence (``[acquisition]``), SI units; ``None``: from the panel/material."""

    pattern: str
    frame_rate_Hz: float
    frames: int
    air_kerma_Gy: float
    exposed_frame: int = 1
    pulse_every: int = 2
    object_step_m: float = 0.0
    block_air_kerma_Gy: float | None = None
    lag_fractions: tuple[float, ...] | None = None
    lag_time_constants_s: tuple[float, ...] | None = None
    ghost_sensitivity_change: float = 0.0
    ghost_reference_air_kerma_Gy: float = 1e-3
    ghost_time_constant_s: float = 10.0
    drift_time_constant_s: float | None = None
    drift_amplitude: float | None = None
    calibration_delay_s: float = 0.0


@dataclass(frozen=True)
class CountingConfig:
    """A photon-counting readout in place of the integrating panel (``[counting]``).

    Attributes
    ----------
    readout
        Pitch, thresholds, charge sharing, summing, dead time and noise.
    air_kerma_rate_Gy_per_s
        Air-kerma rate at the detector (sets the frame time and pile-up), Gy/s, or None.
    histories
        Monte Carlo events per energy group.
    """

    readout: CountingReadout
    air_kerma_rate_Gy_per_s: float | None = None
    histories: int = 50_000


@dataclass(frozen=True)
class SimulateConfig:
    """A complete, checked ``perovx simulate`` configuration."""

    detector: DetectorConfig | IndirectDetectorConfig
    panel: Panel
    beam: BeamConfig
    mode: Mode
    image_shape: tuple[int, int]
    object: ObjectConfig = field(default_factory=ObjectConfig)
    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    calibration_frames: tuple[int, int] = (16, 16)
    bias_settle_s: float = 0.0
    title: str = ""
    source: str = "<dict>"
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    stack: DeviceStack | None = None
    shunt_resistance_ohm_m2: float | None = None
    acquisition: AcquisitionConfig | None = None
    film: FilmStructure | None = None
    counting: CountingConfig | None = None


# --------------------------------------------------------------------------- loading


def load_config(path: str | Path) -> SimulateConfig:
    """Read and check a ``perovx simulate`` TOML file.

    Relative paths in the file (output directory, TIFF maps) are relative to the file.

    Parameters
    ----------
    path
        The TOML file (only read).

    Raises
    ------
    FileFormatError
        The file is missing, not UTF-8 text or not TOML.
    InputError
        A key is missing, unknown or out of range (the message names file, line, key).
    """
    import tomllib

    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such configuration file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise FileFormatError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > 10_000_000:
        raise FileFormatError(f"{p}: {len(raw)} bytes; a configuration is at most 10 MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{p}: not a TOML text file (not UTF-8 at byte {exc.start})") \
            from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"{p}: not valid TOML ({exc})") from None
    except RecursionError:
        raise FileFormatError(f"{p}: not valid TOML (nested too deeply)") from None
    return parse_config(data, source=str(p), text=text, base_dir=p.parent)


def parse_config(
    data: Mapping[str, Any],
    *,
    source: str = "<dict>",
    text: str | None = None,
    base_dir: str | Path | None = None,
) -> SimulateConfig:
    """Check a configuration given as a dictionary (the parsed TOML).

    Parameters
    ----------
    data
        Tables ``detector``, ``panel``, ``beam``, ``mode`` (required), ``object``,
        ``simulation``, ``output``, ``limits`` (optional).
    source
        Name used in error messages (the file name).
    text
        The TOML text, for line numbers in error messages.
    base_dir
        Directory that relative paths are relative to (default: the working directory).
    """
    loc = Locator(text)
    if not isinstance(data, Mapping):
        raise InputError(f"{source}: expected a table of sections, got {short(data)}")
    doc = dict(data)
    if isinstance(doc.get("object"), Mapping) and "phantom" not in doc["object"]:
        doc["object"] = {**doc["object"], "phantom": "none"}
    try:
        model = ConfigFile.model_validate(doc)
    except ValidationError as exc:
        raise translate(exc, doc, source, loc) from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply") from None
    return _build(model, source=source, loc=loc,
                  base=Path(base_dir) if base_dir is not None else Path.cwd())


def _build(model: ConfigFile, *, source: str, loc: Locator, base: Path) -> SimulateConfig:
    """The checked configuration of a validated file (cross-section rules here)."""
    def error(section: str, key: str | None, message: str) -> InputError:
        return loc.error(source, section, key, message)

    d = model.detector
    detector: DetectorConfig | IndirectDetectorConfig
    if isinstance(d, IndirectDetectorSection):  # indirect kind: perovx.readout.indirect
        detector = _indirect_detector(model, d, error)
    else:
        detector = _direct_detector(d, error)

    m = model.mode
    kind = m.type
    p = model.panel
    defaults_rc = {"pixel_array": (None, None), "line_scan": (1, None), "point_scan": (1, 1)}
    rows = p.rows if p.rows is not None else defaults_rc[kind][0]
    cols = p.columns if p.columns is not None else defaults_rc[kind][1]
    if rows is None:
        raise error("panel", "rows", "missing; give the number of pixel rows")
    if cols is None:
        raise error("panel", "columns", "missing; give the number of pixel columns")
    if kind == "line_scan" and rows != 1:
        raise error("panel", "rows", f"a line scanner is one row of pixels; got rows = {rows}")
    if kind == "point_scan" and (rows, cols) != (1, 1):
        raise error("panel", "rows" if rows != 1 else "columns",
                    "a point scan uses one pixel: rows = columns = 1 (or leave them out)")
    if kind == "pixel_array" and p.integration_time is None:
        raise error("panel", "integration_time", "missing; give a value in s (e.g. "
                                                 "integration_time = \"100 ms\")")
    try:
        panel = Panel(
            pixel_pitch_m=p.pitch, rows=int(rows), columns=int(cols),
            integration_time_s=p.integration_time if p.integration_time is not None else 1.0,
            electronic_noise_e=p.electronic_noise, adc_bits=p.adc_bits,
            full_scale_charge_C=p.full_scale_charge, frame_rate_Hz=p.frame_rate,
            fill_factor=p.fill_factor, amplifier_gain_V_per_C=p.amplifier_gain,
            pedestal_fraction=p.pedestal_fraction, lag_fraction=p.lag_fraction,
            lag_time_constant_s=p.lag_time_constant,
            dead_pixel_fraction=p.dead_pixel_fraction,
            gain_nonuniformity=p.gain_nonuniformity,
            offset_nonuniformity_e=p.offset_nonuniformity,
        )
    except InputError as exc:
        raise error("panel", None, str(exc)) from None

    beam = BeamConfig(spectrum=model.beam.spectrum,
                      source_image_distance_m=model.beam.source_image_distance)

    mode: Mode
    try:
        if isinstance(m, PixelArraySection):
            mode = PixelArray(air_kerma_Gy=m.air_kerma, frames=m.frames)
            shape = (int(rows), int(cols))
        elif isinstance(m, LineScanSection):
            mode = LineScan(air_kerma_rate_Gy_per_s=m.air_kerma_rate,
                            scan_speed_m_per_s=m.scan_speed, fan_width_m=m.fan_width)
            shape = (int(m.lines if m.lines is not None else cols), int(cols))
        else:
            mode = PointScan(air_kerma_rate_Gy_per_s=m.air_kerma_rate,
                             dwell_time_s=m.dwell_time, step_time_s=m.step_time,
                             spot_size_m=m.spot_size)
            shape = m.points
    except InputError as exc:
        raise error("mode", None, str(exc)) from None

    s = model.simulation
    sim = SimulationConfig(seed=s.seed, oversample=s.oversample, energy_groups=s.energy_groups,
                           kernels=s.kernels, histories=s.histories,
                           kernel_half_width_m=s.kernel_half_width, depth_bins=s.depth_bins,
                           diffusion=s.diffusion, backend=s.backend)
    if sim.kernels == "full_monte_carlo":
        _check_full_monte_carlo(error, kind, shape, sim)
    elif sim.backend != "cpu":
        raise error("simulation", "backend",
                    f'backend = "{sim.backend}" runs the photon-by-photon Monte Carlo of '
                    f'kernels = "full_monte_carlo"; with kernels = "{sim.kernels}" the '
                    'deposition kernels are computed on the CPU: remove backend or set '
                    'kernels = "full_monte_carlo"')

    obj = _object(model.object, sim, base, error)
    sod = model.object.source_object_distance
    if sod is not None:
        sid = model.beam.source_image_distance
        if sod > sid:
            raise error("object", "source_object_distance",
                        f"{sod:g} m is beyond the detector ([beam] source_image_distance "
                        f"{sid:g} m): the object must lie between source and detector")
        obj = replace(obj, magnification=sid / sod)

    out = model.output
    output = OutputConfig(
        directory=None if out.directory is None else (base / out.directory),
        formats=out.formats, name=out.name,
    )
    limits = LimitsConfig(max_memory_bytes=model.limits.max_memory,
                          max_time_s=model.limits.max_time)
    stack = None
    if model.stack is not None and isinstance(detector, DetectorConfig):
        stack = _stack(model.stack, detector, error)
    acquisition = None
    if model.acquisition is not None:
        acquisition = _acquisition(model.acquisition, panel, kind, error)
    counting = _counting(model.counting, panel, kind, sim.energy_groups, error)
    return SimulateConfig(
        detector=detector, panel=panel, beam=beam, mode=mode, image_shape=shape, object=obj,
        simulation=sim, output=output, calibration_frames=p.calibration_frames,
        bias_settle_s=float(p.bias_settle_time), title=model.title, source=source,
        limits=limits, stack=stack,
        shunt_resistance_ohm_m2=None if model.stack is None else model.stack.shunt_resistance,
        acquisition=acquisition,
        film=(_film(model.film, detector.process, error)
              if isinstance(detector, DetectorConfig) else None),
        counting=counting,
    )


def _direct_detector(d: Any, error: Callable[[str, str | None, str], InputError]
                     ) -> DetectorConfig:
    """The perovskite layer of a direct ``[detector]``."""
    get_process(d.process)
    if d.bias == 0:
        raise error("detector", "bias", "must be non-zero: its sign sets the carrier the "
                                        "pixels collect")
    detector = DetectorConfig(
        material=d.material, thickness_m=d.thickness, bias_V=d.bias,
        temperature_K=d.temperature, process=d.process, density_kg_m3=d.density,
        mu_tau_e_m2_per_V=d.mu_tau_e, mu_tau_h_m2_per_V=d.mu_tau_h,
        resistivity_ohm_m=d.resistivity, dark_current_density_A_m2=d.dark_current_density,
        ion_activation_energy_eV=d.ion_activation_energy, drift_amplitude=d.drift_amplitude,
        w_pair_eV=d.w_pair, fano_factor=d.fano_factor,
    )
    return detector


def _indirect_detector(model: ConfigFile, d: Any,
                       error: Callable[[str, str | None, str], InputError]
                       ) -> IndirectDetectorConfig:
    """The scintillator screen of ``[detector] kind = "indirect"`` (refuses direct-only tables)."""
    for section in ("stack", "film", "counting", "acquisition"):
        if getattr(model, section) is not None:
            raise error(section, None, "applies to a direct-conversion layer; [detector] kind "
                                       "= \"indirect\" has no such table")
    if model.simulation.kernels == "full_monte_carlo":
        raise error("simulation", "kernels", "\"full_monte_carlo\" follows charge in a "
                    "direct layer; an indirect panel uses kernels = \"monte_carlo\" or "
                    "\"local\"")
    if d.depth_layers > model.simulation.depth_bins:
        raise error("detector", "depth_layers", f"{d.depth_layers} is more than [simulation] "
                    f"depth_bins = {model.simulation.depth_bins}")
    return IndirectDetectorConfig(
        scintillator=d.scintillator, thickness_m=d.thickness, photodiode_qe=d.photodiode_qe,
        packing_fraction=d.packing_fraction, light_yield_per_keV=d.light_yield,
        diffusion_length_m=d.diffusion_length, lateral_ratio=d.lateral_ratio,
        reflective_top=d.reflective_top, depth_layers=int(d.depth_layers),
        dark_current_density_A_m2=d.dark_current_density,
    )


def _film(section: Any, process: str,
          error: Callable[[str, str | None, str], InputError]) -> FilmStructure:
    """The process's film structure with the ``[film]`` overrides."""
    from dataclasses import replace as _replace

    base = get_structure(process)
    if section is None:
        return base
    names = {"grain_size": "grain_size_m", "crack_length_per_area": "crack_length_per_m2",
             "crack_width": "crack_width_m", "adhesion_patch": "adhesion_patch_m"}
    changes = {names.get(k, k): v for k, v in section.model_dump().items() if v is not None}
    try:
        return _replace(base, **changes)
    except InputError as exc:
        raise error("film", None, str(exc)) from None


def _acquisition(a: Any, panel: Panel, kind: str,
                 error: Callable[[str, str | None, str], InputError]) -> AcquisitionConfig:
    """The frame sequence of ``[acquisition]`` (cross-checks with the panel)."""
    if kind != "pixel_array":
        raise error("acquisition", None, f'a frame sequence needs a pixel array; [mode] type '
                                         f'is "{kind}"')
    period = 1.0 / a.frame_rate
    if panel.integration_time_s > period * (1 + 1e-9):
        raise error("acquisition", "frame_rate",
                    f"{a.frame_rate:g} Hz gives {period * 1e3:g} ms per frame, shorter than "
                    f"the [panel] integration_time of {panel.integration_time_s * 1e3:g} ms")
    if (a.lag_fractions is None) != (a.lag_time_constants is None):
        raise error("acquisition", "lag_fractions" if a.lag_fractions is None
                    else "lag_time_constants",
                    "give lag_fractions and lag_time_constants together")
    if a.lag_fractions is not None and len(a.lag_fractions) != len(a.lag_time_constants):
        raise error("acquisition", "lag_time_constants",
                    f"{len(a.lag_time_constants)} time constants for "
                    f"{len(a.lag_fractions)} lag_fractions: give one per fraction")
    if a.pattern in ("radiography", "ghost") and a.exposed_frame >= a.frames - 1:
        raise error("acquisition", "exposed_frame",
                    f"frame {a.exposed_frame} leaves no frame after it in a sequence of "
                    f"{a.frames}")
    if a.pattern == "ghost" and a.block_air_kerma is None:
        raise error("acquisition", "block_air_kerma",
                    'missing; the ghost pattern needs the bright block\'s kerma (e.g. '
                    'block_air_kerma = "100 uGy")')
    return AcquisitionConfig(
        pattern=a.pattern, frame_rate_Hz=a.frame_rate, frames=a.frames,
        air_kerma_Gy=a.air_kerma, exposed_frame=a.exposed_frame, pulse_every=a.pulse_every,
        object_step_m=a.object_step, block_air_kerma_Gy=a.block_air_kerma,
        lag_fractions=a.lag_fractions, lag_time_constants_s=a.lag_time_constants,
        ghost_sensitivity_change=a.ghost_sensitivity_change,
        ghost_reference_air_kerma_Gy=a.ghost_reference_air_kerma,
        ghost_time_constant_s=a.ghost_time_constant,
        drift_time_constant_s=a.drift_time_constant, drift_amplitude=a.drift_amplitude,
        calibration_delay_s=a.calibration_delay,
    )


def _stack(section: Any, detector: DetectorConfig,
           error: Callable[[str, str | None, str], InputError]) -> DeviceStack:
    """The device stack of ``[stack]``; the absorber takes the [detector] layer."""
    import math

    layers = []
    for i, item in enumerate(section.layers):
        absorber = item.role == "absorber"
        try:
            layers.append(StackLayer(
                role=item.role,
                thickness_m=detector.thickness_m if absorber else item.thickness,
                material=detector.material if absorber else item.material,
                density_kg_m3=item.density, resistivity_ohm_m=item.resistivity,
                barrier_eV=item.barrier, ideality=item.ideality,
                effective_mass_ratio=item.effective_mass, rectifying=item.rectifying,
                forward=item.forward, trapped_fraction=item.trapped_fraction,
                release_time_s=math.inf if item.release_time is None else item.release_time,
                ghost_per_trapped=item.ghost_per_trapped, name=item.name,
            ))
        except InputError as exc:
            raise error("stack", "layers", f"layer {i + 1}: {exc}") from None
    try:
        return DeviceStack(tuple(layers))
    except InputError as exc:
        raise error("stack", "layers", str(exc)) from None


#: Most Monte Carlo events of a counting run (all energy groups together).
MAX_COUNTING_EVENTS = 5_000_000


def _counting(c: Any, panel: Panel, kind: str, sim_groups: int,
              error: Callable[[str, str | None, str], InputError]) -> CountingConfig | None:
    """The checked ``[counting]`` section (None when absent)."""
    if c is None:
        return None
    if kind != "pixel_array":
        raise error("mode", "type", f"a photon-counting readout images with a pixel array; "
                                    f"got type = {kind!r}")
    if c.histories * sim_groups > MAX_COUNTING_EVENTS:
        raise error("counting", "histories",
                    f"{c.histories} events × {sim_groups} energy groups = "
                    f"{c.histories * sim_groups:.3g} Monte Carlo events is above the limit "
                    f"of {MAX_COUNTING_EVENTS:.0e} (~300 bytes each): lower histories or "
                    "[simulation] energy_groups")
    if c.dead_time > 0 and c.air_kerma_rate is None:
        raise error("counting", "dead_time", "a dead time needs air_kerma_rate (the rate "
                                             "sets the pile-up), e.g. air_kerma_rate = "
                                             "\"10 uGy/s\"")
    try:
        readout = CountingReadout(
            pixel_pitch_m=panel.pixel_pitch_m, thresholds_keV=c.thresholds,
            charge_sharing=c.charge_sharing, anti_coincidence=c.anti_coincidence,
            dead_time_s=c.dead_time, dead_time_model=c.dead_time_model, noise_keV=c.noise,
            initial_cloud_m=c.initial_cloud,
        )
    except InputError as exc:
        raise error("counting", None, str(exc)) from None
    return CountingConfig(readout=readout, air_kerma_rate_Gy_per_s=c.air_kerma_rate,
                          histories=int(c.histories))


def _check_full_monte_carlo(error: Callable[[str, str | None, str], InputError],
                            kind: str, shape: tuple[int, int], sim: SimulationConfig) -> None:
    """Limits of ``kernels = "full_monte_carlo"``: pixel arrays, small panels."""
    from perovx.interaction.montecarlo.sources import FLUENCE_MAP_MAX_ENTRIES

    if kind != "pixel_array":
        raise error("simulation", "kernels",
                    f'"full_monte_carlo" simulates the reads of a pixel array only; [mode] '
                    f'type is "{kind}": use kernels = "monte_carlo"')
    pixels = shape[0] * shape[1]
    limit, side = ((FULL_MC_MAX_PIXELS_CUDA, 2048) if sim.backend == "cuda"
                   else (FULL_MC_MAX_PIXELS, 256))
    if pixels > limit:
        hint = "" if sim.backend == "cuda" else ', backend = "cuda" (up to 2048 × 2048)'
        where = "GPU" if sim.backend == "cuda" else "CPU"
        raise error("simulation", "kernels",
                    f'"full_monte_carlo" on the {where} is limited to panels of '
                    f"at most {limit} pixels ({side} × {side}); this panel has {shape[0]} × "
                    f'{shape[1]} = {pixels}: use kernels = "monte_carlo"{hint} or fewer '
                    "[panel] rows/columns")
    cells = pixels * sim.oversample**2
    if cells * sim.energy_groups > FLUENCE_MAP_MAX_ENTRIES or cells * sim.depth_bins > 5e7:
        raise error("simulation", "oversample",
                    f'"full_monte_carlo" tallies {cells} cells × {sim.energy_groups} energy '
                    f"groups × {sim.depth_bins} depth bins, beyond the Monte Carlo's table "
                    f"limits ({FLUENCE_MAP_MAX_ENTRIES} cells × groups, 5e7 cells × depth "
                    "bins): lower oversample, energy_groups or depth_bins")


def _object(o: Any, sim: SimulationConfig, base: Path,
            error: Callable[[str, str | None, str], InputError]) -> ObjectConfig:
    opts: dict[str, Any] = {}
    if isinstance(o, LinePairsSection):
        opts = {"bar_thickness_m": o.bar_thickness, "material": o.material, "bars": o.bars}
        if o.frequencies is not None:
            opts["frequencies_lp_per_mm"] = o.frequencies
    elif isinstance(o, EdgeSection):
        opts = {"angle_deg": o.angle, "material": o.material, "thickness_m": o.thickness}
    elif isinstance(o, ContrastDetailSection):
        opts = {"plate_thickness_m": o.plate_thickness, "material": o.material}
    elif isinstance(o, HandSection):
        if o.length is not None:
            opts["length_m"] = o.length
    elif isinstance(o, CircuitBoardSection):
        opts["seed"] = o.seed if o.seed is not None else sim.seed
    elif isinstance(o, ChestSection):
        if o.width is not None:
            opts["width_m"] = o.width
    elif isinstance(o, BarPatternSection):
        opts = {"bars": o.bars, "bar_thickness_m": o.bar_thickness,
                "bar_length_m": o.bar_length, "material": o.material,
                "groups_per_row": o.groups_per_row}
        if o.frequencies is not None:
            opts["frequencies_lp_per_mm"] = o.frequencies
    elif isinstance(o, IecEdgeSection):
        opts = {"angle_deg": o.angle, "thickness_m": o.thickness, "material": o.material,
                "length_m": o.length, "width_m": o.width}
    elif isinstance(o, CdradSection):
        opts = {"plate_thickness_m": o.plate_thickness, "plate_size_m": o.plate_size,
                "material": o.material, "seed": o.seed}
    elif isinstance(o, VolumeSection):
        path = base / o.path
        if not path.exists():
            raise error("object", "path", f"{path}: no such file or folder (a .npy or "
                        ".nii/.nii.gz file, or a folder of DICOM slices)")
        if path.suffix.lower() == ".npy":
            if o.voxel_size is None or not o.labels:
                raise error("object", "voxel_size" if o.voxel_size is None else "labels",
                            "a .npy volume needs voxel_size and labels (label = "
                            "\"material\")")
            if o.view != "frontal":
                raise error("object", "view", "a .npy volume is projected along its first "
                            "axis; view applies to CT volumes (NIfTI, DICOM)")
            labels = {}
            for k, v in o.labels.items():
                if not k.lstrip("-").isdigit():
                    raise error("object", "labels", f"label {k!r} is not an integer")
                labels[int(k)] = v
            opts = {"path": path, "voxel_size_m": o.voxel_size, "labels": labels}
        else:
            opts = {"path": path, "view": o.view}
    elif isinstance(o, TiffSection):
        opts["paths"] = {k: (base / v) for k, v in o.maps.items()}
        if o.spacing is not None:
            opts["spacing_m"] = o.spacing
        opts["thickness_unit_m"] = o.thickness_unit
        if o.materials:
            from perovx.interaction.phantoms import get_phantom_material

            defs = {}
            for name, spec in o.materials.items():
                try:
                    defs[name] = get_phantom_material(
                        {"name": name, "formula": spec.formula, "density_kg_m3": spec.density})
                except InputError as exc:
                    raise error("object", "materials", f"{name}: {exc}") from None
            opts["materials"] = defs
    return ObjectConfig(phantom=o.phantom, options=opts, scatter_fraction=o.scatter_fraction,
                        scatter_sigma_m=o.scatter_width)


