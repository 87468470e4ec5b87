"""Column headers of measurement tables: names, units and the kind of quantity they hold.

Lab files write the unit of a column in many spellings (``Time (s)``, ``I [nA]``,
``Current/A``, ``Dose rate (uGy/s)``, ``bias_V``); :func:`parse_header` splits a header
into name and unit, :func:`parse_unit` turns the unit into a pint expression, and the
private helpers recognise the *kind* of a column (:data:`KINDS`) from its unit's dimension
refined by the header's words. Used by :mod:`perovx.io.tables`.
"""

from __future__ import annotations

import re

from perovx.errors import InputError

__all__ = ["KINDS", "parse_header", "parse_unit"]

#: Column kinds and the SI unit their values are returned in.
KINDS: dict[str, str] = {
    "time": "s",
    "time_on": "s",
    "time_off": "s",
    "current": "A",
    "dark_current": "A",
    "current_density": "A/m**2",
    "voltage": "V",
    "dose_rate": "Gy/s",
    "dose": "Gy",
    "temperature": "K",
    "charge": "C",
    "conductivity": "S/m",
    "conductance": "S",
    "resistivity": "ohm*m",
    "resistance": "ohm",
    "sensitivity": "C/(Gy*m**2)",
    "relative_sensitivity": "",
}

# Base kind of each dimension, in the order they are tried.
_BASE_KINDS = (
    "time",
    "current",
    "current_density",
    "voltage",
    "dose_rate",
    "dose",
    "temperature",
    "charge",
    "conductivity",
    "conductance",
    "resistivity",
    "resistance",
    "sensitivity",
)

# Physical family of each kind: a header whose words name one family while its unit
# belongs to another is a unit mix-up (``Current (V)``).
_FAMILY: dict[str, str] = {
    "time": "time",
    "time_on": "time",
    "time_off": "time",
    "current": "current",
    "dark_current": "current",
    "current_density": "current",
    "voltage": "voltage",
    "dose_rate": "dose",
    "dose": "dose",
    "temperature": "temperature",
    "charge": "charge",
    "conductivity": "conduction",
    "conductance": "conduction",
    "resistivity": "conduction",
    "resistance": "conduction",
    "sensitivity": "sensitivity",
    "relative_sensitivity": "sensitivity",
}

# Words in a header that name a kind (matched case-insensitively on the name part).
_NAME_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"dose[\s_-]*rate|doserate|kerma[\s_-]*rate", "dose_rate"),
    (r"\bdose\b|\bkerma\b|accumulated|cumulative", "dose"),
    (r"temperature|\btemp\b", "temperature"),
    (r"\btime\b|elapsed|timestamp", "time"),
    (r"\bdark\b", "dark_current"),
    (r"current\b|photocurrent", "current"),
    (r"voltage|\bbias\b", "voltage"),
    (r"conductivity", "conductivity"),
    (r"resistivity", "resistivity"),
    (r"resistance", "resistance"),
    (r"\bcharge\b", "charge"),
    (r"sensitivity", "sensitivity"),
)

# Single-letter headers that conventionally name a kind (case-sensitive).
_SYMBOLS: dict[str, str] = {
    "t": "time",
    "T": "temperature",
    "I": "current",
    "i": "current",
    "V": "voltage",
    "U": "voltage",
    "J": "current_density",
    "Q": "charge",
    "S": "sensitivity",
}

_RELATIVE_UNITS = {
    "a.u.",
    "a.u",
    "au",
    "arb",
    "arb.",
    "arb. u.",
    "arb.u.",
    "arb. units",
    "arb units",
    "norm",
    "norm.",
    "rel",
    "rel.",
    "relative",
    "normalised",
    "normalized",
    "1",
    "-",
    "",
}


# ---------------------------------------------------------------------------------------
# units and headers
# ---------------------------------------------------------------------------------------


def parse_unit(text: str) -> str:
    """Normalise a unit as written in a lab file to a pint expression.

    Parameters
    ----------
    text
        The unit as written: ``"nA"``, ``"µGy/s"``, ``"A cm-2"``, ``"°C"``, ``"Ω·cm"``,
        ``"uGy_air s-1"``, ``"a.u."`` (relative, dimensionless).

    Returns
    -------
    str
        A unit string pint understands (``""`` for dimensionless).

    Raises
    ------
    InputError
        If pint cannot read the unit.
    """
    import pint

    from perovx.units import ureg

    raw = text.strip().strip("()[]{}").strip()
    if raw.lower() in _RELATIVE_UNITS:
        return ""
    s = (
        raw.replace("µ", "u")
        .replace("μ", "u")
        .replace("Ω", "ohm")
        .replace("Ohm", "ohm")
        .replace("°C", "degC")
        .replace("℃", "degC")
        .replace("°F", "degF")
        .replace("·", "*")
        .replace("×", "*")
        .replace("⋅", "*")
        .replace("²", "2")
        .replace("³", "3")
        .replace("⁻¹", "-1")
        .replace("⁻²", "-2")
        .replace("^", "")
        .replace("(air)", "")
        .replace("_air", "")
        .replace("air", "")
    )
    s = s.replace("**", "")
    # exponents written after a unit symbol: cm2 -> cm**2, s-1 -> s**-1
    s = re.sub(r"(?<=[A-Za-z])(-?\d+)(?![\d.])", r"**\1", s)
    # implicit products: "A cm**-2" -> "A*cm**-2"
    s = re.sub(r"(?<=[A-Za-z0-9)])\s+(?=[A-Za-z(])", "*", s.strip())
    if s in ("%", "percent"):
        return "percent"
    try:
        ureg().parse_units(s)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
        raise InputError(f"unit {text!r} is not understood ({exc})") from None
    except Exception:
        raise InputError(f"unit {text!r} is not understood") from None
    return s


