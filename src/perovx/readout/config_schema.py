"""The schema of a ``perovx simulate`` TOML file, as pydantic models.

One model per TOML table (:class:`DetectorSection`, :class:`PanelSection`,
:class:`BeamSection`, the ``[mode]`` tables :class:`PixelArraySection`,
:class:`LineScanSection`, :class:`PointScanSection`, the ``[object]`` tables per phantom,
:class:`SimulationSection`, :class:`OutputSection`, :class:`LimitsSection`), gathered in
:class:`ConfigFile`. Unknown keys are refused; every quantity is read by
:func:`perovx.units.parse_quantity` with the bounds of its field; every validator raises
:class:`~perovx.errors.InputError` with a message that starts with the key, so that
:mod:`perovx.readout.config` can put the file and line in front of it. The
documentation of the keys (``perovx simulate --schema``, :func:`schema_markdown`,
:func:`json_schema`, ``docs/simulate-config.md``) is generated from these models.
"""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    WithJsonSchema,
)

from perovx.errors import InputError
from perovx.readout.counting import DEAD_TIME_MODELS
from perovx.readout.process import PROCESSES
from perovx.transport.charge import DEFAULT_FANO_FACTOR
from perovx.transport.dark import ROOM_TEMPERATURE_K
from perovx.transport.instability import DEFAULT_DRIFT_AMPLITUDE
from perovx.transport.scintillator import SCINTILLATORS

__all__ = [
    "CONFIG_KEYS",
    "FULL_MC_MAX_PIXELS",
    "KERNEL_METHODS",
    "MAX_PANEL_SIDE",
    "MAX_SEQUENCE_FRAMES",
    "MAX_THRESHOLDS",
    "MODES",
    "OUTPUT_FORMATS",
    "PHANTOM_NAMES",
    "SECTIONS",
    "SEQUENCE_PATTERNS",
    "AcquisitionSection",
    "BeamSection",
    "ConfigFile",
    "CountingSection",
    "DetectorSection",
    "FilmSection",
    "IndirectDetectorSection",
    "LimitsSection",
    "OutputSection",
    "PanelSection",
    "SimulationSection",
    "StackLayerSection",
    "StackSection",
    "json_schema",
    "schema_markdown",
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
#: Output files :func:`~perovx.readout.simulate.simulate` can write.
OUTPUT_FORMATS = ("tiff", "dicom", "json", "png")
MODES = ("pixel_array", "line_scan", "point_scan")
PHANTOM_NAMES = ("none", "line_pairs", "edge", "contrast_detail", "hand", "circuit_board", "tiff",
                 "volume", "chest", "bar_pattern", "iec_edge", "cdrad")
#: Exposure patterns of an ``[acquisition]`` frame sequence.
SEQUENCE_PATTERNS = ("radiography", "pulsed", "fluoroscopy", "moving_object", "ghost")
#: Largest number of frames of an ``[acquisition]`` sequence (the memory limit, which
#: counts 4 bytes per pixel and frame, usually refuses far fewer first).
MAX_SEQUENCE_FRAMES = 100_000
#: Largest number of lag terms (trap release time constants).
MAX_LAG_TERMS = 8
#: Largest number of rows, columns, lines or points along one side of an image (the
#: memory limit usually refuses far smaller images first).
MAX_PANEL_SIDE = 1_000_000


# --------------------------------------------------------------------------- field types
# Each validator raises InputError whose message starts with the key, so that the
# location (file:line: [section]) can be put in front of it.


def _key(info: ValidationInfo) -> str:
    return info.field_name or "value"


def _quantity_validator(unit: str, minimum: float | None, maximum: float | None,
                        allow_zero: bool) -> Callable[[Any, ValidationInfo], float]:
    def check(value: Any, info: ValidationInfo) -> float:
        from perovx.units import parse_quantity

        key = _key(info)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InputError(f"{key}: expected a number or a quantity text in {unit}, "
                             f"got {short(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"{key}: {value!r} is not a finite number")
        return parse_quantity(value, unit, name=key, minimum=minimum, maximum=maximum,
                              allow_zero=allow_zero)

    return check


def Quantity(unit: str, *, minimum: float | None = None, maximum: float | None = None,
             allow_zero: bool = True, description: str = "") -> Any:
    """A quantity field: a number in ``unit`` or a text with its unit (``"0.5 mm"``)."""
    bounds = []
    if minimum is not None:
        bounds.append(f"{'>=' if allow_zero else '>'} {minimum:g} {unit}")
    if maximum is not None:
        bounds.append(f"<= {maximum:g} {unit}")
    text = f"quantity in {unit}" + (f" ({', '.join(bounds)})" if bounds else "")
    schema: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "number"}],
                              "description": f"{description}; {text}" if description else text,
                              "x-unit": unit, "x-range": ", ".join(bounds)}
    return Annotated[float, BeforeValidator(_quantity_validator(unit, minimum, maximum,
                                                                allow_zero)),
                     WithJsonSchema(schema)]


