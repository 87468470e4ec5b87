"""Units at the edges of perovx.

Inside perovx every quantity is a plain float in SI units (m, s, V, A, C, Gy, kg m⁻³),
with one deliberate exception: photon energies are in keV and always carry ``_keV`` in
their names, as in the interaction-data libraries (xraylib, SpekPy) the code talks to.
Field units (µC Gy⁻¹ cm⁻², nGy s⁻¹, µm, cm²) appear only where users type or read
numbers (CLI, files, reports) and are converted here.

Every quantity a user types goes through :func:`parse_quantity`, which reads exactly one
decimal number and one unit expression (:mod:`perovx.units._grammar`: no arithmetic, a
bounded length, small integer exponents), refuses non-finite values, and checks the
range of the field it belongs to (:data:`perovx.units.fields.FIELDS`). It does not
import pint: reading a quantity costs microseconds, not pint's 0.4–0.7 s of import and
registry building. pint's full registry (:func:`ureg`) remains for lab-file column
headers; it is built from pint's own definitions on first use and never cached on disk
(pint's disk cache is a pickle, which would run code planted in the cache folder).
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING

from perovx.errors import InputError
from perovx.units._grammar import from_si, normalise, parse_unit, split_number, to_si
from perovx.units.fields import FIELDS, Field, field_table_markdown

if TYPE_CHECKING:
    import pint

__all__ = [
    "FIELDS",
    "MAX_TEXT_LENGTH",
    "Field",
    "convert",
    "field_table_markdown",
    "parse_quantity",
    "ureg",
]

#: Longest quantity text read, characters (longer input is refused unread).
MAX_TEXT_LENGTH = 100
#: Longest echo of a refused value in an error message, characters.
_ECHO = 40


@cache
def _registry() -> pint.UnitRegistry:
    import pint

    # No cache_folder: pint's parsed-definitions cache is a pickle loaded at start-up.
    reg = pint.UnitRegistry()
    # Air kerma is an absorbed dose in air; the field writes it Gy_air.
    reg.define("Gy_air = gray")
    reg.define("Gyair = gray")
    return reg


def ureg() -> pint.UnitRegistry:
    """The shared pint unit registry (created on first use), for lab-file column headers."""
    return _registry()


def echo(value: object) -> str:
    """``repr`` of a user's value, cut to a bounded length for error messages."""
    try:
        text = repr(value)
    except ValueError:  # an int with more digits than Python will print
        return f"<{type(value).__name__} too long to show>"
    if len(text) > _ECHO:
        size = len(value) if isinstance(value, str) else len(text)
        return f"{text[:_ECHO - 5]}… ({size} characters)"
    return text


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def parse_quantity(
    value: str | float | int,
    unit: str | None = None,
    *,
    field: str | None = None,
    name: str | None = None,
    default_unit: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    allow_zero: bool = True,
) -> float:
    """Parse a quantity such as ``"1mm"`` or ``"500 um"`` and return it in ``unit``.

    Parameters
    ----------
    value
        One decimal number and a unit (``"100V"``, ``"0.04cm2"``, ``"5 nGy/s"``,
        ``"1e11 ohm*cm"``, ``"40 degC"``), a bare number, or a float. Arithmetic
        (``"2*3mm"``, ``"10**3 V"``), non-finite numbers (``inf``, ``nan``, ``1e400``)
        and text longer than :data:`MAX_TEXT_LENGTH` characters are refused.
    unit
        Unit of the returned float, e.g. ``"m"`` or ``"V"``; defaults to the field's.
    field
        Name of a row of :data:`FIELDS` (``"thickness"``, ``"bias"``, ``"dose rate"``):
        sets ``unit`` (if not given), the name in messages and the allowed range.
    name
        Name of the quantity in error messages (default: the field's name, or "value").
    default_unit
        Unit assumed for a bare number; if ``None`` a bare number is taken in ``unit``.
    minimum, maximum
        Further allowed range in ``unit`` (inclusive), on top of the field's.
    allow_zero
        Whether exactly zero is allowed when ``minimum`` is 0.

    Returns
    -------
    float
        The magnitude in ``unit``, finite.

    Raises
    ------
    InputError
        One line: the name, the value (cut to 40 characters), what is wrong and, for a
        field, its allowed range, e.g. ``thickness must be between 100 nm and 10 cm, got
        '1 km' (1000 m)``.
    """
    row: Field | None = None
    if field is not None:
        row = FIELDS.get(field)
        if row is None:
            raise KeyError(f"no field {field!r} in perovx.units.FIELDS")  # programming error
        unit = unit or row.unit
    if unit is None:
        raise TypeError("parse_quantity needs a unit or a field")
    label = name or (row.name if row else "value")
    target = parse_unit(normalise(unit))
    unit_text = ""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"{label}: expected a number with a unit of {unit}, got {echo(value)}")
    if isinstance(value, str):
        if len(value) > MAX_TEXT_LENGTH:
            raise InputError(f"{label}: {echo(value)} is too long for a quantity "
                             f"(at most {MAX_TEXT_LENGTH} characters)")
        text = normalise(value)
        if not text:
            raise InputError(f"{label}: empty value, expected a number with a unit of {unit}")
        try:
            number, unit_text = split_number(text)
            source = parse_unit(unit_text) if unit_text else None
        except InputError as exc:
            lower = text.lower().lstrip("+-")
            if lower.startswith(("inf", "nan")):
                raise InputError(f"{label}: {echo(value)} is not a finite number") from None
            raise InputError(f"{label}: cannot read {echo(value)} as a quantity in {unit}: "
                             f"{exc}") from None
    else:
        try:
            number, source = float(value), None
        except OverflowError:  # an int beyond the float range
            raise InputError(f"{label}: {echo(value)} is not a finite number") from None
    source_text = unit_text or default_unit or unit
    if source is None:
        source = parse_unit(normalise(default_unit)) if default_unit else target
    if not math.isfinite(number):
        raise InputError(f"{label}: {echo(value)} is not a finite number")
    if source.dims != target.dims:
        raise InputError(f"{label}: {echo(value)} has units of {source_text}, which cannot "
                         f"be converted to {unit}")
    out = from_si(to_si(number, source), target)  # float overflow gives inf, refused next
    if not math.isfinite(out):
        raise InputError(f"{label}: {echo(value)} is out of any meaningful range")
    if row is not None:
        if not row.minimum <= out <= row.maximum or (row.nonzero and out == 0):
            raise InputError(f"{label} must be {row.range_text()}, got {echo(value)} "
                             f"({_fmt(out)} {unit})")
    if minimum is not None and (out < minimum or (not allow_zero and out == minimum)):
        bound = ">=" if allow_zero else ">"
        raise InputError(f"{label} must be {bound} {minimum:g} {unit}, got {echo(value)}")
    if maximum is not None and out > maximum:
        raise InputError(f"{label} must be <= {maximum:g} {unit}, got {echo(value)}")
    return float(out)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a float between units, e.g. ``convert(s, "C/(Gy*m**2)", "uC/(Gy*cm**2)")``."""
    source, target = parse_unit(normalise(from_unit)), parse_unit(normalise(to_unit))
    if source.dims != target.dims:
        raise InputError(f"cannot convert {from_unit} to {to_unit}")
    return from_si(to_si(float(value), source), target)
