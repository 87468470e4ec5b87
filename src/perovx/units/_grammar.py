"""The small unit grammar behind :func:`perovx.units.parse_quantity`.

A unit expression is a product of unit names, each with an optional SI prefix and a
small integer exponent, joined by ``*``, ``/``, ``·`` or a space, with parentheses:
``ohm*cm``, ``nGy/s``, ``uC/(Gy*cm2)``, ``cm**2/V``, ``m^-3``. Nothing else is read: no
numbers other than exponents, no functions, no arithmetic, so no text can make the
parser do more than a few hundred steps (the expression length and nesting depth are
bounded too).

Only the units perovx fields need are known (the table :data:`UNITS` below); every
factor is an exact SI definition (BIPM SI Brochure, 9th ed., 2019; the electronvolt
from the exact elementary charge). pint's full registry stays available for lab-file
headers through :func:`perovx.units.ureg`; this grammar exists because importing pint
and building its registry costs 0.4–0.7 s per command and pint evaluates integer powers
exactly (``10**10**10 mm`` never returns).
"""

from __future__ import annotations

import math
import re

from perovx.errors import InputError

__all__ = ["MAX_DEPTH", "MAX_EXPONENT", "MAX_UNIT_LENGTH", "Unit", "parse_unit"]

#: Longest unit expression read, characters.
MAX_UNIT_LENGTH = 64
#: Deepest parenthesis nesting read.
MAX_DEPTH = 3
#: Largest |exponent| of one unit or group.
MAX_EXPONENT = 6