def _number_validator(minimum: float | None, maximum: float | None,
                      integer: bool) -> Callable[[Any, ValidationInfo], float | int]:
    def check(value: Any, info: ValidationInfo) -> float | int:
        key = _key(info)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(f"{key}: expected {'an integer' if integer else 'a number'}, "
                             f"got {short(value)}")
        if not math.isfinite(value):
            raise InputError(f"{key}: {value!r} is not a finite number")
        if integer and int(value) != value:
            raise InputError(f"{key}: expected an integer, got {value!r}")
        if minimum is not None and value < minimum:
            raise InputError(f"{key}: must be >= {minimum:g}, got {value!r}")
        if maximum is not None and value > maximum:
            raise InputError(f"{key}: must be <= {maximum:g}, got {value!r}")
        return int(value) if integer else float(value)

    return check


def Number(*, minimum: float | None = None, maximum: float | None = None,
           integer: bool = False, description: str = "") -> Any:
    """A plain (dimensionless or fixed-unit) number field, finite and bounded."""
    schema: dict[str, Any] = {"type": "integer" if integer else "number"}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    if description:
        schema["description"] = description
    return Annotated[int if integer else float,
                     BeforeValidator(_number_validator(minimum, maximum, integer)),
                     WithJsonSchema(schema)]


def _text_validator(choices: tuple[str, ...] | None,
                    max_length: int) -> Callable[[Any, ValidationInfo], str]:
    def check(value: Any, info: ValidationInfo) -> str:
        key = _key(info)
        if not isinstance(value, str):
            raise InputError(f"{key}: expected text, got {short(value)}")
        if choices is not None and value not in choices:
            hint = difflib.get_close_matches(value, choices, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise InputError(f"{key}: {short(value)} is not one of {', '.join(choices)}{extra}")
        if len(value) > max_length:
            raise InputError(f"{key}: text of {len(value)} characters, at most {max_length} "
                             "allowed")
        return value

    return check


def Text(*, choices: tuple[str, ...] | None = None, max_length: int = 1000,
         description: str = "") -> Any:
    """A text field, optionally one of ``choices``."""
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if choices is not None:
        schema["enum"] = list(choices)
    if description:
        schema["description"] = description
    return Annotated[str, BeforeValidator(_text_validator(choices, max_length)),
                     WithJsonSchema(schema)]


def _boolean(value: Any, info: ValidationInfo) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{_key(info)}: expected true or false, got {short(value)}")
    return value


Boolean = Annotated[bool, BeforeValidator(_boolean), WithJsonSchema({"type": "boolean"})]


def _int_pair(value: Any, info: ValidationInfo) -> tuple[int, int]:
    names = {"calibration_frames": "[dark, flat]", "points": "[rows, columns]"}
    what = names.get(_key(info), "[a, b]")
    if (not isinstance(value, list | tuple) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_PANEL_SIDE
                       for v in value)):
        raise InputError(f"{_key(info)}: expected {what} integers from 1 to {MAX_PANEL_SIDE}, "
                         f"got {short(value)}")
    return int(value[0]), int(value[1])


IntPair = Annotated[tuple[int, int], BeforeValidator(_int_pair),
                    WithJsonSchema({"type": "array", "items": {"type": "integer", "minimum": 1},
                                    "minItems": 2, "maxItems": 2})]


def _frequencies(value: Any, info: ValidationInfo) -> tuple[float, ...]:
    if not isinstance(value, list) or not value or len(value) > 100 or not all(
            isinstance(f, int | float) and not isinstance(f, bool) and math.isfinite(f)
            and 0 < f <= 1000 for f in value):
        raise InputError(f"{_key(info)}: expected a list of 1 to 100 lp/mm in (0, 1000], got "
                         f"{short(value)}")
    return tuple(float(f) for f in value)


Frequencies = Annotated[tuple[float, ...], BeforeValidator(_frequencies),
                        WithJsonSchema({"type": "array", "items": {"type": "number"},
                                        "description": "line-pair frequencies, lp/mm"})]


def _formats(value: Any, info: ValidationInfo) -> tuple[str, ...]:
    if not isinstance(value, list) or any(not isinstance(f, str) or f not in OUTPUT_FORMATS
                                          for f in value):
        raise InputError(f"{_key(info)}: expected a list of {', '.join(OUTPUT_FORMATS)}, got "
                         f"{short(value)}")
    return tuple(dict.fromkeys(value))


Formats = Annotated[tuple[str, ...], BeforeValidator(_formats),
                    WithJsonSchema({"type": "array",
                                    "items": {"type": "string", "enum": list(OUTPUT_FORMATS)}})]


def _stem(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str) or not value or len(value) > 200 or value in (".", "..") \
            or any(c in value for c in "/\\:\0"):
        raise InputError(f"{_key(info)}: must be a plain file stem, got {short(value)}")
    return value


Stem = Annotated[str, BeforeValidator(_stem),
                 WithJsonSchema({"type": "string", "description": "file stem (no folder)"})]


def _memory(value: Any, info: ValidationInfo) -> float:
    from perovx.limits import parse_bytes

    return parse_bytes(value, name=_key(info))


