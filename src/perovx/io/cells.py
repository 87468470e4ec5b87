"""Table cells: numbers (with a decimal comma or a unit), and which rows are data rows.

Used by :mod:`perovx.io.tables`; clock readings (dates, times of day, ISO 8601 stamps) are
recognised by :mod:`perovx.io.clock`.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


def _parse_cell(cell: str | float) -> tuple[float | None, str | None]:
    """A cell → (number or None, unit text or None). Decimal commas are accepted."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell), None
    text = str(cell).strip()
    if not text:
        return None, None
    try:
        return float(text), None
    except ValueError:
        pass
    low = text.lower()
    if low in ("nan", "inf", "+inf", "-inf", "infinity", "-infinity"):
        return float(low.replace("infinity", "inf")), None
    m = _NUMBER.match(text)
    if m is None:
        return None, None
    number, rest = m.group(1), m.group(2)
    try:
        value = float(number.replace(",", "."))
    except ValueError:
        return None, None
    if rest and not re.match(r"^[A-Za-zµμΩ°%(]", rest):
        return None, None
    return value, rest or None


def _is_number(cell: str | float) -> bool:
    return _parse_cell(cell)[0] is not None


def _numeric_row(cells: list) -> bool:
    """More than half the filled cells are numbers (or clock readings: dates, times)."""
    from perovx.io.clock import clock_kind

    filled = [c for c in cells if not (isinstance(c, str) and c.strip() == "")]
    if not filled:
        return False
    numbers = [_is_number(c) for c in filled]
    if not any(numbers):  # a lone date or time stamp (a preamble line) is not data
        return False
    n = sum(num or clock_kind(c) is not None for num, c in zip(numbers, filled, strict=True))
    return n > len(filled) / 2
