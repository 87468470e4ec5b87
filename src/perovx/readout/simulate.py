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
section, is in :data:`CONFIG_KEYS`.
"""

from __future__ import annotations

import difflib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import FileFormatError, InputError, PerovxError
from perovx.io.serialize import jsonable
from perovx.readout.modes import (
    Acquisition,
    Imager,
    LineScan,
    Mode,
    PhotonTransport,
    PixelArray,
    PointScan,
    acquire,
)
from perovx.readout.panel import Panel
from perovx.readout.process import PROCESSES, film_factors, film_maps, get_process
from perovx.transport.charge import (
    DEFAULT_FANO_FACTOR,
    ChargeTransport,
    PixelResponse,
    SpreadFunction,
    local_deposition_kernel,
    pixel_response,
    spread_functions,
)
from perovx.transport.dark import ROOM_TEMPERATURE_K
from perovx.transport.instability import DEFAULT_DRIFT_AMPLITUDE, IonMigration

if TYPE_CHECKING:
    import xarray

    from perovx.interaction.phantoms import Phantom
    from perovx.spectra.beam import Beam

__all__ = [
    "CONFIG_KEYS",
    "FULL_MC_MAX_PIXELS",
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

#: How the energy deposition is obtained: Monte Carlo kernels
#: (:func:`perovx.interaction.montecarlo.deposition_kernel`), or the local-absorption
#: approximation (:func:`perovx.transport.charge.local_deposition_kernel`: μen/μ, no
#: fluorescence reabsorption or spread; a quick, lower-bound estimate), or the full
#: Monte Carlo of every photon of the object reads (pixel arrays of at most
#: :data:`FULL_MC_MAX_PIXELS` pixels; the calibration reads, the summary's sensitivity
#: and noise budget still use Monte Carlo kernels).
KERNEL_METHODS = ("monte_carlo", "local", "full_monte_carlo")
#: Largest panel (rows × columns) for ``kernels = "full_monte_carlo"``: 256 × 256 pixels.
FULL_MC_MAX_PIXELS = 256 * 256
#: Output files :func:`simulate` can write.
OUTPUT_FORMATS = ("tiff", "dicom", "json", "png")
MODES = ("pixel_array", "line_scan", "point_scan")
PHANTOM_NAMES = ("none", "line_pairs", "edge", "contrast_detail", "hand", "circuit_board", "tiff")

#: Keys allowed in each section of the TOML file (unit in which a bare number is read).
CONFIG_KEYS: dict[str, dict[str, str]] = {
    "": {"title": "text"},
    "detector": {
        "material": "database name or formula",
        "thickness": "m",
        "bias": "V (entrance electrode relative to the pixels)",
        "temperature": "K",
        "process": "|".join(PROCESSES),
        "density": "kg/m3 (crystal density; the film has packing × this)",
        "mu_tau_e": "m2/V",
        "mu_tau_h": "m2/V",
        "resistivity": "ohm*m",
        "dark_current_density": "A/m2 (overrides the resistivity)",
        "ion_activation_energy": "eV",
        "drift_amplitude": "relative dark-current rise",
        "w_pair": "eV",
        "fano_factor": "number",
    },
    "panel": {
        "pitch": "m", "rows": "integer", "columns": "integer", "fill_factor": "number",
        "integration_time": "s", "frame_rate": "Hz", "amplifier_gain": "V/C",
        "electronic_noise": "electrons rms", "adc_bits": "integer",
        "full_scale_charge": "C", "pedestal_fraction": "number", "lag_fraction": "number",
        "lag_time_constant": "s", "dead_pixel_fraction": "number",
        "gain_nonuniformity": "number", "offset_nonuniformity": "electrons rms",
        "calibration_frames": "[dark, flat] integers", "bias_settle_time": "s",
    },
    "beam": {"spectrum": "beam spec", "source_image_distance": "m"},
    "mode": {
        "type": "|".join(MODES), "air_kerma": "Gy", "frames": "integer",
        "air_kerma_rate": "Gy/s", "scan_speed": "m/s", "fan_width": "m", "lines": "integer",
        "dwell_time": "s", "step_time": "s", "spot_size": "m", "points": "[rows, columns]",
    },
    "object": {
        "phantom": "|".join(PHANTOM_NAMES), "scatter_fraction": "number",
        "scatter_width": "m", "material": "phantom material", "thickness": "m",
        "angle": "deg", "bar_thickness": "m", "frequencies": "lp/mm list", "bars": "integer",
        "plate_thickness": "m", "length": "m", "seed": "integer", "maps": "table",
        "spacing": "m", "thickness_unit": "m", "materials": "table",
    },
    "simulation": {
        "seed": "integer", "oversample": "integer", "energy_groups": "integer",
        "kernels": "|".join(KERNEL_METHODS), "histories": "integer",
        "kernel_half_width": "m", "depth_bins": "integer", "diffusion": "true|false",
    },
    "output": {"directory": "path", "formats": "list", "name": "text"},
}


# --------------------------------------------------------------------------- configuration


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
    """

    phantom: str = "none"
    options: Mapping[str, Any] = field(default_factory=dict)
    scatter_fraction: float = 0.0
    scatter_sigma_m: float = 30e-3


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


@dataclass(frozen=True)
class OutputConfig:
    """Where and what to write (``directory`` ``None``: write nothing)."""

    directory: Path | None = None
    formats: tuple[str, ...] = OUTPUT_FORMATS
    name: str = "image"


@dataclass(frozen=True)
class SimulateConfig:
    """A complete, checked ``perovx simulate`` configuration."""

    detector: DetectorConfig
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