def _duration(value: Any, info: ValidationInfo) -> float:
    from perovx.limits import parse_seconds

    return parse_seconds(value, name=_key(info))


def short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- the sections


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DetectorSection(_Section):
    """``[detector]``: the perovskite layer (direct conversion, the default kind)."""

    kind: Literal["direct"] = "direct"
    material: Text(description="database name or formula")
    thickness: Quantity("m", minimum=0, allow_zero=False)
    bias: Quantity("V", description="entrance electrode relative to the pixels; its sign "
                                    "sets the carrier collected")
    temperature: Quantity("K", minimum=0, allow_zero=False) = ROOM_TEMPERATURE_K
    process: Text(choices=tuple(PROCESSES)) = "single_crystal"
    density: Quantity("kg/m**3", minimum=0, allow_zero=False,
                      description="crystal density; the film has packing × this") | None = None
    mu_tau_e: Quantity("m**2/V", minimum=0, allow_zero=False) | None = None
    mu_tau_h: Quantity("m**2/V", minimum=0, allow_zero=False) | None = None
    resistivity: Quantity("ohm*m", minimum=0, allow_zero=False) | None = None
    dark_current_density: Quantity("A/m**2", minimum=0,
                                   description="overrides the resistivity") | None = None
    ion_activation_energy: Quantity("eV", minimum=0) | None = None
    drift_amplitude: Number(minimum=0, description="relative dark-current rise") = \
        DEFAULT_DRIFT_AMPLITUDE
    w_pair: Quantity("eV", minimum=0, allow_zero=False) | None = None
    fano_factor: Number(minimum=1e-6, maximum=1.0) = DEFAULT_FANO_FACTOR


# --- indirect detector kind (scintillator on photodiodes): perovx.readout.indirect ---
class IndirectDetectorSection(_Section):
    """``[detector]`` with ``kind = "indirect"``: a scintillator screen on a photodiode array.

    X-ray transport by the Monte Carlo in the phosphor at its packing density (K
    fluorescence of Cs, I, Gd included); light yield, the depth-dependent optical spread
    of :func:`perovx.transport.scintillator.optical_transfer` and the photodiodes' fill
    factor (``[panel] fill_factor``) and quantum efficiency. Omitted optical keys take the
    screen's catalogue values (``perovx.transport.scintillator.SCINTILLATORS``).
    """

    kind: Literal["indirect"]
    scintillator: Text(choices=tuple(SCINTILLATORS))
    thickness: Quantity("m", minimum=0, allow_zero=False)
    packing_fraction: Number(minimum=1e-6, maximum=1.0,
                             description="phosphor volume fraction") | None = None
    light_yield: Number(minimum=1e-6, maximum=1e3,
                        description="optical quanta per keV absorbed") | None = None
    photodiode_qe: Number(minimum=1e-6, maximum=1.0,
                          description="photodiode quantum efficiency at the emission")
    diffusion_length: Quantity("m", minimum=0, allow_zero=False,
                               description="optical absorption length 1/κ") | None = None
    lateral_ratio: Number(minimum=1e-6, maximum=1.0,
                          description="lateral/depth light diffusion ratio ρ") | None = None
    reflective_top: Boolean | None = None
    depth_layers: Number(integer=True, minimum=1, maximum=16,
                         description="layers whose noise is blurred apart (Lubberts "
                                     "effect)") = 4
    dark_current_density: Quantity("A/m**2", minimum=0,
                                   description="photodiode dark current") = 0.0


def _detector_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "direct"))
    return str(getattr(value, "kind", "direct"))


DetectorUnion = Annotated[Annotated[DetectorSection, Tag("direct")]
                          | Annotated[IndirectDetectorSection, Tag("indirect")],
                          Discriminator(_detector_kind)]
DETECTOR_KINDS = ("direct", "indirect")
# --- end indirect detector kind ---


class PanelSection(_Section):
    """``[panel]``: the readout array and its electronics."""

    pitch: Quantity("m", minimum=0, allow_zero=False)
    rows: Number(integer=True, minimum=1, maximum=MAX_PANEL_SIDE,
                 description="required for pixel arrays; 1 for scans") | None = None
    columns: Number(integer=True, minimum=1, maximum=MAX_PANEL_SIDE,
                    description="required for pixel arrays and line scans") | None = None
    fill_factor: Number(minimum=1e-6, maximum=1.0) = 1.0
    integration_time: Quantity("s", minimum=0, allow_zero=False,
                               description="required for pixel arrays") | None = None
    frame_rate: Quantity("Hz", minimum=0, allow_zero=False) | None = None
    amplifier_gain: Quantity("V/C", minimum=0, allow_zero=False) | None = None
    electronic_noise: Number(minimum=0, description="electrons rms")
    adc_bits: Number(integer=True, minimum=1, maximum=16)
    full_scale_charge: Quantity("C", minimum=0, allow_zero=False)
    pedestal_fraction: Number(minimum=0, maximum=0.5) = 0.02
    lag_fraction: Number(minimum=0, maximum=0.99) = 0.0
    lag_time_constant: Quantity("s", minimum=0, allow_zero=False) | None = None
    dead_pixel_fraction: Number(minimum=0, maximum=0.5) = 0.0
    gain_nonuniformity: Number(minimum=0) = 0.0
    offset_nonuniformity: Number(minimum=0, description="electrons rms") = 0.0
    calibration_frames: IntPair = (16, 16)
    bias_settle_time: Quantity("s", minimum=0) = 0.0


