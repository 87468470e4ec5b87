"""The schema of a ``perovx simulate`` TOML file, as pydantic models.

One model per TOML table (:class:`DetectorSection`, :class:`PanelSection`,
:class:`BeamSection`, the ``[mode]`` tables :class:`PixelArraySection`,
:class:`LineScanSection`, :class:`PointScanSection`, the ``[object]`` tables per phantom,
:class:`SimulationSection`, :class:`OutputSection`, :class:`LimitsSection`), gathered in
:class:`ConfigFile`. Unknown keys are refused; every quantity is read by
:func:`perovx.units.parse_quantity` with the bounds of its field; every validator raises
:class:`~perovx.errors.InputError` with a message that starts with the key, so that
:mod:`perovx.readout.config` can put the file and line in front of it. The
field types and limits live in :mod:`perovx.readout.config_fields`; the documentation of
the keys (``perovx simulate --schema``, ``docs/simulate-config.md``) is generated from these
models by :mod:`perovx.readout.config_docs`.
"""

from __future__ import annotations

import math
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
from perovx.readout.config_fields import (
    FULL_MC_MAX_PIXELS,
    FULL_MC_MAX_PIXELS_CUDA,
    KERNEL_METHODS,
    MAX_LAG_TERMS,
    MAX_PANEL_SIDE,
    MAX_SEQUENCE_FRAMES,
    MC_BACKENDS,
    MODES,
    OUTPUT_FORMATS,
    PHANTOM_NAMES,
    SEQUENCE_PATTERNS,
    Boolean,
    Formats,
    Frequencies,
    IntPair,
    Number,
    Quantity,
    Stem,
    Text,
    describe,
    duration_value,
    field_key,
    memory_value,
    short,
)
from perovx.readout.counting import DEAD_TIME_MODELS
from perovx.readout.process import PROCESSES
from perovx.transport.charge import DEFAULT_FANO_FACTOR
from perovx.transport.dark import ROOM_TEMPERATURE_K
from perovx.transport.instability import DEFAULT_DRIFT_AMPLITUDE
from perovx.transport.scintillator import SCINTILLATORS

__all__ = [
    "CONFIG_KEYS",
    "FULL_MC_MAX_PIXELS",
    "FULL_MC_MAX_PIXELS_CUDA",
    "KERNEL_METHODS",
    "MAX_PANEL_SIDE",
    "MAX_SEQUENCE_FRAMES",
    "MAX_THRESHOLDS",
    "MC_BACKENDS",
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
    "describe",
    "short",
]


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
    backend: Text(choices=MC_BACKENDS,
                  description='where kernels = "full_monte_carlo" transports the photons: '
                              'CPU cores or an NVIDIA GPU') = "cpu"


class OutputSection(_Section):
    """``[output]``: where and what to write."""

    directory: Text(description="folder, relative to the configuration file") | None = None
    formats: Formats = OUTPUT_FORMATS
    name: Stem = "image"


class LimitsSection(_Section):
    """``[limits]``: resource limits (default: the options, the environment, then half the
    machine's memory and 6 hours)."""

    max_memory: Annotated[float, BeforeValidator(memory_value),
                          WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}],
                                          "description": "memory size, e.g. 16GB"})] | None = None
    max_time: Annotated[float, BeforeValidator(duration_value),
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
        raise InputError(f"{field_key(info)}: expected a list of 1 to {MAX_LAG_TERMS} fractions in "
                         f"[0, 1) with a sum below 1, got {short(value)}")
    return tuple(float(f) for f in value)


def _durations(value: Any, info: ValidationInfo) -> tuple[float, ...]:
    from perovx.units import parse_quantity

    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LAG_TERMS:
        raise InputError(f"{field_key(info)}: expected a list of 1 to {MAX_LAG_TERMS} times in s, "
                         f"got {short(value)}")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise InputError(f"{field_key(info)}: expected times in s, got {short(item)}")
        out.append(parse_quantity(item, "s", name=field_key(info), minimum=0, allow_zero=False))
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
