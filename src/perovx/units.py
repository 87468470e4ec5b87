"""Units at the edges of perovx.

Inside perovx every quantity is a plain float in SI units (m, s, V, A, C, Gy, kg m⁻³),
with one deliberate exception: photon energies are in keV and always carry ``_keV`` in
their names, as in the interaction-data libraries (xraylib, SpekPy) the code talks to.
Field units (µC Gy⁻¹ cm⁻², nGy s⁻¹, µm, cm²) appear only where users type or read
numbers (CLI, files, reports) and are converted here with ``pint``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from perovx.errors import InputError

if TYPE_CHECKING:
    import pint

__all__ = ["convert", "parse_quantity", "ureg"]


@cache
def _registry() -> pint.UnitRegistry:
    import pint

    # pint parses its definitions file on every start (~0.15 s); with a cache folder it
    # reads the parsed result back instead. Any trouble with the folder: parse as usual.
    try:
        from perovx.home import cache_dir

        folder = cache_dir("pint")
        folder.mkdir(parents=True, exist_ok=True)
        reg = pint.UnitRegistry(cache_folder=folder)
    except Exception:
        reg = pint.UnitRegistry()
    # Air kerma is an absorbed dose in air; the field writes it Gy_air.
    reg.define("Gy_air = gray")
    reg.define("Gyair = gray")
    return reg


def ureg() -> pint.UnitRegistry:
    """The shared pint unit registry (created on first use)."""
    return _registry()


def _normalise(text: str) -> str:
    return (
        text.strip()
        .replace("µ", "u")
        .replace("μ", "u")
        .replace("Ω", "ohm")
        .replace("²", "**2")
        .replace("³", "**3")
        .replace("⁻¹", "**-1")
        .replace("⁻²", "**-2")
    )


def parse_quantity(
    value: str | float | int,
    unit: str,
    *,
    name: str = "value",
    default_unit: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    allow_zero: bool = True,
) -> float:
    """Parse a quantity such as ``"1mm"`` or ``"500 um"`` and return it in ``unit``.

    Parameters
    ----------
    value
        Text with a unit (``"100V"``, ``"0.04cm2"``, ``"5 nGy/s"``) or a bare number.
    unit
        Unit of the returned float, e.g. ``"m"`` or ``"V"``.
    name
        Name of the quantity, used in error messages (``"thickness"``).
    default_unit
        Unit assumed for a bare number; if ``None`` a bare number is taken in ``unit``.
    minimum, maximum
        Allowed range in ``unit`` (inclusive); out of range raises :class:`InputError`.
    allow_zero
        Whether exactly zero is allowed when ``minimum`` is 0.

    Returns
    -------
    float
        The magnitude in ``unit``.
    """
    import pint

    reg = _registry()
    if isinstance(value, int | float):
        magnitude, from_unit = float(value), default_unit or unit
        q = reg.Quantity(magnitude, _normalise(from_unit))
    else:
        text = _normalise(str(value))
        if not text:
            raise InputError(f"{name}: empty value, expected a number with a unit of {unit}")
        # "0.04cm2" -> "0.04 cm**2": pint does not read a bare trailing exponent. Only the
        # unit part is rewritten, so the "e5" of "1e5ohm*cm" stays a number.
        import re

        number = re.match(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", text)
        split = number.end() if number else 0
        unit_text = re.sub(r"([a-zA-Z])(\d)(?![\d.])", r"\1**\2", text[split:]).strip()
        unit_text = unit_text.replace("°C", "degC").replace("°F", "degF")
        try:
            if number and unit_text and not unit_text.startswith(("*", "/")):
                # number and unit apart, so offset units (40 degC) convert correctly
                q = reg.Quantity(float(text[:split]), unit_text)
            else:
                q = reg.Quantity(text[:split] + " " + unit_text)
        except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
            raise InputError(
                f"{name}: cannot read {value!r} as a quantity in {unit} ({exc})"
            ) from None
        except Exception:
            raise InputError(f"{name}: cannot read {value!r} as a quantity in {unit}") from None
        if isinstance(q, int | float) or q.dimensionless:
            q = reg.Quantity(float(q if isinstance(q, int | float) else q.magnitude),
                             _normalise(default_unit or unit))
    try:
        out = float(q.to(_normalise(unit)).magnitude)
    except pint.errors.DimensionalityError:
        raise InputError(
            f"{name}: {value!r} has units of {q.units:~}, which cannot be converted to {unit}"
        ) from None
    if out != out:  # NaN
        raise InputError(f"{name}: {value!r} is not a number")
    if minimum is not None and (out < minimum or (not allow_zero and out == minimum)):
        bound = ">=" if allow_zero else ">"
        raise InputError(f"{name} must be {bound} {minimum:g} {unit}, got {value!r}")
    if maximum is not None and out > maximum:
        raise InputError(f"{name} must be <= {maximum:g} {unit}, got {value!r}")
    return out


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a float between units, e.g. ``convert(s, "C/(Gy*m**2)", "uC/(Gy*cm**2)")``."""
    reg = _registry()
    return float(reg.Quantity(value, _normalise(from_unit)).to(_normalise(to_unit)).magnitude)