class BeamSection(_Section):
    """``[beam]``: spectrum and geometry."""

    spectrum: Text(description="beam spec: RQA5, 60keV, 70kVp:Al2.5 ...")
    source_image_distance: Quantity("m", minimum=0, allow_zero=False) = 1.0


class PixelArraySection(_Section):
    """``[mode]`` with ``type = "pixel_array"``: flat-panel exposure."""

    type: Literal["pixel_array"]
    air_kerma: Quantity("Gy", minimum=0, description="per frame at the detector")
    frames: Number(integer=True, minimum=1, description="frames averaged") = 1


class LineScanSection(_Section):
    """``[mode]`` with ``type = "line_scan"``: one row moved across the object."""

    type: Literal["line_scan"]
    air_kerma_rate: Quantity("Gy/s", minimum=0)
    scan_speed: Quantity("m/s", minimum=0, allow_zero=False)
    fan_width: Quantity("m", minimum=0, allow_zero=False) | None = None
    lines: Number(integer=True, minimum=1, maximum=MAX_PANEL_SIDE,
                  description="default: the number of columns") | None = None


class PointScanSection(_Section):
    """``[mode]`` with ``type = "point_scan"``: one pixel rastered across the object."""

    type: Literal["point_scan"]
    air_kerma_rate: Quantity("Gy/s", minimum=0)
    dwell_time: Quantity("s", minimum=0, allow_zero=False)
    step_time: Quantity("s", minimum=0) = 0.0
    spot_size: Quantity("m", minimum=0, allow_zero=False) | None = None
    points: IntPair


class _ObjectBase(_Section):
    scatter_fraction: Number(minimum=0.0, maximum=0.95) = 0.0
    scatter_width: Quantity("m", minimum=0, allow_zero=False) = 30e-3
    source_object_distance: Quantity(
        "m", minimum=0, allow_zero=False,
        description="focal spot to the object's mid-plane; magnification = "
                    "source_image_distance / this (default: the object on the "
                    "detector)") | None = None


class NoObjectSection(_ObjectBase):
    """``[object]`` with ``phantom = "none"``: open field."""

    phantom: Literal["none"]


class LinePairsSection(_ObjectBase):
    """``[object]`` with ``phantom = "line_pairs"``: bar groups."""

    phantom: Literal["line_pairs"]
    bar_thickness: Quantity("m", minimum=0, allow_zero=False) = 0.05e-3
    material: Text(description="phantom material") = "Pb"
    frequencies: Frequencies | None = None
    bars: Number(integer=True, minimum=1, maximum=100) = 3


class EdgeSection(_ObjectBase):
    """``[object]`` with ``phantom = "edge"``: a slanted edge (IEC 62220-1-1)."""

    phantom: Literal["edge"]
    angle: Quantity("deg", minimum=2.0, maximum=5.0) = 3.0
    material: Text(description="phantom material") = "W"
    thickness: Quantity("m", minimum=0, allow_zero=False) = 1e-3


class ContrastDetailSection(_ObjectBase):
    """``[object]`` with ``phantom = "contrast_detail"``."""

    phantom: Literal["contrast_detail"]
    plate_thickness: Quantity("m", minimum=0, allow_zero=False) = 10e-3
    material: Text(description="phantom material") = "PMMA"


class HandSection(_ObjectBase):
    """``[object]`` with ``phantom = "hand"``."""

    phantom: Literal["hand"]
    length: Quantity("m", minimum=0, allow_zero=False) | None = None


class ChestSection(_ObjectBase):
    """``[object]`` with ``phantom = "chest"``: an adult chest for a PA radiograph."""

    phantom: Literal["chest"]
    width: Quantity("m", minimum=0, allow_zero=False,
                    description="trunk width (default 340 mm); every size scales") | None = None


class CircuitBoardSection(_ObjectBase):
    """``[object]`` with ``phantom = "circuit_board"``."""

    phantom: Literal["circuit_board"]
    seed: Number(integer=True, minimum=0, maximum=2**63 - 1,
                 description="default: the [simulation] seed") | None = None


class BarPatternSection(_ObjectBase):
    """``[object]`` with ``phantom = "bar_pattern"``: a bar-pattern test device of fixed
    size (groups of bars per frequency, 1.5 mm apart, in rows), centred on the field."""

    phantom: Literal["bar_pattern"]
    frequencies: Frequencies | None = None
    bars: Number(integer=True, minimum=2, maximum=100) = 3
    bar_thickness: Quantity("m", minimum=0, allow_zero=False) = 0.05e-3
    bar_length: Quantity("m", minimum=0, allow_zero=False) = 5e-3
    material: Text(description="bar material (Pb, W or another phantom material)") = "Pb"
    groups_per_row: Number(integer=True, minimum=1, maximum=100) = 10


