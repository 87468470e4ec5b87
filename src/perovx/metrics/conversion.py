"""Conversion functions: stored pixel value → air kerma or relative exposure.

IEC 62220-1-1:2015 (5.2 and 6.3.1) computes the MTF, NPS and DQE on *linearised* data:
every pixel value is first converted through the detector's conversion function, the
measured relation between pixel value and air kerma at the detector surface. A camera's
opto-electronic conversion function (OECF, ISO 14524), tabulated as relative exposure
against grey value, plays the same part for slanted-edge SFRs of gamma-encoded images
(ISO 12233:2014, 6.2: "the OECF is applied to linearise the data").

:class:`ConversionFunction` holds such a table and applies it; :func:`read_conversion_function`
reads one from a two-column text file.

Interpolation
-------------
Between table points the function is **piecewise linear** (``"linear"``, default: exact
at every tabulated pixel value, so a table with one row per pixel value reproduces it
exactly) or **monotone cubic** (``"pchip"``, SciPy's ``PchipInterpolator``, Fritsch–Carlson:
smooth and still monotone between coarse points). Pixel values outside the tabulated range
are refused, never extrapolated.

File layout
-----------
Two numeric columns separated by commas, semicolons, tabs or spaces; lines starting with
``#`` or ``%`` are comments; one header line is allowed. Without a header the pixel value
is the first column (``order="pixel,value"``); MITRE SFR's ``oecf.txt`` has them the other
way round (relative response, grey value): ``order="value,pixel"``. With a header, the
column whose name holds *pixel*, *grey*/*gray*, *DN*, *ADU* or *digital* is the pixel
value, the other the converted quantity (its name, e.g. ``air kerma (uGy)``, is kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from perovx.errors import FileFormatError, InputError

__all__ = [
    "INTERPOLATIONS",
    "ConversionFunction",
    "read_conversion_function",
]

INTERPOLATIONS = ("linear", "pchip")
_ORDERS = ("pixel,value", "value,pixel")
_PIXEL_WORDS = re.compile(r"pixel|gr[ae]y|\bdn\b|\badu\b|digital|code|signal", re.IGNORECASE)
_SPLIT = re.compile(r"[,;\t ]+")


@dataclass(frozen=True, eq=False)
class ConversionFunction:
    """A monotone table from stored pixel value to a quantity linear in exposure.

    Attributes
    ----------
    pixel_value
        Tabulated pixel values (the image's stored units), strictly increasing.
    value
        The converted quantity at those pixel values (air kerma, relative exposure ...),
        strictly increasing or strictly decreasing.
    quantity
        Name of the converted quantity with its unit, e.g. ``"relative exposure"`` or
        ``"air kerma (uGy)"``; only used in notes.
    interpolation
        ``"linear"`` (piecewise linear) or ``"pchip"`` (monotone cubic).
    source
        Where the table came from (file name), for notes.
    """

    pixel_value: np.ndarray
    value: np.ndarray
    quantity: str = "relative exposure"
    interpolation: str = "linear"
    source: str = "table"

    def __post_init__(self) -> None:
        x = np.asarray(self.pixel_value, dtype=np.float64)
        y = np.asarray(self.value, dtype=np.float64)
        where = f"conversion function {self.source}"
        if x.ndim != 1 or y.shape != x.shape:
            raise InputError(f"{where}: pixel values and values must be two 1-D columns of "
                             f"one length, got shapes {x.shape} and {y.shape}")
        if x.size < 2:
            raise InputError(f"{where}: needs at least 2 points, got {x.size}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise InputError(f"{where}: contains NaN or infinite numbers")
        if self.interpolation not in INTERPOLATIONS:
            raise InputError(f"{where}: interpolation must be one of "
                             f"{', '.join(INTERPOLATIONS)}, got {self.interpolation!r}")
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        dx = np.diff(x)
        if np.any(dx == 0):
            i = int(np.nonzero(dx == 0)[0][0])
            raise InputError(f"{where}: pixel value {x[i]:g} appears twice; each pixel value "
                             "must have one converted value")
        dy = np.diff(y)
        if not (np.all(dy > 0) or np.all(dy < 0)):
            bad = int(np.nonzero(np.sign(dy) != np.sign(dy[np.argmax(np.abs(dy))]))[0][0])
            raise InputError(
                f"{where}: not strictly monotonic: pixel values {x[bad]:g} → {x[bad + 1]:g} "
                f"give {y[bad]:g} → {y[bad + 1]:g}; a conversion function must rise (or fall) "
                "throughout"
            )
        object.__setattr__(self, "pixel_value", x)
        object.__setattr__(self, "value", y)

    @property
    def air_kerma_Gy_per_unit(self) -> float | None:
        """Gy per unit of the converted quantity when it is an air kerma with a unit
        (``"air kerma (uGy)"`` → 1e-6), else ``None`` (relative exposure, no unit)."""
        m = re.search(r"kerma\b.*?[(\[]\s*([^)\]]+?)\s*[)\]]", self.quantity, re.IGNORECASE)
        if m is None:
            return None
        from perovx.units import parse_quantity

        try:
            return parse_quantity(f"1 {m.group(1)}", "Gy", name=self.quantity)
        except InputError:
            return None

    @property
    def pixel_range(self) -> tuple[float, float]:
        """Smallest and largest tabulated pixel value."""
        return float(self.pixel_value[0]), float(self.pixel_value[-1])

    def describe(self) -> str:
        """One sentence for the notes of a result."""
        lo, hi = self.pixel_range
        how = ("piecewise-linear" if self.interpolation == "linear"
               else "monotone cubic (PCHIP)")
        return (f"pixel values converted to {self.quantity} through the conversion function "
                f"{self.source} ({self.pixel_value.size} points, pixel values {lo:g}–{hi:g}, "
                f"{how} interpolation) before the analysis")

    def __call__(self, data: Any, *, where: str = "image") -> np.ndarray:
        """Convert pixel values; float64 array of the same shape.

        Raises
        ------
        InputError
            Pixel values outside the tabulated range (none is extrapolated).
        """
        arr = np.asarray(data, dtype=np.float64)
        lo, hi = self.pixel_range
        finite = arr[np.isfinite(arr)]
        if finite.size:
            dmin, dmax = float(finite.min()), float(finite.max())
            if dmin < lo or dmax > hi:
                n_lo = int(np.count_nonzero(finite < lo))
                n_hi = int(np.count_nonzero(finite > hi))
                raise InputError(
                    f"{where}: pixel values {dmin:g}–{dmax:g} reach outside the conversion "
                    f"function {self.source}, which covers {lo:g}–{hi:g} ({n_lo} pixels "
                    f"below, {n_hi} above); extend the table to every pixel value (or check "
                    "the column order: pixel value first, or order='value,pixel' / "
                    "--conversion-order value,pixel)"
                )
        if self.interpolation == "linear":
            return np.interp(arr, self.pixel_value, self.value)
        from scipy.interpolate import PchipInterpolator

        return PchipInterpolator(self.pixel_value, self.value, extrapolate=False)(arr)


def _numbers(fields: list[str]) -> list[float] | None:
    try:
        return [float(f) for f in fields]
    except ValueError:
        return None


def read_conversion_function(
    path: str | Path,
    *,
    order: str = "pixel,value",
    interpolation: str = "linear",
) -> ConversionFunction:
    """Read a conversion function (or camera OECF) from a two-column text file.

    Parameters
    ----------
    path
        Text file: pixel value and converted quantity per line (see the module notes).
    order
        ``"pixel,value"`` (default) or ``"value,pixel"`` (MITRE SFR ``oecf.txt``); a
        header naming the pixel column decides by itself.
    interpolation
        ``"linear"`` or ``"pchip"``.

    Returns
    -------
    ConversionFunction

    Raises
    ------
    FileFormatError
        Missing file, a line that is not two numbers, or no data.
    InputError
        Unknown ``order``, or a table that is not strictly monotonic.
    """
    p = Path(path)
    if order not in _ORDERS:
        raise InputError(f"conversion order must be one of {', '.join(_ORDERS)}, got {order!r}")
    if not p.is_file():
        raise FileFormatError(f"{p}: no such conversion-function file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{p}: cannot read the conversion function ({exc})") from None
    header: list[str] | None = None
    rows: list[list[float]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#%":
            continue
        fields = [f for f in _SPLIT.split(stripped) if f]
        if "," in stripped or ";" in stripped or "\t" in stripped:
            fields = [f.strip() for f in re.split(r"[,;\t]", stripped) if f.strip()]
        nums = _numbers(fields)
        if nums is None:
            if rows or header is not None:
                raise FileFormatError(f"{p}:{lineno}: expected two numbers, got {stripped!r}")
            header = fields
            continue
        if len(nums) != 2:
            raise FileFormatError(f"{p}:{lineno}: expected two numbers (pixel value and "
                                  f"converted value), got {len(nums)}: {stripped!r}")
        rows.append(nums)
    if not rows:
        raise FileFormatError(f"{p}: no data lines in the conversion function")
    table = np.asarray(rows, dtype=np.float64)
    pixel_col = 0 if order == "pixel,value" else 1
    quantity = "relative exposure"
    if header is not None and len(header) == 2:
        hits = [bool(_PIXEL_WORDS.search(h)) for h in header]
        if hits.count(True) == 1:
            pixel_col = hits.index(True)
        quantity = header[1 - pixel_col]
    return ConversionFunction(
        pixel_value=table[:, pixel_col], value=table[:, 1 - pixel_col], quantity=quantity,
        interpolation=interpolation, source=p.name,
    )