def _split_unit(header: str) -> tuple[str, str | None]:
    """Split ``header`` into (name, unit text or None) without validating the unit."""
    h = header.strip()
    if h.endswith(")") or h.endswith("]"):
        closer = h[-1]
        opener = "(" if closer == ")" else "["
        depth = 0
        for i in range(len(h) - 1, -1, -1):
            if h[i] == closer:
                depth += 1
            elif h[i] == opener:
                depth -= 1
                if depth == 0:
                    name = h[:i].strip().rstrip("/").strip()
                    if name:
                        return name, h[i + 1 : -1].strip()
                    break
    m = re.match(r"^(.*?\S)\s+in\s+(\S.*)$", h)
    if m:
        return m.group(1), m.group(2)
    if "/" in h:
        name, unit = h.split("/", 1)
        if name.strip() and unit.strip():
            return name.strip(), unit.strip()
    m = re.match(r"^([A-Za-z][A-Za-z0-9 ]*?)_([A-Za-zµμΩ°][A-Za-z0-9µμΩ°/*^-]*)$", h)
    if m:
        return m.group(1), m.group(2)
    return h, None


def parse_header(header: str) -> tuple[str, str | None]:
    """Split a column header into its name and its unit.

    Parameters
    ----------
    header
        A header cell: ``"Time (s)"``, ``"I [nA]"``, ``"Current/A"``,
        ``"Dose rate (uGy/s)"``, ``"Current in nA"``, ``"bias_V"``, ``"Current"``.

    Returns
    -------
    tuple
        ``(name, unit)``: the unit as a pint expression (``""`` for a relative,
        dimensionless quantity) or ``None`` when the header carries no unit that pint
        reads. A trailing underscore suffix (``bias_V``) counts as a unit only when pint
        reads it.
    """
    name, unit = _split_unit(header)
    if unit is None:
        return name, None
    try:
        return name, parse_unit(unit)
    except InputError:
        if "(" in header or "[" in header or "/" in header or " in " in header:
            return name, _UNREADABLE + unit
        return header.strip(), None


_UNREADABLE = "\x00"  # marks a unit that was written but could not be read


def _name_kinds(name: str) -> set[str]:
    """Kinds named by the words of a header's name part."""
    kinds = set()
    if name.strip().lower() in KINDS:  # the documented kind names (``time_on``, ``dose_rate``)
        kinds.add(name.strip().lower())
        return kinds
    if name.strip() in _SYMBOLS:
        kinds.add(_SYMBOLS[name.strip()])
    first = re.split(r"[\s_]+", name.strip())[0] if name.strip() else ""
    if first in _SYMBOLS and len(name.strip()) > 1:
        kinds.add(_SYMBOLS[first])
    low = name.lower()
    for pattern, kind in _NAME_PATTERNS:
        if re.search(pattern, low):
            kinds.add(kind)
    if "dark_current" in kinds:
        kinds.discard("current")
    if "dose_rate" in kinds:
        kinds.discard("dose")
    return kinds


def _refine(base: str, name: str) -> str:
    """Refine a base kind from the header's words (beam on/off times, dark current)."""
    low = name.lower().replace("_", " ")
    if base == "time":
        if re.search(r"\b(on|start|begin)\b|t_on|ton\b", low):
            return "time_on"
        if re.search(r"\b(off|stop|end)\b|t_off|toff\b", low):
            return "time_off"
    if base == "current" and re.search(r"\bdark\b", low):
        return "dark_current"
    return base


def _is_dimensionless(unit: str) -> bool:
    from perovx.units import ureg

    return not unit or ureg().parse_units(unit).dimensionless


def _kind_of_unit(unit: str) -> str | None:
    from perovx.units import ureg

    reg = ureg()
    if _is_dimensionless(unit):
        return None
    dim = reg.parse_units(unit).dimensionality
    for kind in _BASE_KINDS:
        if reg.parse_units(KINDS[kind]).dimensionality == dim:
            return kind
    return None
