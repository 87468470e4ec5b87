"""The axes of a sweep and their split into blocks of points.

A sweep is the Cartesian product of six axes, in this order (the dataset's dimensions):
``material``, ``beam``, ``temperature`` (K), ``pixel_pitch`` (m), ``thickness`` (m) and
either ``field`` (V m⁻¹; bias = field × thickness) or ``bias`` (V; field = bias /
thickness). The grid is cut into *blocks*: hyper-rectangles of about
``block_points`` points, filled from the innermost axis outwards. A block is the unit
of work sent to a Dask worker and the unit of checkpointing (one Zarr chunk of every
variable), so a block's position depends on the axes alone.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from perovx.errors import InputError

__all__ = ["DEFAULT_BLOCK_POINTS", "DIM_INFO", "SweepAxes", "block_shape", "iter_blocks",
           "n_blocks"]

#: Points per block by default (about 1–3 s of work for the detector-figures model).
DEFAULT_BLOCK_POINTS = 64

#: Dimension → (units, long name) of its coordinate.
DIM_INFO: dict[str, tuple[str, str]] = {
    "material": ("", "material"),
    "beam": ("", "beam quality"),
    "temperature": ("K", "operating temperature"),
    "pixel_pitch": ("m", "pixel pitch (square pixel; LoD area = pitch²)"),
    "thickness": ("m", "layer thickness"),
    "field": ("V m-1", "electric field"),
    "bias": ("V", "bias across the layer"),
}


def _floats(values: Sequence[float] | np.ndarray, name: str) -> tuple[float, ...]:
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise InputError(f"a sweep needs at least one {name} value")
    if len(set(arr.tolist())) != arr.size:
        raise InputError(f"sweep {name} values repeat: {arr.tolist()[:8]}")
    return tuple(float(v) for v in arr)


def _check(values: np.ndarray, key: str, unit: str) -> None:
    """Refuse values outside the row ``key`` of the field table."""
    from perovx.units import FIELDS

    row = FIELDS[key]
    ok = np.isfinite(values) & (values >= row.minimum) & (values <= row.maximum)
    if row.nonzero:
        ok &= values != 0
    bad = values[~ok]
    if bad.size:
        raise InputError(f"sweep {key} must be {row.range_text()}, got {bad.flat[0]:.4g} "
                         f"{unit} ({bad.size} value(s) outside)")


@dataclass(frozen=True)
class SweepAxes:
    """The coordinates of a sweep (SI units), checked against :data:`perovx.units.FIELDS`.

    Attributes
    ----------
    materials
        :class:`~perovx.materials.material.Material` objects (names unique).
    beams
        Beam specifications (``"RQA5"``, ``"60keV"``, ``"70kVp"``), unique.
    temperature_K
        Operating temperatures, K.
    pixel_pitch_m
        Pixel pitches, m (the limit of detection is for one pixel of area pitch²).
    thickness_m
        Layer thicknesses, m.
    field_V_per_m, bias_V
        Exactly one of them: electric fields, V m⁻¹, or biases, V.
    """

    materials: tuple[Any, ...]
    beams: tuple[str, ...]
    temperature_K: tuple[float, ...]
    pixel_pitch_m: tuple[float, ...]
    thickness_m: tuple[float, ...]
    field_V_per_m: tuple[float, ...] | None = None
    bias_V: tuple[float, ...] | None = None

    @classmethod
    def build(
        cls,
        materials: Sequence[Any],
        *,
        beams: Sequence[str],
        thickness_m: Sequence[float],
        field_V_per_m: Sequence[float] | None = None,
        bias_V: Sequence[float] | None = None,
        temperature_K: Sequence[float] | None = None,
        pixel_pitch_m: Sequence[float] | None = None,
    ) -> SweepAxes:
        """Check and resolve the axes (material names are looked up in the database).

        ``temperature_K`` defaults to room temperature (295 K) and ``pixel_pitch_m`` to
        1 mm (a 1 mm² electrode, the LoD convention of ``perovx evaluate``).

        Raises
        ------
        InputError
            An empty or repeated axis, a value outside its field's range, both or neither
            of field and bias, or a bias (field × thickness) out of range.
        """
        from perovx.transport.dark import ROOM_TEMPERATURE_K

        if not materials or not beams:
            raise InputError("a sweep needs at least one material, thickness, field and beam")
        if (field_V_per_m is None) == (bias_V is None):
            raise InputError("give the sweep either electric fields or biases, not "
                             + ("both" if field_V_per_m is not None else "neither"))
        t = np.asarray(_floats(thickness_m, "thickness"))
        _check(t, "thickness", "m")
        field = bias = None
        if field_V_per_m is not None:
            field = _floats(field_V_per_m, "electric field")
            _check(np.asarray(field), "electric field", "V/m")
            _check(np.outer(t, field), "bias", "V")
        else:
            bias = _floats(bias_V, "bias")  # type: ignore[arg-type]
            _check(np.asarray(bias), "bias", "V")
            _check(np.abs(np.outer(1 / t, bias)), "electric field", "V/m")
        temps = _floats(temperature_K if temperature_K is not None else [ROOM_TEMPERATURE_K],
                        "temperature")
        _check(np.asarray(temps), "temperature", "K")
        pitch = _floats(pixel_pitch_m if pixel_pitch_m is not None else [1e-3], "pixel pitch")
        _check(np.asarray(pitch), "pixel pitch", "m")
        beam_list = [str(b) for b in beams]
        if len(set(beam_list)) != len(beam_list):
            raise InputError(f"beams repeat in the sweep: {beam_list}")
        mats = _resolve(materials)
        names = [m.name for m in mats]
        if len(set(names)) != len(names):
            raise InputError(f"materials repeat in the sweep: {names}")
        return cls(tuple(mats), tuple(beam_list), temps, pitch, tuple(t.tolist()), field, bias)

    @property
    def voltage_dim(self) -> str:
        """``"field"`` or ``"bias"``: the name of the last dimension."""
        return "field" if self.field_V_per_m is not None else "bias"

    @property
    def dims(self) -> tuple[str, ...]:
        """Dimension names, outermost first."""
        return ("material", "beam", "temperature", "pixel_pitch", "thickness",
                self.voltage_dim)

    def values(self) -> dict[str, list[Any]]:
        """Coordinate values per dimension (materials by name)."""
        volts = self.field_V_per_m if self.field_V_per_m is not None else self.bias_V
        return {
            "material": [m.name for m in self.materials],
            "beam": list(self.beams),
            "temperature": list(self.temperature_K),
            "pixel_pitch": list(self.pixel_pitch_m),
            "thickness": list(self.thickness_m),
            self.voltage_dim: list(volts or ()),
        }

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values per dimension."""
        return tuple(len(v) for v in self.values().values())

    @property
    def size(self) -> int:
        """Number of points."""
        return math.prod(self.shape)

    def describe(self) -> dict[str, str]:
        """A short text per dimension (for messages): count and range."""
        out = {}
        for dim, vals in self.values().items():
            if isinstance(vals[0], str):
                out[dim] = ",".join(vals) if len(vals) <= 4 else f"{len(vals)} values"
            else:
                unit = DIM_INFO[dim][0]
                span = f"{vals[0]:.4g}" if len(vals) == 1 else f"{min(vals):.4g}…{max(vals):.4g}"
                out[dim] = f"{len(vals)} value(s) {span} {unit}".rstrip()
        return out

    def fingerprint(self, extra: Any = None) -> str:
        """SHA-256 of the coordinates (exact float reprs), the materials' data and ``extra``."""
        payload = {dim: [repr(v) for v in vals] for dim, vals in self.values().items()}
        payload["materials"] = [repr(m) for m in self.materials]
        payload["extra"] = repr(extra)
        text = json.dumps(payload, sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _resolve(materials: Sequence[Any]) -> list[Any]:
    if not any(isinstance(m, str) for m in materials):
        return list(materials)
    from perovx.materials import get_material

    return [get_material(m) if isinstance(m, str) else m for m in materials]


def block_shape(shape: Sequence[int], block_points: int) -> tuple[int, ...]:
    """Shape of one block: whole inner axes first, then a part of the next one out.

    Parameters
    ----------
    shape
        Number of values per dimension, outermost first.
    block_points
        Wanted points per block (≥ 1); a block never holds more.
    """
    if block_points < 1:
        raise InputError(f"points per block must be >= 1, got {block_points}")
    out = [1] * len(shape)
    room = block_points
    for k in range(len(shape) - 1, -1, -1):
        out[k] = max(1, min(shape[k], room))
        room //= out[k]
        if out[k] < shape[k] or room <= 1:
            break
    return tuple(out)


def iter_blocks(shape: Sequence[int], chunks: Sequence[int]
                ) -> Iterator[tuple[int, tuple[slice, ...]]]:
    """``(block id, slices)`` of every block, in C order of the block grid."""
    grid = [math.ceil(n / c) for n, c in zip(shape, chunks, strict=True)]
    for block_id, index in enumerate(np.ndindex(*grid)):
        yield block_id, tuple(slice(i * c, min((i + 1) * c, n))
                              for i, c, n in zip(index, chunks, shape, strict=True))


def n_blocks(shape: Sequence[int], chunks: Sequence[int]) -> int:
    """Number of blocks of the grid."""
    return math.prod(math.ceil(n / c) for n, c in zip(shape, chunks, strict=True))
