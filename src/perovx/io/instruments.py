"""Export layouts of common source meters, electrometers and LabVIEW, made readable as tables.

:func:`perovx.io.tables.read_table` reads plain CSV/TSV with unit-bearing headers. Some
instruments write something else; these layouts are recognised and turned into that form
(the file's line numbers are kept for messages):

=====================================  ==================================================
layout                                 what is done
=====================================  ==================================================
LabVIEW Measurement (``.lvm``)         header blocks read (``Separator``, ``Y_Unit_Label``,
                                       ``X_Dimension``, ``X0``/``Delta_X``); columns named
                                       with their units; the ``Comment`` column dropped;
                                       ``X_Columns No`` files' empty ``X_Value`` column and
                                       the extra X columns of ``X_Columns Multi`` dropped
                                       (real files of ladisk/lvm_read)
Keithley 6517/6514/2000 data strings   unit suffixes read from each cell (``NADC`` = normal
                                       reading in A DC, ``secs``, ``RDNG#``); a status other
                                       than ``N`` makes the reading over-range; ``DELTA``
                                       time stamps summed; a settings line before the
                                       readings kept as a comment
KickStart CSV                          read as a table (quoted cells, ``.Key`` settings
                                       lines as preamble); the ``Min``/``Max``/``Mean``/
                                       ``StdDev``/``CV`` rows after the data left out
                                       (:func:`summary_footer`)
Keithley 2400 ``:FORMat:ELEMents``     five headerless columns VOLT, CURR, RES, TIME, STAT
                                       (RES 9.91e37 when not measured) named
SCPI element headers (B2900, 2400)     ``VOLT``, ``CURR``, ``RES``, ``TIME``, ``SOUR`` (an
                                       optional channel number) given their SI units
value + unit column pairs (2450)       a text column of units (``Amp DC``, ``Volt DC``)
                                       gives its unit to the value column before it
Keithley 2600 ``printbuffer()``        one (or a few) lines of comma-separated numbers:
                                       split into the interleaved buffers (count from the
                                       ``--column`` numbers, else the one steadily rising
                                       series: time stamps or source values); columns
                                       ``buffer 1`` ... which the user names
=====================================  ==================================================

Sources of the layouts: National Instruments, "LabVIEW Measurement File (.lvm) format",
NI tutorial 4139; Keithley 6517B Reference Manual 6517B-901-01 Rev. C (2015), §14
``:FORMat:ELEMents`` (p. 14-53) and the ASCII data format figure (p. 14-51); Keithley
Series 2400 SourceMeter User's Manual, §18 ``FORMat`` subsystem (data elements VOLT, CURR,
RES, TIME, STAT; 9.91e37 for an element not measured); Keysight B2900 User's Guide Ed. 5,
§6 "Trace Buffer" (p. 6-23: VOLT, CURR, RES, TIME, STAT, SOUR, CALC); Keithley 2450
Reference Manual, reading-buffer elements (reading, units, relative time, source value,
source units) as written by ``TRACe:SAVE``; Keithley Series 2600B System SourceMeter
Reference Manual 2600BS-901-01, ``printbuffer()`` (values of several buffers interleaved,
separated by commas, on one line).
"""

from __future__ import annotations

import re
from itertools import pairwise

__all__ = ["SUMMARY_LABELS", "normalise_lines", "rename_headers", "summary_footer"]

# ---------------------------------------------------------------------------------------
# LabVIEW Measurement files
# ---------------------------------------------------------------------------------------

_LVM_UNITS = {
    "volts": "V",
    "volt": "V",
    "v": "V",
    "amps": "A",
    "amperes": "A",
    "ampere": "A",
    "amp": "A",
    "a": "A",
    "seconds": "s",
    "second": "s",
    "s": "s",
    "ohms": "ohm",
    "ohm": "ohm",
    "coulombs": "C",
    "c": "C",
}