class _Locator:
    """Line numbers of the keys of a TOML text, for error messages."""

    def __init__(self, text: str | None) -> None:
        self.lines: dict[tuple[str, str], int] = {}
        self.sections: dict[str, int] = {}
        if not text:
            return
        section = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if line.startswith("[") and not line.startswith("[["):
                section = line.strip("[]").strip()
                self.sections.setdefault(section, number)
            elif "=" in line and not line.startswith("#"):
                key = line.split("=", 1)[0].strip().strip('"')
                self.lines.setdefault((section, key), number)

    def line(self, section: str, key: str | None) -> int | None:
        if key is None:
            return self.sections.get(section)
        return self.lines.get((section, key)) or self.sections.get(section)


class _Section:
    """Typed access to one TOML table, with located error messages."""

    def __init__(self, name: str, data: Mapping[str, Any], source: str, loc: _Locator) -> None:
        self.name = name
        self.data = dict(data)
        self.source = source
        self.loc = loc
        self.used: set[str] = set()

    def where(self, key: str | None) -> str:
        line = self.loc.line(self.name, key)
        place = f"{self.source}:{line}" if line else self.source
        head = f"[{self.name}]" if self.name else "top level"
        return f"{place}: {head}" + (f" {key}" if key else "")

    def error(self, key: str | None, message: str) -> InputError:
        return InputError(f"{self.where(key)}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return self.data.get(key, default)

    def quantity(
        self,
        key: str,
        unit: str,
        *,
        default: float | None = None,
        required: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        allow_zero: bool = True,
    ) -> float | None:
        from perovx.units import parse_quantity

        if key not in self.data:
            if required:
                raise self.error(key, f"missing; give a value in {unit} (e.g. {key} = \"...\")")
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(key, f"expected a number or a quantity text in {unit}, got {value!r}")
        head = f"[{self.name}] {key}" if self.name else key
        try:
            return parse_quantity(value, unit, name=head, minimum=minimum, maximum=maximum,
                                  allow_zero=allow_zero)
        except InputError as exc:
            line = self.loc.line(self.name, key)
            place = f"{self.source}:{line}" if line else self.source
            raise InputError(f"{place}: {exc}") from None

    def number(
        self,
        key: str,
        *,
        default: float | None = None,
        required: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
        integer: bool = False,
    ) -> Any:
        if key not in self.data:
            if required:
                raise self.error(key, "missing")
            return default
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a number, got {value!r}")
        if integer and int(value) != value:
            raise self.error(key, f"expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be >= {minimum:g}, got {value!r}")
        if maximum is not None and value > maximum:
            raise self.error(key, f"must be <= {maximum:g}, got {value!r}")
        return int(value) if integer else float(value)

    def text(self, key: str, *, default: str | None = None, required: bool = False,
             choices: Sequence[str] | None = None) -> str | None:
        if key not in self.data:
            if required:
                raise self.error(key, "missing" + (f"; one of {', '.join(choices)}"
                                                   if choices else ""))
            return default
        value = self.raw(key)
        if not isinstance(value, str):
            raise self.error(key, f"expected text, got {value!r}")
        if choices is not None and value not in choices:
            hint = difflib.get_close_matches(value, choices, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise self.error(key, f"{value!r} is not one of {', '.join(choices)}{extra}")
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        if key not in self.data:
            return default
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {value!r}")
        return value

    def finish(self) -> None:
        allowed = CONFIG_KEYS.get(self.name, {})
        for key in self.data:
            if isinstance(self.data[key], dict) and self.name == "" and key in CONFIG_KEYS:
                continue
            if key not in allowed:
                hint = difflib.get_close_matches(key, list(allowed), n=1)
                extra = f"; did you mean {hint[0]!r}?" if hint else ""
                raise self.error(key, f"unknown key{extra} Known: {', '.join(allowed)}")
            if key not in self.used:
                raise self.error(key, f"not used with these settings (e.g. a {self.name} key "
                                      "of another mode or phantom)")


def load_config(path: str | Path) -> SimulateConfig:
    """Read and check a ``perovx simulate`` TOML file.

    Relative paths in the file (output directory, TIFF maps) are relative to the file.

    Parameters
    ----------
    path
        The TOML file (only read).
    """
    import tomllib

    p = Path(path)
    if not p.is_file():
        raise FileFormatError(f"{p}: no such configuration file")
    text = p.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileFormatError(f"{p}: not valid TOML ({exc})") from None
    return parse_config(data, source=str(p), text=text, base_dir=p.parent)


def _require_section(data: Mapping[str, Any], name: str, source: str, loc: _Locator,
                     *, required: bool = True) -> _Section:
    if name not in data:
        if required:
            raise InputError(f"{source}: missing section [{name}]")
        return _Section(name, {}, source, loc)
    value = data[name]
    if not isinstance(value, Mapping):
        raise InputError(f"{source}: [{name}] must be a table")
    return _Section(name, value, source, loc)


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
        ``simulation``, ``output`` (optional).
    source
        Name used in error messages (the file name).
    text
        The TOML text, for line numbers in error messages.
    base_dir
        Directory that relative paths are relative to (default: the working directory).
    """
    loc = _Locator(text)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    top = _Section("", {k: v for k, v in data.items() if not isinstance(v, Mapping)},
                   source, loc)
    for key in data:
        if isinstance(data[key], Mapping) and key not in CONFIG_KEYS:
            hint = difflib.get_close_matches(key, [k for k in CONFIG_KEYS if k], n=1)
            extra = f"; did you mean [{hint[0]}]?" if hint else ""
            raise InputError(f"{source}: unknown section [{key}]{extra}")
    title = top.text("title", default="") or ""
    top.finish()

    # [detector]
    d = _require_section(data, "detector", source, loc)
    process = d.text("process", default="single_crystal") or "single_crystal"
    try:
        get_process(process)
    except InputError as exc:
        raise d.error("process", str(exc)) from None
    detector = DetectorConfig(
        material=d.text("material", required=True) or "",
        thickness_m=d.quantity("thickness", "m", required=True, minimum=0, allow_zero=False),
        bias_V=d.quantity("bias", "V", required=True),
        temperature_K=d.quantity("temperature", "K", default=ROOM_TEMPERATURE_K, minimum=0,
                                 allow_zero=False),
        process=process,
        density_kg_m3=d.quantity("density", "kg/m**3", minimum=0, allow_zero=False),
        mu_tau_e_m2_per_V=d.quantity("mu_tau_e", "m**2/V", minimum=0, allow_zero=False),
        mu_tau_h_m2_per_V=d.quantity("mu_tau_h", "m**2/V", minimum=0, allow_zero=False),
        resistivity_ohm_m=d.quantity("resistivity", "ohm*m", minimum=0, allow_zero=False),
        dark_current_density_A_m2=d.quantity("dark_current_density", "A/m**2", minimum=0),
        ion_activation_energy_eV=d.quantity("ion_activation_energy", "eV", minimum=0),
        drift_amplitude=d.number("drift_amplitude", default=DEFAULT_DRIFT_AMPLITUDE,
                                 minimum=0),
        w_pair_eV=d.quantity("w_pair", "eV", minimum=0, allow_zero=False),
        fano_factor=d.number("fano_factor", default=DEFAULT_FANO_FACTOR, minimum=1e-6,
                             maximum=1.0),
    )
    if detector.bias_V == 0:
        raise d.error("bias", "must be non-zero: its sign sets the carrier the pixels collect")
    d.finish()

    # [mode] first: it fixes the array geometry
    m = _require_section(data, "mode", source, loc)
    kind = m.text("type", required=True, choices=MODES)

    # [panel]
    pn = _require_section(data, "panel", source, loc)
    defaults_rc = {"pixel_array": (None, None), "line_scan": (1, None), "point_scan": (1, 1)}
    rows = pn.number("rows", integer=True, minimum=1, default=defaults_rc[kind][0],
                     required=defaults_rc[kind][0] is None)
    cols = pn.number("columns", integer=True, minimum=1, default=defaults_rc[kind][1],
                     required=defaults_rc[kind][1] is None)
    if kind == "line_scan" and rows != 1:
        raise pn.error("rows", f"a line scanner is one row of pixels; got rows = {rows}")
    if kind == "point_scan" and (rows, cols) != (1, 1):
        raise pn.error("rows" if rows != 1 else "columns",
                       "a point scan uses one pixel: rows = columns = 1 (or leave them out)")
    cal = pn.raw("calibration_frames", [16, 16])
    if (not isinstance(cal, list) or len(cal) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in cal)):
        raise pn.error("calibration_frames", f"expected [dark, flat] integers >= 1, got {cal!r}")
    try:
        panel = Panel(
            pixel_pitch_m=pn.quantity("pitch", "m", required=True, minimum=0, allow_zero=False),
            rows=rows,
            columns=cols,
            integration_time_s=pn.quantity("integration_time", "s",
                                           required=kind == "pixel_array",
                                           default=1.0, minimum=0, allow_zero=False),
            electronic_noise_e=pn.number("electronic_noise", required=True, minimum=0),
            adc_bits=pn.number("adc_bits", required=True, integer=True, minimum=1, maximum=16),
            full_scale_charge_C=pn.quantity("full_scale_charge", "C", required=True, minimum=0,
                                            allow_zero=False),
            frame_rate_Hz=pn.quantity("frame_rate", "Hz", minimum=0, allow_zero=False),
            fill_factor=pn.number("fill_factor", default=1.0, minimum=1e-6, maximum=1.0),
            amplifier_gain_V_per_C=pn.quantity("amplifier_gain", "V/C", minimum=0,
                                               allow_zero=False),
            pedestal_fraction=pn.number("pedestal_fraction", default=0.02, minimum=0,
                                        maximum=0.5),
            lag_fraction=pn.number("lag_fraction", default=0.0, minimum=0, maximum=0.99),
            lag_time_constant_s=pn.quantity("lag_time_constant", "s", minimum=0,
                                            allow_zero=False),
            dead_pixel_fraction=pn.number("dead_pixel_fraction", default=0.0, minimum=0,
                                          maximum=0.5),
            gain_nonuniformity=pn.number("gain_nonuniformity", default=0.0, minimum=0),
            offset_nonuniformity_e=pn.number("offset_nonuniformity", default=0.0, minimum=0),
        )
    except InputError as exc:
        if str(exc).startswith(source):
            raise
        raise pn.error(None, str(exc)) from None
    settle = pn.quantity("bias_settle_time", "s", default=0.0, minimum=0)
    pn.finish()

    # [beam]
    b = _require_section(data, "beam", source, loc)
    spectrum = b.text("spectrum", required=True) or ""
    beam_cfg = BeamConfig(
        spectrum=spectrum,
        source_image_distance_m=b.quantity("source_image_distance", "m", default=1.0,
                                           minimum=0, allow_zero=False),
    )
    b.finish()

    # [mode], continued
    mode: Mode
    if kind == "pixel_array":
        mode = PixelArray(
            air_kerma_Gy=m.quantity("air_kerma", "Gy", required=True, minimum=0),
            frames=m.number("frames", default=1, integer=True, minimum=1),
        )
        shape = (int(rows), int(cols))
    elif kind == "line_scan":
        mode = LineScan(
            air_kerma_rate_Gy_per_s=m.quantity("air_kerma_rate", "Gy/s", required=True,
                                               minimum=0),
            scan_speed_m_per_s=m.quantity("scan_speed", "m/s", required=True, minimum=0,
                                          allow_zero=False),
            fan_width_m=m.quantity("fan_width", "m", minimum=0, allow_zero=False),
        )
        shape = (int(m.number("lines", default=cols, integer=True, minimum=1)), int(cols))
    else:
        points = m.raw("points")
        if (not isinstance(points, list) or len(points) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                           for v in points)):
            raise m.error("points", f"expected [rows, columns] integers >= 1, got {points!r}")
        mode = PointScan(
            air_kerma_rate_Gy_per_s=m.quantity("air_kerma_rate", "Gy/s", required=True,
                                               minimum=0),
            dwell_time_s=m.quantity("dwell_time", "s", required=True, minimum=0,
                                    allow_zero=False),
            step_time_s=m.quantity("step_time", "s", default=0.0, minimum=0),
            spot_size_m=m.quantity("spot_size", "m", minimum=0, allow_zero=False),
        )
        shape = (int(points[0]), int(points[1]))
    m.finish()

    # [simulation]
    s = _require_section(data, "simulation", source, loc, required=False)
    sim = SimulationConfig(
        seed=s.number("seed", default=0, integer=True, minimum=0),
        oversample=s.number("oversample", default=2, integer=True, minimum=1, maximum=8),
        energy_groups=s.number("energy_groups", default=8, integer=True, minimum=1,
                               maximum=64),
        kernels=s.text("kernels", default="monte_carlo", choices=KERNEL_METHODS)
        or "monte_carlo",
        histories=s.number("histories", default=200_000, integer=True, minimum=1000),
        kernel_half_width_m=s.quantity("kernel_half_width", "m", default=2e-3, minimum=0,
                                       allow_zero=False),
        depth_bins=s.number("depth_bins", default=16, integer=True, minimum=1, maximum=256),
        diffusion=s.boolean("diffusion", default=True),
    )
    if sim.kernels == "full_monte_carlo":
        _check_full_monte_carlo(s, kind, shape, sim)
    s.finish()

    # [object]
    o = _require_section(data, "object", source, loc, required=False)
    obj = _parse_object(o, sim, base)
    o.finish()

    # [output]
    out = _require_section(data, "output", source, loc, required=False)
    directory = out.text("directory")
    formats = out.raw("formats", list(OUTPUT_FORMATS))
    if not isinstance(formats, list) or any(f not in OUTPUT_FORMATS for f in formats):
        raise out.error("formats", f"expected a list of {', '.join(OUTPUT_FORMATS)}, got "
                                   f"{formats!r}")
    name = out.text("name", default="image") or "image"
    if not name or any(c in name for c in "/\\:"):
        raise out.error("name", f"must be a plain file stem, got {name!r}")
    output = OutputConfig(
        directory=None if directory is None else (base / directory),
        formats=tuple(formats),
        name=name,
    )
    out.finish()
    return SimulateConfig(
        detector=detector,
        panel=panel,
        beam=beam_cfg,
        mode=mode,
        image_shape=shape,
        object=obj,
        simulation=sim,
        output=output,
        calibration_frames=(int(cal[0]), int(cal[1])),
        bias_settle_s=float(settle or 0.0),
        title=title,
        source=source,
    )


def _check_full_monte_carlo(s: _Section, kind: str | None, shape: tuple[int, int],
                            sim: SimulationConfig) -> None:
    """Limits of ``kernels = "full_monte_carlo"``: pixel arrays, small panels."""
    from perovx.interaction.montecarlo.sources import FLUENCE_MAP_MAX_ENTRIES

    if kind != "pixel_array":
        raise s.error("kernels", f'"full_monte_carlo" simulates the reads of a pixel array '
                                 f'only; [mode] type is "{kind}": use kernels = '
                                 '"monte_carlo"')
    pixels = shape[0] * shape[1]
    if pixels > FULL_MC_MAX_PIXELS:
        raise s.error("kernels", f'"full_monte_carlo" is limited to panels of at most '
                                 f"{FULL_MC_MAX_PIXELS} pixels (256 × 256); this panel has "
                                 f"{shape[0]} × {shape[1]} = {pixels}: use kernels = "
                                 '"monte_carlo" or fewer [panel] rows/columns')
    cells = pixels * sim.oversample**2
    if cells * sim.energy_groups > FLUENCE_MAP_MAX_ENTRIES or cells * sim.depth_bins > 5e7:
        raise s.error("oversample", f'"full_monte_carlo" tallies {cells} cells × '
                                    f"{sim.energy_groups} energy groups × {sim.depth_bins} "
                                    "depth bins, beyond the Monte Carlo's table limits "
                                    f"({FLUENCE_MAP_MAX_ENTRIES} cells × groups, 5e7 cells × "
                                    "depth bins): lower oversample, energy_groups or "
                                    "depth_bins")


def _parse_object(o: _Section, sim: SimulationConfig, base: Path) -> ObjectConfig:
    phantom = o.text("phantom", default="none", choices=PHANTOM_NAMES) or "none"
    scatter = o.number("scatter_fraction", default=0.0, minimum=0.0, maximum=0.95)
    width = o.quantity("scatter_width", "m", default=30e-3, minimum=0, allow_zero=False)
    opts: dict[str, Any] = {}
    if phantom == "line_pairs":
        opts["bar_thickness_m"] = o.quantity("bar_thickness", "m", default=0.05e-3, minimum=0,
                                             allow_zero=False)
        opts["material"] = o.text("material", default="Pb")
        if o.has("frequencies"):
            freqs = o.raw("frequencies")
            if not isinstance(freqs, list) or not all(
                    isinstance(f, int | float) and not isinstance(f, bool) and f > 0
                    for f in freqs):
                raise o.error("frequencies", f"expected a list of lp/mm > 0, got {freqs!r}")
            opts["frequencies_lp_per_mm"] = tuple(float(f) for f in freqs)
        opts["bars"] = o.number("bars", default=3, integer=True, minimum=1)
    elif phantom == "edge":
        opts["angle_deg"] = o.quantity("angle", "deg", default=3.0, minimum=2.0, maximum=5.0)
        opts["material"] = o.text("material", default="W")
        opts["thickness_m"] = o.quantity("thickness", "m", default=1e-3, minimum=0,
                                         allow_zero=False)
    elif phantom == "contrast_detail":
        opts["plate_thickness_m"] = o.quantity("plate_thickness", "m", default=10e-3,
                                               minimum=0, allow_zero=False)
        opts["material"] = o.text("material", default="PMMA")
    elif phantom == "hand":
        length = o.quantity("length", "m", minimum=0, allow_zero=False)
        if length is not None:
            opts["length_m"] = length
    elif phantom == "circuit_board":
        opts["seed"] = o.number("seed", default=sim.seed, integer=True, minimum=0)
    elif phantom == "tiff":
        maps = o.raw("maps")
        if not isinstance(maps, Mapping) or not maps or not all(
                isinstance(v, str) for v in maps.values()):
            raise o.error("maps", "expected a table material = \"file.tif\" (at least one)")
        opts["paths"] = {k: (base / v) for k, v in maps.items()}
        spacing = o.quantity("spacing", "m", minimum=0, allow_zero=False)
        if spacing is not None:
            opts["spacing_m"] = spacing
        opts["thickness_unit_m"] = o.quantity("thickness_unit", "m", default=1e-3, minimum=0,
                                              allow_zero=False)
        custom = o.raw("materials", {})
        if not isinstance(custom, Mapping):
            raise o.error("materials", "expected a table of NAME = {formula, density}")
        if custom:
            from perovx.interaction.phantoms import get_phantom_material
            from perovx.units import parse_quantity

            defs = {}
            for name, spec in custom.items():
                if not isinstance(spec, Mapping) or "formula" not in spec or "density" not in spec:
                    raise o.error("materials", f"{name}: expected {{formula = ..., density = "
                                               "...}}")
                try:
                    rho = parse_quantity(spec["density"], "kg/m**3", name=f"{name} density",
                                         minimum=0, allow_zero=False)
                    defs[name] = get_phantom_material(
                        {"name": name, "formula": spec["formula"], "density_kg_m3": rho})
                except InputError as exc:
                    raise o.error("materials", str(exc)) from None
            opts["materials"] = defs
    return ObjectConfig(phantom=phantom, options=opts, scatter_fraction=float(scatter),
                        scatter_sigma_m=float(width or 30e-3))


# --------------------------------------------------------------------------- system


@dataclass(frozen=True, eq=False)
class EnergyGroups:
    """A beam's bins merged into groups that do not straddle the detector's K edges.

    Attributes
    ----------
    index
        Group of each bin of the beam.
    energy_keV
        Fluence-weighted mean energy of each group, keV.
    fluence_per_Gy
        Open-field photon fluence of each group, photons m⁻² Gy⁻¹.
    edges_keV
        K edges used as group boundaries, keV.
    """

    index: np.ndarray = field(repr=False)
    energy_keV: np.ndarray
    fluence_per_Gy: np.ndarray = field(repr=False)
    edges_keV: tuple[float, ...] = ()

    @property
    def count(self) -> int:
        """Number of groups."""
        return int(self.energy_keV.size)


def energy_groups(beam: Beam, absorber: Any, groups: int) -> EnergyGroups:
    """Split a beam into ``groups`` energy groups of similar photon number.

    Group boundaries always include the K edges of the absorber's elements that fall
    inside the spectrum (the deposition kernel changes abruptly there); the remaining
    groups are shared among the intervals in proportion to their photons and cut at
    equal photon fractions.

    Parameters
    ----------
    beam
        The beam.
    absorber
        The detector material (anything with ``composition``, or a Composition).
    groups
        Target number of groups (≥ 1); at least one per K-edge interval that holds photons.
    """
    import xraylib

    if int(groups) != groups or groups < 1:
        raise InputError(f"energy groups must be an integer >= 1, got {groups!r}")
    e = np.asarray(beam.energy_keV, dtype=float)
    f = np.asarray(beam.fluence_per_Gy, dtype=float)
    comp = getattr(absorber, "composition", absorber)
    edges = []
    for z in getattr(comp, "atomic_numbers", {}):
        try:
            k = float(xraylib.EdgeEnergy(int(z), xraylib.K_SHELL))
        except ValueError:
            continue
        if e.min() < k < e.max():
            edges.append(k)
    edges = sorted(set(edges))
    bounds = [-np.inf, *edges, np.inf]
    interval = np.searchsorted(np.asarray(edges), e, side="right") if edges else np.zeros(
        e.size, dtype=int)
    counts = np.array([f[interval == i].sum() for i in range(len(bounds) - 1)])
    occupied = counts > 0
    n_occ = int(occupied.sum())
    total = max(int(groups), n_occ)
    share = np.zeros(counts.size, dtype=int)
    share[occupied] = 1
    spare = total - n_occ
    while spare > 0:
        # give the next group to the interval with most photons per group
        i = int(np.argmax(np.where(occupied, counts / np.maximum(share, 1), -1)))
        share[i] += 1
        spare -= 1
    index = np.zeros(e.size, dtype=int)
    g = 0
    for i in range(counts.size):
        if not occupied[i]:
            continue
        sel = np.flatnonzero(interval == i)
        cum = np.cumsum(f[sel]) / f[sel].sum()
        parts = np.minimum((cum * share[i] - 1e-12).astype(int), share[i] - 1)
        parts = np.clip(parts, 0, None)
        # relabel to consecutive ids (a part may be empty for few bins)
        for j, uniq in enumerate(np.unique(parts)):
            index[sel[parts == uniq]] = g + j
        g += len(np.unique(parts))
    n = g
    energy = np.array([np.sum(f[index == k] * e[index == k]) / np.sum(f[index == k])
                       for k in range(n)])
    fluence = np.array([np.sum(f[index == k]) for k in range(n)])
    return EnergyGroups(index=index, energy_keV=energy, fluence_per_Gy=fluence,
                        edges_keV=tuple(edges))


#: Deposition kernels kept in memory (most recent sets), keyed by every parameter.
_KERNEL_CACHE: dict[tuple[Any, ...], list[Any]] = {}
_KERNEL_CACHE_SIZE = 16


def _kernels(
    material: Any,
    thickness_m: float,
    energies_keV: np.ndarray,
    *,
    sim: SimulationConfig,
    bin_m: float,
    density_kg_m3: float,
    progress: Callable[[str, float], None],
) -> list[Any]:
    """Deposition kernels at the group energies (cached within the process)."""
    half = math.ceil(sim.kernel_half_width_m / bin_m)
    # the full Monte Carlo still needs the kernels (calibration reads, summary)
    method = "local" if sim.kernels == "local" else "monte_carlo"
    key = (material.name, material.formula, thickness_m, tuple(np.round(energies_keV, 6)),
           bin_m, half, sim.depth_bins, method, sim.histories, sim.seed, density_kg_m3)
    if key in _KERNEL_CACHE:
        progress("kernels", 1.0)
        return _KERNEL_CACHE[key]
    out = []
    if method == "local":
        for e in energies_keV:
            out.append(local_deposition_kernel(material, thickness_m, float(e), bin_m=bin_m,
                                               half_width_bins=0, depth_bins=sim.depth_bins,
                                               density_kg_m3=density_kg_m3))
    else:
        try:
            from perovx.interaction.montecarlo import deposition_kernel
        except ImportError:
            raise InputError(
                f"[simulation] kernels = \"{sim.kernels}\": the Monte Carlo deposition kernels "
                "(perovx.interaction.montecarlo.deposition_kernel) are not available in this "
                "installation; use kernels = \"local\" (local-absorption approximation)"
            ) from None
        for i, e in enumerate(energies_keV):
            progress("kernels", i / len(energies_keV))
            out.append(deposition_kernel(
                material, thickness_m, float(e), bin_m=bin_m, half_width_bins=half,
                depth_bins=sim.depth_bins, histories=sim.histories, seed=sim.seed + i,
                density_kg_m3=density_kg_m3,
            ))
    progress("kernels", 1.0)
    while len(_KERNEL_CACHE) >= _KERNEL_CACHE_SIZE:
        _KERNEL_CACHE.pop(next(iter(_KERNEL_CACHE)))
    _KERNEL_CACHE[key] = out
    return out


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
    from perovx.transport.dark import dark_current_density

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
    film_density = process.packing_fraction * crystal
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
    cell = panel.pixel_pitch_m / sim.oversample
    kernels = _kernels(material, det.thickness_m, groups.energy_keV, sim=sim, bin_m=cell,
                       density_kg_m3=film_density, progress=report)
    report("response", 0.0)
    response = pixel_response(transport, pitch_m=panel.pixel_pitch_m,
                              depth_edges_m=kernels[0].depth_edges_m,
                              oversample=sim.oversample, fill_factor=panel.fill_factor,
                              diffusion=sim.diffusion)
    spreads = tuple(spread_functions(kernels, response))
    report("response", 1.0)

    # dark current and its drift
    ea_dark = material.activation_energy_eV.value if material.activation_energy_eV else None
    if det.dark_current_density_A_m2 is not None:
        j_dark = det.dark_current_density_A_m2
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

    # film non-uniformity
    film = None
    if process.name != "single_crystal":
        maps = film_maps(process, panel.shape, spacing_m=panel.pixel_pitch_m,
                         seed=sim.seed + 101)
        mu = layer_coefficients(material, groups.energy_keV,
                                density_kg_m3=film_density).mu_per_m
        weights = groups.fluence_per_Gy * np.array([s.electrons_per_photon for s in spreads])
        film = film_factors(maps, mu_per_m=mu, weights=weights, transport=transport)
    imager = Imager(
        panel=panel,
        spreads=spreads,
        dark_current_density_A_m2=j_dark,
        ion_migration=migration,
        film=film,
        pattern=panel.fixed_pattern(seed=sim.seed + 202),
        bias_settle_s=config.bias_settle_s,
        calibration_frames=config.calibration_frames,
        name=f"{material.name} {det.thickness_m * 1e3:g} mm",
    )
    return ImagingSystem(
        imager=imager, transport=transport, material=material, beam=beam, groups=groups,
        film_density_kg_m3=film_density, ion_migration=migration, notes=tuple(notes),
        response=response,
    )


def build_object(config: SimulateConfig) -> Phantom | None:
    """The object of a configuration on the cell grid of its imaging mode (None: open field)."""
    from perovx.interaction.phantoms import DEFAULT_LP_PER_MM, make_phantom, tiff_phantom

    obj = config.object
    os_ = config.simulation.oversample
    cell = config.panel.pixel_pitch_m / os_
    shape = (config.image_shape[0] * os_, config.image_shape[1] * os_)
    src = config.source
    opts = dict(obj.options)
    try:
        if obj.phantom == "none":
            return None
        if obj.phantom == "tiff":
            phantom = tiff_phantom(opts.pop("paths"), shape=shape, **opts)
            return replace(phantom, spacing_m=cell)
        if obj.phantom == "line_pairs" and "frequencies_lp_per_mm" not in opts:
            nyquist = 1e-3 / (2 * cell)
            opts["frequencies_lp_per_mm"] = tuple(f for f in DEFAULT_LP_PER_MM if f <= nyquist)
        return make_phantom(obj.phantom, shape, spacing_m=cell, **opts)
    except PerovxError as exc:
        raise type(exc)(f"{src}: [object]: {exc}") from None


def photon_transport(config: SimulateConfig, system: ImagingSystem) -> PhotonTransport | None:
    """The photon-by-photon transport of ``kernels = "full_monte_carlo"`` (else None)."""
    if config.simulation.kernels != "full_monte_carlo":
        return None
    from perovx.interaction.montecarlo import Stack

    if system.response is None:
        raise InputError(f"{config.source}: [simulation] kernels = \"full_monte_carlo\" "
                         "needs the system's pixel response (build it with build_system)")
    stack = Stack.slab(system.material, config.detector.thickness_m,
                       density_kg_m3=system.film_density_kg_m3)
    return PhotonTransport(stack=stack, energies_keV=system.groups.energy_keV,
                           response=system.response)


def _fluence(config: SimulateConfig, system: ImagingSystem,
             phantom: Phantom | None) -> np.ndarray:
    from perovx.interaction.phantoms import transmitted_fluence

    os_ = config.simulation.oversample
    shape = (config.image_shape[0] * os_, config.image_shape[1] * os_)
    scatter = config.object.scatter_fraction if isinstance(config.mode, PixelArray) else 0.0
    return transmitted_fluence(
        phantom, system.beam.energy_keV, system.beam.fluence_per_Gy, system.groups.index,
        groups=system.groups.count, scatter_fraction=scatter,
        scatter_sigma_m=config.object.scatter_sigma_m, shape=shape,
    )


# --------------------------------------------------------------------------- run and output


def _summary(config: SimulateConfig, system: ImagingSystem, acq: Acquisition,
             phantom: Phantom | None, timings: Mapping[str, float]) -> dict[str, Any]:
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
            "film_density_kg_m3": system.film_density_kg_m3,
            "mu_tau_e_cm2_per_V": None if t.mu_tau_e_m2_per_V is None
            else t.mu_tau_e_m2_per_V * 1e4,
            "mu_tau_h_cm2_per_V": None if t.mu_tau_h_m2_per_V is None
            else t.mu_tau_h_m2_per_V * 1e4,
            "w_pair_eV": t.w_pair_eV,
            "fano_factor": t.fano_factor,
            "dark_current_density_nA_per_cm2": system.imager.dark_current_density_A_m2 * 1e5,
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
        "object": None if phantom is None else {
            **phantom.to_dict(), "scatter_fraction": config.object.scatter_fraction},
        "acquisition": {
            **acq.plan.to_dict(),
            "saturated_fraction": acq.saturated_fraction,
            "dark_charge_per_read_e": acq.dark_e,
            "dark_fraction_of_full_scale": acq.dark_e / panel.full_scale_e,
            "defect_fraction": acq.calibration.defect_fraction,
            "calibration_valid": acq.calibration.valid,
        },
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


def _metadata(config: SimulateConfig, system: ImagingSystem, acq: Acquisition) -> dict[str, Any]:
    from perovx.spectra import QUALITIES

    spec = config.beam.spectrum.strip()
    kvp = None
    if spec.upper() in QUALITIES:
        kvp = float(QUALITIES[spec.upper()].kvp)
    elif "kvp" in spec.lower():
        try:
            kvp = float(spec.lower().split("kvp")[0])
        except ValueError:
            kvp = None
    meta = {
        "tube_voltage_kV": kvp,
        "exposure_time_s": acq.plan.acquisition_time_s,
        "entrance_air_kerma_Gy": acq.plan.entrance_air_kerma_Gy,
        "detector_air_kerma_Gy": acq.plan.detector_air_kerma_Gy,
        "source_detector_distance_m": config.beam.source_image_distance_m,
        "beam_quality": spec,
        "detector_type": "DIRECT",
        "detector_id": system.material.name[:16],
        "detector_description": f"{system.material.name} {config.detector.thickness_m * 1e3:g}"
                                f" mm, {config.detector.bias_V:+g} V, {config.detector.process}",
        "manufacturer": "perovx simulation",
        "imaging_mode": acq.plan.mode,
        "pixel_pitch_m": config.panel.pixel_pitch_m,
        "units": "ADC codes above offset (offset and gain corrected)",
        "dn_per_electron": config.panel.dn_per_electron,
    }
    return {k: v for k, v in meta.items() if v is not None}


def output_paths(config: SimulateConfig) -> list[Path]:
    """The files :func:`simulate` writes for ``config`` (empty without a directory)."""
    out = config.output
    if out.directory is None:
        return []
    directory = Path(out.directory)
    suffixes = {"tiff": [".tif", "_raw.tif"], "dicom": [".dcm"], "png": [".png"],
                "json": [".json"]}
    return [directory / f"{out.name}{sfx}" for fmt in out.formats for sfx in suffixes[fmt]]


def _write(image: xarray.DataArray, acq: Acquisition, summary: dict[str, Any],
           config: SimulateConfig, system: ImagingSystem) -> dict[str, str]:
    out = config.output
    assert out.directory is not None
    directory = Path(out.directory)
    directory.mkdir(parents=True, exist_ok=True)
    pitch = config.panel.pixel_pitch_m
    meta = _metadata(config, system, acq)
    files: dict[str, str] = {}
    data16 = np.clip(np.rint(image.values), 0, 65535).astype(np.uint16)
    if "tiff" in out.formats:
        from perovx.io.images import write_tiff

        files["tiff"] = str(write_tiff(directory / f"{out.name}.tif", data16,
                                       pixel_pitch_m=pitch, metadata=meta))
        raw16 = np.clip(np.rint(acq.raw_dn), 0, 65535).astype(np.uint16)
        files["tiff_raw"] = str(write_tiff(directory / f"{out.name}_raw.tif", raw16,
                                           pixel_pitch_m=pitch,
                                           metadata={**meta, "units": "raw ADC codes"}))
    if "dicom" in out.formats:
        from perovx.io.images import write_dicom

        files["dicom"] = str(write_dicom(directory / f"{out.name}.dcm", data16,
                                         pixel_pitch_m=pitch, metadata=meta))
    if "png" in out.formats:
        files["png"] = str(_preview(image.values, directory / f"{out.name}.png"))
    if "json" in out.formats:
        path = directory / f"{out.name}.json"
        files["json"] = str(path)
        summary = {**summary, "files": files}
        path.write_text(json.dumps(jsonable(summary), indent=2, allow_nan=False) + "\n",
                        encoding="utf-8")
    return files


def _preview(data: np.ndarray, path: Path) -> Path:
    """Grey-scale PNG windowed on the 0.5–99.5 % percentiles."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lo, hi = np.percentile(data, [0.5, 99.5])
    if hi <= lo:
        hi = lo + 1.0
    plt.imsave(path, data, cmap="gray", vmin=lo, vmax=hi)
    return path


def to_dataarray(acq: Acquisition, config: SimulateConfig, system: ImagingSystem,
                 summary: Mapping[str, Any] | None = None) -> xarray.DataArray:
    """The corrected image as a DataArray with pixel-centre coordinates in mm."""
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
        "detector": system.imager.name,
        "bias_V": config.detector.bias_V,
        "beam": config.beam.spectrum,
        "saturated_fraction": acq.saturated_fraction,
        "sensitivity_uC_per_Gy_cm2": system.sensitivity_C_per_Gy_m2() * 1e2,
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


def simulate(
    config: SimulateConfig | str | Path,
    *,
    write: bool = True,
    overwrite: bool = False,
    progress: Callable[[str, float], None] | None = None,
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
        run before anything is computed (:class:`~perovx.errors.FileFormatError`).
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
    and correction. Pixel arrays of at most :data:`FULL_MC_MAX_PIXELS` pixels only; the
    calibration reads, the noise-free expectation and the summary's sensitivity and
    noise budget use the Monte Carlo kernels.

    Returns
    -------
    xarray.DataArray
        Corrected image (ADC codes above offset), dims ``("y", "x")`` with pixel-centre
        coordinates in mm; ``attrs`` hold the acquisition data and, under
        ``"summary_json"``, the JSON summary.
    """
    cfg = config if isinstance(config, SimulateConfig) else load_config(config)
    if write and not overwrite:
        existing = [str(p) for p in output_paths(cfg) if p.exists()]
        if existing:
            raise FileFormatError(
                f"{existing[0]}: exists ({len(existing)} output file(s) in the way); "
                "choose another [output] directory or name, or pass --overwrite"
            )
    report = progress or (lambda stage, fraction: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    system = build_system(cfg, progress=report)
    timings["detector"] = time.perf_counter() - t0
    report("object", 0.0)
    t1 = time.perf_counter()
    phantom = build_object(cfg)
    fluence = _fluence(cfg, system, phantom)
    timings["object"] = time.perf_counter() - t1
    report("object", 1.0)
    report("acquisition", 0.0)
    t2 = time.perf_counter()
    acq = acquire(
        system.imager, fluence, system.groups.fluence_per_Gy, cfg.mode, seed=cfg.simulation.seed,
        source_image_distance_m=cfg.beam.source_image_distance_m,
        object_thickness_m=0.0 if phantom is None else phantom.max_thickness_m,
        photon_transport=photon_transport(cfg, system),
    )
    timings["acquisition"] = time.perf_counter() - t2
    report("acquisition", 1.0)
    summary = _summary(cfg, system, acq, phantom, timings)
    image = to_dataarray(acq, cfg, system, summary)
    if write and cfg.output.directory is not None:
        report("output", 0.0)
        files = _write(image, acq, summary, cfg, system)
        image.attrs["files"] = json.dumps(files)
        report("output", 1.0)
    return image