class IecEdgeSection(_ObjectBase):
    """``[object]`` with ``phantom = "iec_edge"``: the IEC 62220-1 edge device, a tilted
    tungsten plate of fixed size whose long edge crosses the field centre."""

    phantom: Literal["iec_edge"]
    angle: Quantity("deg", minimum=1.0, maximum=5.0) = 2.0
    thickness: Quantity("m", minimum=0, allow_zero=False) = 1e-3
    material: Text(description="plate material") = "W"
    length: Quantity("m", minimum=0, allow_zero=False,
                     description="plate size along the edge") = 0.100
    width: Quantity("m", minimum=0, allow_zero=False,
                    description="plate size across the edge") = 0.075


class CdradSection(_ObjectBase):
    """``[object]`` with ``phantom = "cdrad"``: a CDRAD-like contrast-detail plate of fixed
    size (15 × 15 cells, holes 0.3–8 mm wide and deep, a central and a corner hole)."""

    phantom: Literal["cdrad"]
    plate_thickness: Quantity("m", minimum=0, allow_zero=False) = 10e-3
    plate_size: Quantity("m", minimum=0, allow_zero=False) = 0.265
    material: Text(description="plate material") = "PMMA"
    seed: Number(integer=True, minimum=0, maximum=2**63 - 1,
                 description="seed of the corner-hole positions") = 0


class PhantomMaterial(_Section):
    """A material of a TIFF phantom: ``NAME = {formula = "...", density = "..."}``."""

    formula: Text()
    density: Quantity("kg/m**3", minimum=0, allow_zero=False)


class TiffSection(_ObjectBase):
    """``[object]`` with ``phantom = "tiff"``: thickness maps from TIFF files."""

    phantom: Literal["tiff"]
    maps: dict[str, Text(description="TIFF file, relative to the configuration")] = Field(
        min_length=1, description="material = \"file.tif\" (at least one)")
    spacing: Quantity("m", minimum=0, allow_zero=False) | None = None
    thickness_unit: Quantity("m", minimum=0, allow_zero=False) = 1e-3
    materials: dict[str, PhantomMaterial] = Field(default_factory=dict)


class VolumeSection(_ObjectBase):
    """``[object]`` with ``phantom = "volume"``: a labelled voxel volume (``.npy``), a CT
    volume in HU (``.nii`` / ``.nii.gz`` NIfTI, oriented by its affine, or a folder of
    DICOM slices) mapped to soft tissue and cortical bone, projected with polychromatic
    attenuation at its own size."""

    phantom: Literal["volume"]
    path: Text(description=".npy file, .nii/.nii.gz file or DICOM folder, relative to the "
                           "configuration")
    voxel_size: Quantity("m", minimum=0, allow_zero=False,
                         description="cubic voxel of a .npy volume (NIfTI, DICOM: from the "
                                     "headers)") | None = None
    labels: dict[str, Text(description="phantom material")] = Field(
        default_factory=dict, description="label = \"material\" of a .npy volume")
    view: Text(choices=("frontal", "lateral"),
               description="CT volumes: beam antero-posterior (frontal) or left-right "
                           "(lateral)") = "frontal"


ModeSection = Annotated[PixelArraySection | LineScanSection | PointScanSection,
                        Field(discriminator="type")]
ObjectSection = Annotated[NoObjectSection | LinePairsSection | EdgeSection
                          | ContrastDetailSection | HandSection | CircuitBoardSection
                          | TiffSection | VolumeSection | ChestSection | BarPatternSection
                          | IecEdgeSection | CdradSection,
                          Field(discriminator="phantom")]


class SimulationSection(_Section):
    """``[simulation]``: numerical settings."""

    seed: Number(integer=True, minimum=0, maximum=2**63 - 1) = 0
    oversample: Number(integer=True, minimum=1, maximum=8) = 2
    energy_groups: Number(integer=True, minimum=1, maximum=64) = 8
    kernels: Text(choices=KERNEL_METHODS) = "monte_carlo"
    histories: Number(integer=True, minimum=1000, maximum=1e12) = 200_000
    kernel_half_width: Quantity("m", minimum=0, allow_zero=False) = 2e-3
    depth_bins: Number(integer=True, minimum=1, maximum=256) = 16
    diffusion: Boolean = True


class OutputSection(_Section):
    """``[output]``: where and what to write."""

    directory: Text(description="folder, relative to the configuration file") | None = None
    formats: Formats = OUTPUT_FORMATS
    name: Stem = "image"


class LimitsSection(_Section):
    """``[limits]``: resource limits (default: the options, the environment, then half the
    machine's memory and 6 hours)."""

    max_memory: Annotated[float, BeforeValidator(_memory),
                          WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}],
                                          "description": "memory size, e.g. 16GB"})] | None = None
    max_time: Annotated[float, BeforeValidator(_duration),
                        WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}],
                                        "description": "duration, e.g. 2h"})] | None = None