def _lvm(lines: list[str]) -> tuple[list[tuple[int, str]], str] | None:
    if not lines or not lines[0].lstrip("\ufeff").startswith("LabVIEW Measurement"):
        return None
    sep = "\t"
    dec = "."
    ends = [k for k, line in enumerate(lines) if line.startswith("***End_of_Header***")]
    for line in lines[: ends[0] if ends else 0]:
        key, _, value = line.partition("\t" if "\t" in line else ",")
        value = value.strip()
        if key == "Separator":
            sep = "," if value.strip(",").lower() == "comma" else "\t"
        if key == "Decimal_Separator":
            dec = value[:1] or "."
    if len(ends) < 2:
        return None
    # the channel header block between the two end-of-header marks
    info: dict[str, list[str]] = {}
    for line in lines[ends[0] + 1 : ends[1]]:
        cells = [c.strip() for c in line.split(sep)]
        if cells and cells[0]:
            info[cells[0]] = [c for c in cells[1:]]
    k_head = ends[1] + 1
    while k_head < len(lines) and not lines[k_head].strip().strip(sep):
        k_head += 1
    if k_head >= len(lines):
        return None
    names = [c.strip() for c in lines[k_head].split(sep)]
    x_columns = next(
        (line.partition("\t")[2].strip().lower() for line in lines[: ends[0]]
         if line.startswith("X_Columns")),
        "one",
    )
    # "X_Columns No" files may still head the (empty) first column X_Value: drop it
    skip = {0} if x_columns == "no" and names and names[0] == "X_Value" else set()
    has_x = bool(names) and names[0] == "X_Value" and not skip
    # "X_Columns Multi": an X_Value column before every channel; the first is kept as
    # the time, the others are dropped
    skip |= {k for k, n in enumerate(names) if n == "X_Value" and k > 0}
    comment_col = names.index("Comment") if "Comment" in names else None
    y_units = info.get("Y_Unit_Label", [])
    x_dim = (info.get("X_Dimension") or ["Time"])[0]
    headers = []
    ch = -1
    for k, name in enumerate(names):
        if k == comment_col:
            continue
        if has_x and k == 0:
            headers.append("Time (s)" if x_dim.lower() == "time" else "X_Value")
            continue
        if k in skip:
            continue
        ch += 1
        unit = _LVM_UNITS.get(y_units[ch].strip().lower(), "") if ch < len(y_units) else ""
        headers.append(f"{name} ({unit})" if unit else name)
    out: list[tuple[int, str]] = [(k + 1, "# " + line) for k, line in enumerate(lines[:k_head])]
    drop = sorted(skip | ({comment_col} if comment_col is not None else set()), reverse=True)
    extra_time = not has_x and "X0" in info and "Delta_X" in info
    x0 = dt = 0.0
    if extra_time:
        try:
            x0 = float(info["X0"][0].replace(dec, "."))
            dt = float(info["Delta_X"][0].replace(dec, "."))
        except (ValueError, IndexError):
            extra_time = False
    out.append((k_head + 1, ",".join((["Time (s)"] if extra_time else []) + headers)))
    n = 0
    for k, line in enumerate(lines[k_head + 1 :], start=k_head + 2):
        if not line.strip():
            continue
        cells = line.split(sep)
        for col in drop:
            if len(cells) > col:
                del cells[col]
        cells = [c.strip().replace(dec, ".") if dec != "." else c.strip() for c in cells]
        while cells and cells[-1] == "":
            cells.pop()
        if extra_time:
            cells.insert(0, repr(x0 + n * dt))
        out.append((k, ",".join(cells)))
        n += 1
    note = "LabVIEW Measurement file (NI LVM): header blocks read, units from Y_Unit_Label"
    if extra_time:
        note += "; time from X0 and Delta_X"
    if len(skip - {0}):
        note += f"; {len(skip - {0})} further X_Value column(s) of X_Columns Multi dropped"
    return out, note


# ---------------------------------------------------------------------------------------
# Keithley electrometer data strings (6517, 6514, 2000 ...)
# ---------------------------------------------------------------------------------------

