"""Field types of the ``perovx simulate`` schema: bounded quantities, numbers, text and
lists read from TOML values, each refusing a bad value with :class:`~perovx.errors.InputError`
whose message starts with the key; and the short description of a field used by the
documentation and the error messages."""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ValidationInfo,
    WithJsonSchema,
)

from perovx.errors import InputError

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
#: Where the photon-by-photon Monte Carlo of ``kernels = "full_monte_carlo"`` runs: the
#: CPU cores (numba) or an NVIDIA GPU (numba-cuda).
MC_BACKENDS = ("cpu", "cuda")
#: Largest panel for ``kernels = "full_monte_carlo"`` with ``backend = "cuda"``:
#: 2048 × 2048 pixels (the cells × groups and cells × depth bins limits still apply).
FULL_MC_MAX_PIXELS_CUDA = 2048 * 2048
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


def field_key(info: ValidationInfo) -> str:
    return info.field_name or "value"


def _quantity_validator(unit: str, minimum: float | None, maximum: float | None,
                        allow_zero: bool) -> Callable[[Any, ValidationInfo], float]:
    def check(value: Any, info: ValidationInfo) -> float:
        from perovx.units import parse_quantity

        key = field_key(info)
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
        key = field_key(info)
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
        key = field_key(info)
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
        raise InputError(f"{field_key(info)}: expected true or false, got {short(value)}")
    return value


Boolean = Annotated[bool, BeforeValidator(_boolean), WithJsonSchema({"type": "boolean"})]


def _int_pair(value: Any, info: ValidationInfo) -> tuple[int, int]:
    names = {"calibration_frames": "[dark, flat]", "points": "[rows, columns]"}
    what = names.get(field_key(info), "[a, b]")
    if (not isinstance(value, list | tuple) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_PANEL_SIDE
                       for v in value)):
        raise InputError(f"{field_key(info)}: expected {what} integers from 1 to {MAX_PANEL_SIDE}, "
                         f"got {short(value)}")
    return int(value[0]), int(value[1])


IntPair = Annotated[tuple[int, int], BeforeValidator(_int_pair),
                    WithJsonSchema({"type": "array", "items": {"type": "integer", "minimum": 1},
                                    "minItems": 2, "maxItems": 2})]


def _frequencies(value: Any, info: ValidationInfo) -> tuple[float, ...]:
    if not isinstance(value, list) or not value or len(value) > 100 or not all(
            isinstance(f, int | float) and not isinstance(f, bool) and math.isfinite(f)
            and 0 < f <= 1000 for f in value):
        raise InputError(f"{field_key(info)}: expected a list of 1 to 100 lp/mm in (0, 1000], got "
                         f"{short(value)}")
    return tuple(float(f) for f in value)


Frequencies = Annotated[tuple[float, ...], BeforeValidator(_frequencies),
                        WithJsonSchema({"type": "array", "items": {"type": "number"},
                                        "description": "line-pair frequencies, lp/mm"})]


def _formats(value: Any, info: ValidationInfo) -> tuple[str, ...]:
    if not isinstance(value, list) or any(not isinstance(f, str) or f not in OUTPUT_FORMATS
                                          for f in value):
        raise InputError(f"{field_key(info)}: expected a list of {', '.join(OUTPUT_FORMATS)}, got "
                         f"{short(value)}")
    return tuple(dict.fromkeys(value))


Formats = Annotated[tuple[str, ...], BeforeValidator(_formats),
                    WithJsonSchema({"type": "array",
                                    "items": {"type": "string", "enum": list(OUTPUT_FORMATS)}})]


def _stem(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str) or not value or len(value) > 200 or value in (".", "..") \
            or any(c in value for c in "/\\:\0"):
        raise InputError(f"{field_key(info)}: must be a plain file stem, got {short(value)}")
    return value


Stem = Annotated[str, BeforeValidator(_stem),
                 WithJsonSchema({"type": "string", "description": "file stem (no folder)"})]


def memory_value(value: Any, info: ValidationInfo) -> float:
    from perovx.limits import parse_bytes

    return parse_bytes(value, name=field_key(info))


def duration_value(value: Any, info: ValidationInfo) -> float:
    from perovx.limits import parse_seconds

    return parse_seconds(value, name=field_key(info))


def short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