class StackLayerSection(_Section):
    """One layer of ``[stack] layers``, from the entrance electrode to the pixels."""

    role: Text(choices=("contact", "absorber", "interlayer", "heterojunction"))
    name: Text(max_length=100) = ""
    thickness: Quantity("m", minimum=0, description="absorber: the [detector] thickness") \
        = 0.0
    material: Text(description="formula or database name, for the photon transport") \
        | None = None
    density: Quantity("kg/m**3", minimum=0, allow_zero=False) | None = None
    resistivity: Quantity("ohm*m", minimum=0, allow_zero=False) | None = None
    barrier: Quantity("eV", minimum=0, maximum=5,
                      description="injection barrier or band offset") = 0.0
    ideality: Number(minimum=1, maximum=10) = 1.0
    effective_mass: Number(minimum=1e-3, maximum=100, description="m*/m0") = 1.0
    rectifying: Boolean = False
    forward: Text(choices=("positive", "negative"),
                  description="entrance polarity that forward-biases the junction") \
        = "positive"
    trapped_fraction: Number(minimum=0, maximum=0.99,
                             description="signal fraction held at this interface") = 0.0
    release_time: Quantity("s", minimum=0, allow_zero=False,
                           description="release of held charge (none: lost)") | None = None
    ghost_per_trapped: Number(minimum=0, maximum=100,
                              description="sensitivity change per held fraction") = 0.0


class StackSection(_Section):
    """``[stack]``: contacts, interlayers and heterojunctions around the absorber.

    The stack sets the dark current (thermionic emission over its barrier in series with
    its resistance), the charge held at interfaces and the layers the photons cross
    (:mod:`perovx.transport.stack`).
    """

    layers: list[StackLayerSection] = Field(min_length=1, max_length=32)
    shunt_resistance: Quantity("ohm*m**2", minimum=0, allow_zero=False) | None = None


def _fractions(value: Any, info: ValidationInfo) -> tuple[float, ...]:
    if (not isinstance(value, list) or not 1 <= len(value) <= MAX_LAG_TERMS
            or not all(isinstance(f, int | float) and not isinstance(f, bool)
                       and math.isfinite(f) and 0 <= f < 1 for f in value)
            or sum(value) >= 1):
        raise InputError(f"{_key(info)}: expected a list of 1 to {MAX_LAG_TERMS} fractions in "
                         f"[0, 1) with a sum below 1, got {short(value)}")
    return tuple(float(f) for f in value)


def _durations(value: Any, info: ValidationInfo) -> tuple[float, ...]:
    from perovx.units import parse_quantity

    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LAG_TERMS:
        raise InputError(f"{_key(info)}: expected a list of 1 to {MAX_LAG_TERMS} times in s, "
                         f"got {short(value)}")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise InputError(f"{_key(info)}: expected times in s, got {short(item)}")
        out.append(parse_quantity(item, "s", name=_key(info), minimum=0, allow_zero=False))
    return tuple(out)


Fractions = Annotated[tuple[float, ...], BeforeValidator(_fractions),
                      WithJsonSchema({"type": "array", "items": {"type": "number"},
                                      "description": "fractions of each frame's signal "
                                                     "trapped per release term"})]
Durations = Annotated[tuple[float, ...], BeforeValidator(_durations),
                      WithJsonSchema({"type": "array",
                                      "items": {"anyOf": [{"type": "string"},
                                                          {"type": "number"}]},
                                      "description": "release time constants, s"})]


class AcquisitionSection(_Section):
    """``[acquisition]``: a sequence of frames with the panel's state carried between them.

    Lag and drift parameters default to the panel's single lag term and the material's
    ion migration; give the device twin's fitted values here to replace them.
    """

    pattern: Text(choices=SEQUENCE_PATTERNS,
                  description="radiography: one exposed frame, then dark frames; pulsed: "
                              "every pulse_every-th frame; fluoroscopy: every frame; "
                              "moving_object: every frame, object shifted; ghost: a bright "
                              "block, then uniform frames")
    frame_rate: Quantity("Hz", minimum=0, allow_zero=False)
    frames: Number(integer=True, minimum=2, maximum=MAX_SEQUENCE_FRAMES)
    air_kerma: Quantity("Gy", minimum=0, description="per exposed frame at the detector")
    exposed_frame: Number(integer=True, minimum=0, maximum=MAX_SEQUENCE_FRAMES,
                          description="radiography and ghost: first exposed frame") = 1
    pulse_every: Number(integer=True, minimum=1, maximum=MAX_SEQUENCE_FRAMES) = 2
    object_step: Quantity("m", description="moving_object: shift per frame along x") = 0.0
    block_air_kerma: Quantity("Gy", minimum=0,
                              description="ghost: kerma of the bright block frame") | None = None
    lag_fractions: Fractions | None = None
    lag_time_constants: Durations | None = None
    ghost_sensitivity_change: Number(minimum=-0.99, maximum=10,
                                     description="relative sensitivity change after "
                                                 "ghost_reference_air_kerma") = 0.0
    ghost_reference_air_kerma: Quantity("Gy", minimum=0, allow_zero=False) = 1e-3
    ghost_time_constant: Quantity("s", minimum=0, allow_zero=False) = 10.0
    drift_time_constant: Quantity("s", minimum=0, allow_zero=False,
                                  description="fitted dark-current drift; replaces the "
                                              "ion-migration estimate") | None = None
    drift_amplitude: Number(minimum=0, maximum=1e3) | None = None
    calibration_delay: Quantity("s", minimum=0,
                                description="from the end of the offset/gain calibration "
                                            "to the first frame") = 0.0