_SUFFIX = re.compile(r"^(?:DELTA)?([+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)([A-Za-z#%]+)$", re.I)
_K_UNITS = {
    "ADC": "Current (A)",
    "AAC": "Current (A)",
    "VDC": "Voltage (V)",
    "VAC": "Voltage (V)",
    "OHM": "Resistance (ohm)",
    "OHM4W": "Resistance (ohm)",
    "COUL": "Charge (C)",
    "SECS": "Time (s)",
    "RDNG#": "Reading number",
    "INTCHAN": "Channel",
    "EXTCHAN": "Channel",
    "%RH": "Humidity (%)",
    "VSRC": "Source voltage (V)",
}
_OVER = "9.9e37"


def _k_name(cell: str) -> str | None:
    """Column name of an electrometer data-string element, or ``None``."""
    m = _SUFFIX.match(cell.strip())
    if m is None:
        return None
    key = m.group(2).upper()
    return _K_UNITS.get(key) or _K_UNITS.get(key[1:])


def _data_string_heads(line: str) -> list[str] | None:
    heads = [_k_name(c) for c in line.split(",") if c.strip()]
    if not heads or any(h is None for h in heads):
        return None
    return heads  # type: ignore[return-value]


def _keithley_strings(lines: list[str]) -> tuple[list[tuple[int, str]], str] | None:
    data = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    # a line or two written before the readings (a logging script's settings) is kept as a
    # comment
    start = next((j for j, (_, line) in enumerate(data[:3]) if _data_string_heads(line)), None)
    if start is None:
        return None
    before, data = data[:start], data[start:]
    heads = _data_string_heads(data[0][1]) or []
    # a buffer read back with :TRACe:DATA? puts every reading on one line: the elements
    # repeat with the period of the first element's kind
    period = next((g for g in range(1, len(heads)) if heads[g] == heads[0]), len(heads))
    if len(heads) % period:
        return None
    heads = heads[:period]
    if not {"Current (A)", "Voltage (V)", "Charge (C)"} & set(heads):
        return None
    delta = "DELTA" in data[0][1].upper()
    out: list[tuple[int, str]] = [(k, "# " + line) for k, line in before]
    out.append((0, "# " + ",".join(str(h) for h in heads)))
    t_col = heads.index("Time (s)") if "Time (s)" in heads else None
    elapsed = 0.0
    for k, line in data:
        cells = [c.strip() for c in line.split(",") if c.strip()]
        values = []
        for c in cells:
            m = _SUFFIX.match(c)
            if m is None:
                values.append(c)
                continue
            value, suffix = m.group(1), m.group(2).upper()
            # a reading's suffix starts with its status: N normal; O overflow, Z zero
            # check, U underflow ... make anything abnormal an over-range reading
            if suffix[1:] in _K_UNITS and suffix not in _K_UNITS and suffix[0] not in "N":
                value = _OVER
            values.append(value)
        for j in range(0, len(values), period):
            row = values[j : j + period]
            if delta and t_col is not None and t_col < len(row):
                # :TRACe:TSTamp:FORMat DELTa: each time stamp is the time since the reading
                # before; the running sum is the time of the reading
                try:
                    elapsed += float(row[t_col])
                except ValueError:
                    pass
                else:
                    row[t_col] = repr(round(elapsed, 9))
            out.append((k, ",".join(row)))
    return out, (
        "Keithley electrometer data strings (READing, TSTamp, RNUMber elements with units, "
        "6517B reference manual §14 :FORMat:ELEMents): unit suffixes read"
        + ("; DELTA time stamps (time since the reading before) summed into the time" if delta
           else "")
        + (f"; {len(before)} line(s) before the readings kept as comments" if before else "")
    )


# ---------------------------------------------------------------------------------------
# Keithley 2400 five-element readings without a header
# ---------------------------------------------------------------------------------------