# Dimension vector order: metre, kilogram, second, ampere, kelvin.
_L, _M, _T, _I, _K = (1, 0, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (0, 0, 0, 1, 0), (
    0, 0, 0, 0, 1)
_NONE = (0, 0, 0, 0, 0)


def _dims(**powers: int) -> tuple[int, ...]:
    order = ("m", "kg", "s", "A", "K")
    return tuple(powers.get(k, 0) for k in order)


_ENERGY = _dims(m=2, kg=1, s=-2)
_VOLT = _dims(m=2, kg=1, s=-3, A=-1)
_OHM = _dims(m=2, kg=1, s=-3, A=-2)
_DOSE = _dims(m=2, s=-2)  # gray = J/kg
_E_CHARGE = 1.602176634e-19  # C, exact since the 2019 SI

#: name → (factor to SI, dimension vector, takes an SI prefix, offset in kelvin or None).
UNITS: dict[str, tuple[float, tuple[int, ...], bool, float | None]] = {
    "m": (1.0, _L, True, None), "meter": (1.0, _L, False, None),
    "metre": (1.0, _L, False, None), "micron": (1e-6, _L, False, None),
    "angstrom": (1e-10, _L, False, None), "Å": (1e-10, _L, False, None),
    "g": (1e-3, _M, True, None),
    "s": (1.0, _T, True, None), "sec": (1.0, _T, False, None),
    "min": (60.0, _T, False, None), "h": (3600.0, _T, False, None),
    "hr": (3600.0, _T, False, None), "hour": (3600.0, _T, False, None),
    "day": (86400.0, _T, False, None),
    "A": (1.0, _I, True, None),
    "K": (1.0, _K, True, None), "kelvin": (1.0, _K, False, None),
    "degC": (1.0, _K, False, 273.15), "°C": (1.0, _K, False, 273.15),
    "celsius": (1.0, _K, False, 273.15),
    "degF": (5.0 / 9.0, _K, False, 459.67), "°F": (5.0 / 9.0, _K, False, 459.67),
    "V": (1.0, _VOLT, True, None), "volt": (1.0, _VOLT, False, None),
    "J": (1.0, _ENERGY, True, None), "eV": (_E_CHARGE, _ENERGY, True, None),
    "W": (1.0, _dims(m=2, kg=1, s=-3), True, None),
    "C": (1.0, _dims(s=1, A=1), True, None),
    "Gy": (1.0, _DOSE, True, None), "Gy_air": (1.0, _DOSE, True, None),
    "Gyair": (1.0, _DOSE, True, None), "gray": (1.0, _DOSE, False, None),
    "ohm": (1.0, _OHM, True, None), "Ω": (1.0, _OHM, True, None),
    "S": (1.0, _dims(m=-2, kg=-1, s=3, A=2), True, None),
    "F": (1.0, _dims(m=-2, kg=-1, s=4, A=2), True, None),
    "Hz": (1.0, _dims(s=-1), True, None),
    "deg": (math.pi / 180, _NONE, False, None), "degree": (math.pi / 180, _NONE, False, None),
    "°": (math.pi / 180, _NONE, False, None), "radian": (1.0, _NONE, False, None),
    "percent": (0.01, _NONE, False, None), "%": (0.01, _NONE, False, None),
    "dimensionless": (1.0, _NONE, False, None), "lp": (1.0, _NONE, False, None),
    "e": (1.0, _NONE, False, None), "electrons": (1.0, _NONE, False, None),
}

#: SI prefixes accepted before a unit marked as taking one.
PREFIXES: dict[str, float] = {
    "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "c": 1e-2, "m": 1e-3, "u": 1e-6, "µ": 1e-6,
    "μ": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15,
}

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_TOKEN = re.compile(
    r"\s*(?:(?P<pow>\*\*|\^)|(?P<op>[*/·⋅()])|(?P<num>[-+]?\d+)"
    r"|(?P<sup>[⁻¹²³⁴⁵⁶⁷⁸⁹⁰]+)|(?P<name>[A-Za-z_°Ωµμ%Å]+))"
)


class Unit:
    """A parsed unit: ``value_SI = (value + offset) × factor`` in base units ``dims``.

    A plain slotted class, not a dataclass: building a dataclass compiles code at import,
    which every command would pay.
    """

    __slots__ = ("dims", "factor", "offset")

    def __init__(self, factor: float, dims: tuple[int, ...], offset: float | None = None) -> None:
        self.factor, self.dims, self.offset = factor, dims, offset

    def __mul__(self, other: Unit) -> Unit:
        return Unit(self.factor * other.factor,
                    tuple(a + b for a, b in zip(self.dims, other.dims, strict=True)))

    def __pow__(self, n: int) -> Unit:
        return Unit(self.factor**n, tuple(a * n for a in self.dims))


def _lookup(name: str, text: str) -> Unit:
    entry = UNITS.get(name)
    if entry is None and len(name) > 1 and name[0] in PREFIXES:
        base = UNITS.get(name[1:])
        if base is not None and base[2]:
            entry = (PREFIXES[name[0]] * base[0], base[1], True, base[3])
    if entry is None:
        raise InputError(f"unknown unit {name!r}")
    factor, dims, _, offset = entry
    return Unit(factor, dims, offset)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise InputError(f"unexpected {text[pos]!r} in the unit {text!r}")
        kind = m.lastgroup or ""
        if kind == "num" and m.start(kind) > pos:
            kind = "spaced"  # "cm 2" is not "cm2": a spaced number is never an exponent
        out.append((kind, m.group(m.lastgroup or "")))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0
        self.offset_seen = False

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def fail(self, what: str) -> InputError:
        return InputError(f"{what} in the unit {self.text!r}")

    def product(self) -> Unit:
        unit = self.power()
        while (tok := self.peek()) is not None and not (tok == ("op", ")")):
            if tok in (("op", "*"), ("op", "·"), ("op", "⋅")):
                self.i += 1
                unit = unit * self.power()
            elif tok == ("op", "/"):
                self.i += 1
                unit = unit * self.power() ** -1
            elif tok[0] in ("name",) or tok == ("op", "("):
                unit = unit * self.power()  # "ohm cm": a space multiplies
            else:
                raise self.fail(f"unexpected {tok[1]!r}")
        return unit

    def power(self) -> Unit:
        tok = self.peek()
        if tok is None:
            raise self.fail("a unit is missing")
        self.i += 1
        if tok == ("op", "("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(f"more than {MAX_DEPTH} nested parentheses")
            unit = self.product()
            if self.peek() != ("op", ")"):
                raise self.fail("a ')' is missing")
            self.i += 1
            self.depth -= 1
        elif tok[0] == "name":
            unit = _lookup(tok[1], self.text)
            self.offset_seen |= unit.offset is not None
        elif tok == ("num", "1"):
            unit = Unit(1.0, _NONE)  # "1/s", "1/cm3"
        elif tok[0] in ("num", "spaced"):
            raise self.fail(f"a number ({tok[1]}) where a unit name belongs; "
                            "give one number followed by its unit, no arithmetic")
        else:
            raise self.fail(f"unexpected {tok[1]!r}")
        exponent = self.exponent()
        if exponent != 1:
            if unit.offset is not None:
                raise self.fail("an offset temperature unit (degC, degF) cannot take a power")
            unit = unit**exponent
        return unit

    def exponent(self) -> int:
        tok = self.peek()
        if tok is None:
            return 1
        if tok[0] == "pow":
            self.i += 1
            tok = self.peek()
            if tok is None or tok[0] != "num":
                raise self.fail("an integer exponent must follow ** or ^")
        elif tok[0] == "sup":
            tok = ("num", tok[1].translate(_SUPERSCRIPT))
        elif tok[0] != "num" or tok[1][0] in "+-":
            return 1  # "cm2" is a power; "cm-2" is not read as one
        self.i += 1
        try:
            n = int(tok[1])
        except ValueError:
            raise self.fail(f"bad exponent {tok[1]!r}") from None
        if not 0 < abs(n) <= MAX_EXPONENT:
            raise self.fail(f"exponent {n} outside ±1…±{MAX_EXPONENT}")
        return n


def parse_unit(text: str) -> Unit:
    """Read a unit expression (``"uC/(Gy*cm2)"``) as a factor to SI and a dimension vector.

    Raises
    ------
    InputError
        For anything but a product of known units with small integer exponents, or an
        expression longer than :data:`MAX_UNIT_LENGTH` characters.
    """
    text = text.strip()
    if len(text) > MAX_UNIT_LENGTH:
        raise InputError(f"unit longer than {MAX_UNIT_LENGTH} characters")
    if text == "":
        return Unit(1.0, _NONE)
    parser = _Parser(text)
    unit = parser.product()
    if parser.peek() is not None:
        raise parser.fail(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    if parser.offset_seen and len(parser.toks) != 1:
        raise parser.fail("an offset temperature unit (degC, degF) must stand alone")
    return unit


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NORMALISE = (("−", "-"), ("µ", "u"), ("μ", "u"), ("Ω", "ohm"), ("°C", "degC"), ("°F", "degF"))


def normalise(text: str) -> str:
    """Map the typographic forms (µ, Ω, °C, ², ⁻¹, Unicode minus) to the plain ones."""
    text = text.strip()
    for old, new in _NORMALISE:
        text = text.replace(old, new)
    return text


def split_number(text: str) -> tuple[float, str]:
    """``"1e-4cm2/V"`` → ``(1e-4, "cm2/V")``: one decimal number and the rest.

    Raises :class:`InputError` if the text does not start with a number; the number may
    be non-finite (``1e400``), which the caller refuses with the field's context.
    """
    m = _NUMBER.match(text)
    if m is None:
        raise InputError("expected a number followed by a unit")
    rest = text[m.end():]
    if rest[:1] in ("*", "/", "^") or rest.lstrip()[:1] in ("*", "/", "^"):
        raise InputError("give one number followed by its unit, no arithmetic")
    return float(m.group(0)), rest.strip()


def to_si(value: float, unit: Unit) -> float:
    """``value`` in ``unit`` → SI base units (offset units: kelvin)."""
    return (value + (unit.offset or 0.0)) * unit.factor


def from_si(value: float, unit: Unit) -> float:
    """SI base units → ``unit`` (offset units: from kelvin)."""
    return value / unit.factor - (unit.offset or 0.0)


def to_unit(text: str, unit: str) -> float:
    """A quantity in text (``"100 nm"``) as a float in ``unit``; for trusted constants."""
    number, rest = split_number(normalise(text))
    source, target = parse_unit(rest), parse_unit(unit)
    if source.dims != target.dims:
        raise InputError(f"{text!r} cannot be converted to {unit}")
    return from_si(to_si(number, source), target)