class FilmSection(_Section):
    """``[film]``: overrides of the microstructure of the [detector] process's film.

    Defaults: :data:`perovx.readout.film.STRUCTURES` for the process (stated assumptions).
    """

    grain_size: Quantity("m", minimum=0, description="median lateral grain size; 0: no "
                                                     "grain boundaries") | None = None
    grain_size_log_sigma: Number(minimum=0, maximum=2) | None = None
    columnar: Boolean | None = None
    fibre_volume_fraction: Number(minimum=0, maximum=0.9) | None = None
    crack_length_per_area: Quantity("1/m", minimum=0) | None = None
    crack_width: Quantity("m", minimum=0, allow_zero=False) | None = None
    adhesion_defect_fraction: Number(minimum=0, maximum=0.9) | None = None
    adhesion_patch: Quantity("m", minimum=0, allow_zero=False) | None = None
    adhesion_collection: Number(minimum=0, maximum=1) | None = None


# --------------------------------------------------------------------------- counting

#: Most thresholds (energy bins) of one counter.
MAX_THRESHOLDS = 8


def _thresholds(value: Any, info: ValidationInfo) -> tuple[float, ...]:
    from perovx.units import parse_quantity

    key = info.field_name or "thresholds"
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_THRESHOLDS:
        raise InputError(f"{key}: expected a list of 1 to {MAX_THRESHOLDS} energies "
                         f"(\"20 keV\" or numbers in keV), got {short(value)}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, str | int | float) or (
                isinstance(v, float) and not math.isfinite(v)):
            raise InputError(f"{key}: expected energies in keV, got {short(v)}")
        out.append(parse_quantity(v, "keV", name=key, minimum=0.5, maximum=800.0))
    if any(out[i + 1] <= out[i] for i in range(len(out) - 1)):
        raise InputError(f"{key}: thresholds must rise, got {short(value)}")
    return tuple(out)


Thresholds = Annotated[tuple[float, ...], BeforeValidator(_thresholds),
                       WithJsonSchema({"type": "array",
                                       "items": {"anyOf": [{"type": "string"},
                                                           {"type": "number"}]},
                                       "description": "rising energy thresholds, keV "
                                                      "(0.5–800 keV, 1–8 of them)"})]


class CountingSection(_Section):
    """``[counting]``: a photon-counting readout replacing the integrating panel."""

    thresholds: Thresholds = (10.0,)
    charge_sharing: Boolean = True
    anti_coincidence: Boolean = False
    dead_time: Quantity("s", minimum=0) = 0.0
    dead_time_model: Text(choices=DEAD_TIME_MODELS) = "non-paralysable"
    noise: Quantity("keV", minimum=0, description="rms electronic noise of a pulse") = 0.0
    initial_cloud: Quantity("m", minimum=0, description="rms charge-cloud size before "
                                                        "drift") = 0.0
    air_kerma_rate: Quantity("Gy/s", minimum=0, allow_zero=False,
                             description="at the detector; sets pile-up (required with a "
                                         "dead time)") | None = None
    histories: Number(integer=True, minimum=1000, maximum=5e6,
                      description="Monte Carlo events per energy group") = 50_000


class ConfigFile(_Section):
    """A whole ``perovx simulate`` TOML file."""

    title: Text() = ""
    detector: DetectorUnion
    panel: PanelSection
    beam: BeamSection
    mode: ModeSection
    object: ObjectSection = Field(default_factory=lambda: NoObjectSection(phantom="none"))
    simulation: SimulationSection = Field(default_factory=SimulationSection)
    output: OutputSection = Field(default_factory=OutputSection)
    limits: LimitsSection = Field(default_factory=LimitsSection)
    stack: StackSection | None = None
    acquisition: AcquisitionSection | None = None
    film: FilmSection | None = None
    counting: CountingSection | None = None


SECTIONS: dict[str, list[type[BaseModel]]] = {
    "detector": [DetectorSection, IndirectDetectorSection],
    "panel": [PanelSection],
    "beam": [BeamSection],
    "mode": [PixelArraySection, LineScanSection, PointScanSection],
    "object": [NoObjectSection, LinePairsSection, EdgeSection, ContrastDetailSection,
               HandSection, CircuitBoardSection, TiffSection, VolumeSection, ChestSection,
               BarPatternSection, IecEdgeSection, CdradSection],
    "simulation": [SimulationSection],
    "output": [OutputSection],
    "limits": [LimitsSection],
    "stack": [StackSection],
    "acquisition": [AcquisitionSection],
    "film": [FilmSection],
    "counting": [CountingSection],
}
#: Tables nested in a section's list (documented after the section).
NESTED: dict[str, list[tuple[str, type[BaseModel]]]] = {
    "stack": [("layers", StackLayerSection)],
}
TAGS = {"detector": ("kind", DETECTOR_KINDS), "mode": ("type", MODES),
        "object": ("phantom", PHANTOM_NAMES)}