def _k2400(lines: list[str]) -> tuple[list[tuple[int, str]], str] | None:
    data = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    if len(data) < 2:
        return None
    rows = []
    for _, line in data:
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 5:
            return None
        try:
            rows.append([float(c) for c in cells])
        except ValueError:
            return None
    res_unused = all(abs(r[2]) >= 9.9e37 for r in rows)
    status_int = all(r[4] >= 0 and float(r[4]).is_integer() for r in rows)
    times_up = all(b[3] >= a[3] for a, b in pairwise(rows))
    if not (res_unused and status_int and times_up):
        return None
    head = "# Voltage (V),Current (A),Resistance (ohm),Time (s),Status"
    return [(0, head), *data], (
        "Keithley 2400 readings without a header: columns taken as the default "
        ":FORMat:ELEMents VOLT, CURR, RES, TIME, STAT (2400 manual §18)"
    )


# ---------------------------------------------------------------------------------------
# Keithley 2600 TSP printbuffer() output
# ---------------------------------------------------------------------------------------

_NUM = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
#: Fewest values on one line for it to be taken as printbuffer() output.
_PRINTBUFFER_MIN_VALUES = 12
#: Most interleaved buffers tried when the count is not given.
_PRINTBUFFER_MAX_BUFFERS = 6


def _rising(x: list[float]) -> bool:
    """Whether ``x`` rises like time stamps (or a sweep's source values): strictly, from a
    start between 0 and one span (a slowly drifting reading starts far from 0)."""
    return (
        len(x) >= 3
        and all(b > a for a, b in pairwise(x))
        and 0.0 <= x[0] <= x[-1] - x[0]
    )


def _buffers(values: list[float], n_buffers: int | None) -> tuple[int, str]:
    """Number of interleaved buffers and how it was decided."""
    n = len(values)
    if n_buffers is not None:
        if n_buffers < 1 or n % n_buffers:
            from perovx.errors import FileFormatError

            raise FileFormatError(
                f"printbuffer() output of {n} values cannot hold {n_buffers} interleaved "
                f"buffers ({n} is not a multiple of {n_buffers}); check the --column numbers"
            )
        return n_buffers, "from the --column numbers"
    if _rising(values):
        return 1, "one buffer (the values rise throughout)"
    for p in range(2, _PRINTBUFFER_MAX_BUFFERS + 1):
        if n % p or n // p < 3:
            continue
        if sum(_rising(values[k::p]) for k in range(p)) == 1:
            return p, (
                f"{p} interleaved buffers (one value in every {p} rises steadily, as time "
                "stamps or source values do)"
            )
    return 1, "one buffer (no interleaved rising series found)"


