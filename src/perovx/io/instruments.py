"""Export layouts of common source meters, electrometers and LabVIEW, made readable as tables.

:func:`perovx.io.tables.read_table` reads plain CSV/TSV with unit-bearing headers. Some
instruments write something else; these layouts are recognised and turned into that form
(the file's line numbers are kept for messages):

=====================================  ==================================================
layout                                 what is done
=====================================  ==================================================
LabVIEW Measurement (``.lvm``)         header blocks read (``Separator``, ``Y_Unit_Label``,
                                       ``X_Dimension``, ``X0``/``Delta_X``); columns named
                                       with their units; the ``Comment`` column dropped
Keithley 6517/6514/2000 data strings   unit suffixes read from each cell (``NADC`` = normal
                                       reading in A DC, ``secs``, ``RDNG#``); a status other
                                       than ``N`` makes the reading over-range
Keithley 2400 ``:FORMat:ELEMents``     five headerless columns VOLT, CURR, RES, TIME, STAT
                                       (RES 9.91e37 when not measured) named
SCPI element headers (B2900, 2400)     ``VOLT``, ``CURR``, ``RES``, ``TIME``, ``SOUR`` (an
                                       optional channel number) given their SI units
value + unit column pairs (2450)       a text column of units (``Amp DC``, ``Volt DC``)
                                       gives its unit to the value column before it
=====================================  ==================================================

Sources of the layouts: National Instruments, "LabVIEW Measurement File (.lvm) format",
NI tutorial 4139; Keithley 6517B Reference Manual 6517B-901-01 Rev. C (2015), §14
``:FORMat:ELEMents`` (p. 14-53) and the ASCII data format figure (p. 14-51); Keithley
Series 2400 SourceMeter User's Manual, §18 ``FORMat`` subsystem (data elements VOLT, CURR,
RES, TIME, STAT; 9.91e37 for an element not measured); Keysight B2900 User's Guide Ed. 5,
§6 "Trace Buffer" (p. 6-23: VOLT, CURR, RES, TIME, STAT, SOUR, CALC); Keithley 2450
Reference Manual, reading-buffer elements (reading, units, relative time, source value,
source units) as written by ``TRACe:SAVE``.
"""

from __future__ import annotations

import re
from itertools import pairwise

__all__ = ["normalise_lines", "rename_headers"]

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
    has_x = bool(names) and names[0] == "X_Value"
    comment_col = names.index("Comment") if "Comment" in names else None
    y_units = info.get("Y_Unit_Label", [])
    x_dim = (info.get("X_Dimension") or ["Time"])[0]
    headers = []
    for k, name in enumerate(names):
        if k == comment_col:
            continue
        if has_x and k == 0:
            headers.append("Time (s)" if x_dim.lower() == "time" else "X_Value")
            continue
        ch = k - 1 if has_x else k
        unit = _LVM_UNITS.get(y_units[ch].strip().lower(), "") if ch < len(y_units) else ""
        headers.append(f"{name} ({unit})" if unit else name)
    out: list[tuple[int, str]] = [(k + 1, "# " + line) for k, line in enumerate(lines[:k_head])]
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
        if comment_col is not None and len(cells) > comment_col:
            del cells[comment_col]
        cells = [c.strip().replace(dec, ".") if dec != "." else c.strip() for c in cells]
        while cells and cells[-1] == "":
            cells.pop()
        if extra_time:
            cells.insert(0, repr(x0 + n * dt))
        out.append((k, ",".join(cells)))
        n += 1
    return out, "LabVIEW Measurement file (NI LVM): header blocks read, units from Y_Unit_Label"


# ---------------------------------------------------------------------------------------
# Keithley electrometer data strings (6517, 6514, 2000 ...)
# ---------------------------------------------------------------------------------------

_SUFFIX = re.compile(r"^([+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)([A-Za-z#%]+)$")
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


def _keithley_strings(lines: list[str]) -> tuple[list[tuple[int, str]], str] | None:
    data = [(k + 1, line) for k, line in enumerate(lines) if line.strip()]
    if not data:
        return None
    first = [c.strip() for c in data[0][1].split(",") if c.strip()]
    heads = [_k_name(c) for c in first]
    if not heads or any(h is None for h in heads):
        return None
    # a buffer read back with :TRACe:DATA? puts every reading on one line: the elements
    # repeat with the period of the first element's kind
    period = next((g for g in range(1, len(heads)) if heads[g] == heads[0]), len(heads))
    if len(heads) % period:
        return None
    heads = heads[:period]
    if not {"Current (A)", "Voltage (V)", "Charge (C)"} & set(heads):
        return None
    out: list[tuple[int, str]] = [(0, "# " + ",".join(str(h) for h in heads))]
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
            out.append((k, ",".join(values[j : j + period])))
    return out, (
        "Keithley electrometer data strings (READing, TSTamp, RNUMber elements with units, "
        "6517B reference manual §14 :FORMat:ELEMents): unit suffixes read"
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


def normalise_lines(lines: list[str]) -> tuple[list[tuple[int, str]], str | None]:
    """The lines of a text file as ``(line number, text)``, rewritten for known layouts.

    Parameters
    ----------
    lines
        The file's lines.

    Returns
    -------
    tuple
        ``(numbered lines, note)``; ``note`` names the layout recognised, or is ``None``
        (lines unchanged). An added header line has line number 0 and is a comment.
    """
    for reader in (_lvm, _keithley_strings, _k2400):
        got = reader(lines)
        if got is not None:
            return got
    return [(k + 1, line) for k, line in enumerate(lines)], None


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