def field_schema(model: type[BaseModel], name: str) -> dict[str, Any]:
    """The declared JSON schema of one field (its ``WithJsonSchema``), or ``{}``."""
    info = model.model_fields[name]
    candidates = [info.metadata, *(getattr(arg, "__metadata__", ())
                                   for arg in typing.get_args(info.annotation))]
    for metadata in candidates:
        for item in metadata:
            if isinstance(item, WithJsonSchema):
                return dict(item.json_schema or {})
    return {}


def describe(model: type[BaseModel], name: str) -> str:
    """Short type of a field: its unit, its choices, or its JSON type."""
    info = model.model_fields[name]
    if typing.get_origin(info.annotation) is Literal:
        return " | ".join(f'"{v}"' for v in typing.get_args(info.annotation))
    schema = field_schema(model, name)
    if "x-unit" in schema:
        return schema["x-unit"]
    if "enum" in schema:
        return " | ".join(schema["enum"])
    if "type" in schema:
        return {"string": "text", "array": "list"}.get(schema["type"], schema["type"])
    if typing.get_origin(info.annotation) is dict or "dict" in str(info.annotation):
        return "table"
    return "value"


def _config_keys() -> dict[str, dict[str, str]]:
    keys: dict[str, dict[str, str]] = {"": {"title": "text"}}
    for section, models in SECTIONS.items():
        table: dict[str, str] = {}
        for model in models:
            for name in model.model_fields:
                table.setdefault(name, describe(model, name))
        keys[section] = table
    return keys


#: Keys allowed in each section of the TOML file (unit in which a bare number is read),
#: generated from the models.
CONFIG_KEYS: dict[str, dict[str, str]] = _config_keys()


# --------------------------------------------------------------------------- documentation


def json_schema() -> dict[str, Any]:
    """The JSON schema of a ``perovx simulate`` file (generated from the models)."""
    schema = ConfigFile.model_json_schema()
    schema["title"] = "perovx simulate configuration"
    return schema


def _default(info: Any) -> str:
    if info.is_required():
        return "required"
    if info.default_factory is not None:
        return "{}"
    value = info.default
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _notes(model: type[BaseModel], name: str) -> str:
    schema = field_schema(model, name)
    parts = []
    if "x-unit" in schema:
        desc = schema.get("description", "")
        desc = desc.split("; quantity in ")[0] if "; quantity in " in desc else ""
        parts = [p for p in (desc, schema.get("x-range", "")) if p]
    else:
        if schema.get("description"):
            parts.append(schema["description"])
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None and hi is not None:
            parts.append(f"{lo:g} to {hi:g}")
        elif lo is not None:
            parts.append(f">= {lo:g}")
        elif hi is not None:
            parts.append(f"<= {hi:g}")
    info = model.model_fields[name]
    if not parts and info.description:
        parts.append(info.description)
    return "; ".join(parts).replace("|", "\\|")


def schema_markdown() -> str:
    """The keys of every table as Markdown: key, type or unit, default, notes.

    This is the text of ``perovx simulate --schema`` and of ``docs/simulate-config.md``.
    """
    lines = ["# `perovx simulate` configuration keys", "",
             "Generated from the pydantic models in `perovx.readout.config_schema` "
             "(`perovx simulate --schema`; `perovx simulate --schema --json` prints the JSON "
             "schema). Quantities take a unit (`\"0.5 mm\"`); a bare number is read in the "
             "unit shown. Unknown keys are refused.", "",
             "## top level", "", "| key | type / unit | default | notes |",
             "|---|---|---|---|", '| title | text | "" | |', ""]
    for section, models in SECTIONS.items():
        for model in models:
            head = f"## [{section}]"
            if section in TAGS:
                tag = TAGS[section][0]
                head += f" with {tag} = {describe(model, tag)}"
            doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
            lines += [head, "", doc, "", "| key | type / unit | default | notes |",
                      "|---|---|---|---|"]
            for name, info in model.model_fields.items():
                kind = describe(model, name).replace("|", "\\|")
                lines.append(f"| {name} | {kind} | {_default(info)} | {_notes(model, name)} |")
            lines.append("")
        for key, inner in NESTED.get(section, []):
            doc = (inner.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
            lines += [f"## [{section}] {key} (a list of inline tables)", "", doc, "",
                      "| key | type / unit | default | notes |", "|---|---|---|---|"]
            for name, info in inner.model_fields.items():
                kind = describe(inner, name).replace("|", "\\|")
                lines.append(f"| {name} | {kind} | {_default(info)} | {_notes(inner, name)} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
