"""Time axes from clock columns: dates, times of day and ISO 8601 time stamps.

Many source meters and loggers write *when* a reading was taken instead of the seconds
since the start: the Keithley 2450 saves its reading buffer (``TRACe:SAVE``) with date,
time and fractional-seconds columns, LabVIEW and data loggers write ``HH:MM:SS.fff`` or
ISO 8601 time stamps (``2024-05-01T12:00:03.250``). This module finds such columns from
their *values* (the header is not needed) and turns them into seconds since the first
reading:

* a column whose every cell is an ISO 8601 date and time (``T`` or a space between them;
  parsed by :meth:`datetime.datetime.fromisoformat`), or a date and a time of day in one
  cell (``05/01/2024 12:00:03``);
* otherwise a time-of-day column (``HH:MM[:SS[.fff]]``, :meth:`datetime.time.fromisoformat`,
  or ``hh:MM:SS AM``), joined with a date column when there is one (ISO ``YYYY-MM-DD``,
  ``MM/DD/YYYY``, ``DD/MM/YYYY`` when the month/day order cannot be US, ``DD.MM.YYYY``;
  :meth:`datetime.datetime.strptime`); without a date a time that falls back by more than
  12 hours is taken as a midnight roll-over;
* a fractional-seconds column (numbers in [0, 1)) next to a time column written in whole
  seconds, or headed ``frac…``, is added to it.

Time stamps with a time-zone offset are compared as instants; a column that mixes stamps
with and without an offset is refused. A clock that goes back is refused naming the line.
All arithmetic is done by :mod:`datetime` (no hand-written calendar code).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from perovx.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np

__all__ = ["ClockAxis", "clock_axis", "clock_kind"]

#: A time of day falling back by more than this is a midnight roll-over (s).
ROLLOVER_S = 12 * 3600.0
_DAY = timedelta(days=1)
_DATE_FORMATS = ("%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y/%m/%d")
_TIME_12H = ("%I:%M:%S %p", "%I:%M:%S.%f %p", "%I:%M %p")


def _parse_time(text: str) -> time | None:
    if ":" not in text:  # "120003" is a number, not a time
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _TIME_12H:
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


def _parse_date(text: str, fmt: str | None = None) -> tuple[date, str] | None:
    if not re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", text):
        return None
    if fmt in (None, "iso") and "-" in text:
        try:
            return date.fromisoformat(text), "iso"
        except ValueError:
            return None
    for f in (fmt,) if fmt else _DATE_FORMATS:
        try:
            return datetime.strptime(text, f).date(), f
        except (ValueError, TypeError):
            continue
    return None


def _parse_datetime(text: str) -> datetime | None:
    if ":" not in text or not re.search(r"\d[T ]\d", text):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    parts = text.split(None, 1)
    if len(parts) == 2:
        d, t = _parse_date(parts[0]), _parse_time(parts[1])
        if d is not None and t is not None:
            return datetime.combine(d[0], t)
    return None


def clock_kind(cell: object) -> str | None:
    """``"datetime"``, ``"date"``, ``"time"`` (of day) or ``None`` for a table cell."""
    if not isinstance(cell, str):
        return None
    text = cell.strip().strip('"')
    if len(text) < 4 or len(text) > 40:
        return None
    if _parse_datetime(text) is not None:
        return "datetime"
    if _parse_date(text) is not None:
        return "date"
    if _parse_time(text) is not None:
        return "time"
    return None


@dataclass(frozen=True)
class ClockAxis:
    """A time axis built from clock columns.

    Attributes
    ----------
    seconds
        Seconds since the first reading (s, non-decreasing).
    columns
        Indices of the columns used (date/time stamp, then fractional seconds).
    header
        The headers used, joined with ``+`` (for messages).
    note
        How the axis was built, in words.
    """

    seconds: np.ndarray
    columns: tuple[int, ...]
    header: str
    note: str


def _column_kind(rows: Sequence[Sequence[object]], j: int) -> str | None:
    first = rows[0][j] if j < len(rows[0]) else ""
    kind = clock_kind(first)
    if kind is None:
        return None
    for row in rows:
        if clock_kind(row[j] if j < len(row) else "") != kind:
            return None
    return kind


def _fraction_column(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    time_col: int,
    skip: set[int],
    whole: Sequence[float],
) -> int | None:
    """A column of fractional seconds for ``time_col`` (read in whole seconds), if any.

    A column headed ``frac…`` with numbers in [0, 1), or the column right after the time
    whose numbers in [0, 1) rise within every run of repeated whole seconds (and the
    clock does repeat: several readings a second). A current in amperes next to the
    time also lies in [0, 1), hence the second test.
    """
    for j in [time_col + 1] + [i for i, h in enumerate(headers) if "frac" in h.lower()]:
        if j in skip or j >= len(headers):
            continue
        try:
            vals = [float(str(r[j]).strip().strip('"')) for r in rows]
        except (ValueError, IndexError):
            continue
        if not (all(0.0 <= v < 1.0 for v in vals) and any(v > 0 for v in vals)):
            continue
        if "frac" in headers[j].lower():
            return j
        same = [k for k in range(1, len(vals)) if whole[k] == whole[k - 1]]
        if same and all(vals[k] > vals[k - 1] for k in same):
            return j
    return None


def clock_axis(
    path: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    lines: Sequence[int],
    *,
    only: int | None = None,
    exclude: Sequence[int] = (),
) -> ClockAxis | None:
    """The time axis of a table whose time is written as clock readings, or ``None``.

    Parameters
    ----------
    path
        The file, for messages.
    headers, rows, lines
        Header cells, data cells (one sequence per row) and the 1-based line of each row.
    only
        Use this column (index) as the time stamp or time of day (a ``--column time=``
        mapping); otherwise the first clock column found.
    exclude
        Columns that are other quantities (a recognised current, voltage ...): never taken
        as fractional seconds.

    Returns
    -------
    ClockAxis or None
        ``None`` when no column holds clock readings.

    Raises
    ------
    InputError
        A clock that goes back (naming the line and both readings), or stamps that mix
        time-zone offsets with none.
    """
    import numpy as np

    if not rows:
        return None
    kinds = {j: _column_kind(rows, j) for j in range(len(headers))}
    kinds = {j: k for j, k in kinds.items() if k is not None}
    if only is not None:
        if kinds.get(only) not in ("datetime", "time"):
            return None
        main = only
    else:
        main = next((j for j, k in kinds.items() if k == "datetime"), None)
        if main is None:
            main = next((j for j, k in kinds.items() if k == "time"), None)
    if main is None:
        return None
    used = [main]
    parts: list[str] = []
    rollovers = 0
    if kinds[main] == "datetime":
        stamps = [_parse_datetime(str(r[main]).strip().strip('"')) for r in rows]
        aware = {s.tzinfo is not None for s in stamps if s is not None}
        if len(aware) > 1:
            k = next(
                i
                for i, s in enumerate(stamps)
                if (s.tzinfo is not None) != (stamps[0].tzinfo is not None)
            )
            raise InputError(
                f"{path}:{lines[k]}, column {headers[main]!r}: {rows[k][main]!r} mixes time "
                "stamps with and without a time-zone offset; write them all one way in a "
                "copy of the file"
            )
        parts.append(f"ISO 8601 time stamps in {headers[main]!r}")
        has_fraction = any(s.microsecond for s in stamps if s is not None)
    else:
        times = [_parse_time(str(r[main]).strip().strip('"')) for r in rows]
        has_fraction = any(t.microsecond for t in times if t is not None)
        dcol = next((j for j, k in kinds.items() if k == "date"), None)
        if dcol is not None:
            cells = [str(r[dcol]).strip().strip('"') for r in rows]
            fmt = None
            for f in ("iso", *_DATE_FORMATS):
                if all(_parse_date(c, f) is not None for c in cells):
                    fmt = f
                    break
            if fmt is None:
                dcol = None
            else:
                days = [_parse_date(c, fmt)[0] for c in cells]  # type: ignore[index]
                stamps = [datetime.combine(d, t) for d, t in zip(days, times, strict=True)]  # type: ignore[arg-type]
                used.insert(0, dcol)
                shown = {
                    "iso": "YYYY-MM-DD",
                    "%m/%d/%Y": "month/day/year",
                    "%d/%m/%Y": "day/month/year",
                    "%d.%m.%Y": "day.month.year",
                    "%Y/%m/%d": "year/month/day",
                }[fmt]
                parts.append(f"date {headers[dcol]!r} ({shown}) + time of day {headers[main]!r}")
        if dcol is None:
            day0 = date(2000, 1, 1)
            stamps = []
            offset = timedelta(0)
            prev: datetime | None = None
            for t in times:
                s = datetime.combine(day0, t) + offset  # type: ignore[arg-type]
                if prev is not None and (prev - s).total_seconds() > ROLLOVER_S:
                    offset += _DAY
                    rollovers += 1
                    s += _DAY
                stamps.append(s)
                prev = s
            parts.append(f"time of day {headers[main]!r}")
    first = stamps[0]
    secs = np.array([(s - first).total_seconds() for s in stamps])  # type: ignore[operator]
    frac = (
        None
        if has_fraction
        else _fraction_column(headers, rows, main, set(kinds) | set(exclude), secs.tolist())
    )
    if frac is not None:
        secs = secs + np.array([float(str(r[frac]).strip().strip('"')) for r in rows])
        secs -= secs[0]
        used.append(frac)
        parts.append(f"+ fractional seconds {headers[frac]!r}")
    back = np.flatnonzero(np.diff(secs) < 0)
    if back.size:
        k = int(back[0]) + 1
        shown = " ".join(str(rows[k][j]) for j in used)
        before = " ".join(str(rows[k - 1][j]) for j in used)
        raise InputError(
            f"{path}:{lines[k]}, column {headers[main]!r}: the clock goes back from {before!r} "
            f"(line {lines[k - 1]}) to {shown!r}; the readings must be in time order (a "
            "second run appended, or the clock set back?): split the file or sort it into a "
            "new file"
        )
    dated = kinds[main] == "datetime" or any(kinds.get(j) == "date" for j in used)
    start = first.isoformat(sep=" ") if dated else first.time().isoformat()
    note = (
        "time axis built from clock readings: "
        + " ".join(parts)
        + f", as seconds since the first reading ({start}, line {lines[0]})"
        + (f"; {rollovers} midnight roll-over(s) counted" if rollovers else "")
        + (
            "; no time-zone offset (local clock time: a daylight-saving change inside the "
            "run would shift it by 1 h)"
            if first.tzinfo is None
            else ""
        )
    )
    return ClockAxis(
        seconds=secs,
        columns=tuple(used),
        header=" + ".join(headers[j] for j in used),
        note=note,
    )