def _printbuffer(
    lines: list[str], n_buffers: int | None = None
) -> tuple[list[tuple[int, str]], str] | None:
    data = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    if not data or len(data) > 4:
        return None
    values: list[float] = []
    for _, line in data:
        cells = [c.strip() for c in line.split(",")]
        if not all(_NUM.match(c) for c in cells):
            return None
        values += [float(c) for c in cells]
    if max(len(line.split(",")) for _, line in data) < _PRINTBUFFER_MIN_VALUES:
        return None
    p, how = _buffers(values, n_buffers)
    # buffer k stays column k; the reading number comes last (a table needs two columns)
    heads = ",".join([f"buffer {k + 1}" for k in range(p)] + ["Reading number"])
    out: list[tuple[int, str]] = [(0, heads)]
    line_of = [k for k, line in data for _ in line.split(",")]
    for j in range(0, len(values), p):
        row = [repr(v) for v in values[j : j + p]] + [str(j // p + 1)]
        out.append((line_of[j], ",".join(row)))
    example = (
        "--column time=1 --column current=2 --unit time=s --unit current=A"
        if p >= 2
        else "--column current=1 --unit current=A"
    )
    return out, (
        f"Keithley 2600 printbuffer() output ({len(values)} values on {len(data)} line(s)): "
        f"{how}; the output carries no names or units: name the columns, e.g. {example}"
    )


def normalise_lines(
    lines: list[str], *, n_buffers: int | None = None
) -> tuple[list[tuple[int, str]], str | None]:
    """The lines of a text file as ``(line number, text)``, rewritten for known layouts.

    Parameters
    ----------
    lines
        The file's lines.

    n_buffers
        Number of interleaved buffers in Keithley 2600 ``printbuffer()`` output (the
        highest column number the user named); ``None``: found from the values.

    Returns
    -------
    tuple
        ``(numbered lines, note)``; ``note`` names the layout recognised, or is ``None``
        (lines unchanged). An added header line has line number 0 (a comment, except for
        printbuffer output, whose ``buffer 1, buffer 2 ...`` header is a header).
    """
    for reader in (_lvm, _keithley_strings, _k2400):
        got = reader(lines)
        if got is not None:
            return got
    got = _printbuffer(lines, n_buffers)
    if got is not None:
        return got
    return [(k + 1, line) for k, line in enumerate(lines)], None


#: First cells of the summary rows some exporters write after the data (KickStart: Min,
#: Max, Mean, StdDev, CV).
SUMMARY_LABELS = frozenset(
    {"min", "max", "mean", "average", "avg", "stddev", "std dev", "sdev", "stdev", "cv",
     "pkpk", "peak-to-peak", "sum", "count", "median", "rms"}
)


def summary_footer(rows_nc: list, line: int) -> bool:
    """Whether every row from ``line`` on is a labelled statistics row (Min, Max, ...).

    Parameters
    ----------
    rows_nc
        ``(line number, cells)`` of the table's non-comment rows.
    line
        Line number of the first row to test.
    """
    rest = [cells for n, cells in rows_nc if n >= line]
    return bool(rest) and all(
        cells and str(cells[0]).strip().lower() in SUMMARY_LABELS for cells in rest
    )


# ---------------------------------------------------------------------------------------
# header-level layouts
# ---------------------------------------------------------------------------------------

_SCPI = {
    "VOLT": "Voltage (V)",
    "CURR": "Current (A)",
    "RES": "Resistance (ohm)",
    "TIME": "Time (s)",
    "SOUR": "Source",
    "STAT": "Status",
    "CALC": "Math",
}
_UNIT_WORDS = {
    "amp dc": "A",
    "amp ac": "A",
    "amps": "A",
    "amp": "A",
    "a": "A",
    "volt dc": "V",
    "volt ac": "V",
    "volts": "V",
    "volt": "V",
    "v": "V",
    "ohm": "ohm",
    "ohms": "ohm",
    "coulomb": "C",
    "c": "C",
}


def rename_headers(
    headers: tuple[str, ...], first_row: tuple[object, ...]
) -> tuple[tuple[str, ...], str | None]:
    """Give SCPI element headers and value/unit column pairs their units.

    Parameters
    ----------
    headers
        The header cells.
    first_row
        The first data row (to read unit columns).

    Returns
    -------
    tuple
        ``(headers, note)``; ``note`` is ``None`` when nothing was renamed.
    """
    out = list(headers)
    notes = []
    for k, h in enumerate(headers):
        m = re.fullmatch(r"@?([A-Z]{3,4})(\d?)", h.strip())
        if m and m.group(1) in _SCPI:
            name = _SCPI[m.group(1)]
            out[k] = name if not m.group(2) else name.replace(" (", f" {m.group(2)} (")
            notes.append(h)
    for k, h in enumerate(headers):
        if k == 0 or not re.search(r"\bunits?\b", h.strip().lower()):
            continue
        cell = str(first_row[k]).strip().lower() if k < len(first_row) else ""
        unit = _UNIT_WORDS.get(cell)
        prev = out[k - 1]
        if unit and "(" not in prev and "[" not in prev:
            out[k - 1] = f"{prev} ({unit})"
            notes.append(f"{headers[k - 1]} + {h}")
    for k, h in enumerate(out):
        if h.strip().lower() in ("relative time", "timestamp (relative)") and "(" not in h:
            out[k] = f"{h} (s)"
            notes.append(h)
    if not notes:
        return headers, None
    return tuple(out), "instrument headers given their units: " + ", ".join(notes)
