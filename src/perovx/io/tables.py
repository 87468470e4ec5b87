"""Measurement tables: CSV, TSV, whitespace-separated text and Excel ``.xlsx`` files.

Lab instruments and spreadsheet software write tables in many dialects. This reader
accepts the common ones and hands back every requested column in SI units:

* any delimiter (comma, semicolon, tab, ``|`` or runs of spaces), found by looking at the
  data lines; a decimal comma is accepted when the delimiter is not a comma;
* comment lines starting with ``#``, ``%``, ``!`` or ``//`` and free-text preamble lines
  (instrument settings, ``Area,0.04``) before the header; a header written as a comment
  (``# Time (s), Current (A)``, as ``numpy.savetxt`` does) is used when no other exists;
* headers with units in any of the usual spellings — ``Time (s)``, ``I [nA]``,
  ``Current/A``, ``Dose rate (uGy/s)``, ``Temperature (°C)``, ``J (A cm-2)``, ``bias_V`` —
  parsed with pint (through :mod:`perovx.units`); cells may also carry a unit
  (``12.5 nA``);
* Excel workbooks (first sheet unless told otherwise), read with openpyxl.

Columns are looked up by *kind* (``"time"``, ``"current"``, ``"dose_rate"`` ...; see
:data:`KINDS`), recognised from the unit's dimension and refined by the header's words
(``dark`` current, beam ``on``/``off`` times). A column mapping (``{"current": "Ch2"}``)
and unit overrides (``{"current": "nA"}``) resolve headers that are not recognised.

Every problem is reported as a :class:`~perovx.errors.FileFormatError` (the file cannot be
read) or :class:`~perovx.errors.InputError` (a column is missing, ambiguous or in the wrong
unit) naming the file, the line (the Excel row for workbooks) and the column, with what to
do about it. Files are only ever opened for reading.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from perovx.errors import FileFormatError, InputError, PerovxError
from perovx.io.cells import _is_number, _numeric_row, _parse_cell
from perovx.io.headers import (
    _FAMILY,
    _UNREADABLE,
    KINDS,
    _is_dimensionless,
    _kind_of_unit,
    _name_kinds,
    _refine,
    parse_header,
    parse_unit,
)

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "KINDS",
    "ColumnData",
    "Table",
    "parse_header",
    "parse_unit",
    "read_table",
]

_COMMENT_PREFIXES = ("#", "%", "!", "//")
_OVERFLOW = 9.9e37  # what Keithley and most source-meters write for an over-range reading


# ---------------------------------------------------------------------------------------
# columns and tables
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnData:
    """One column of a table, converted to SI.

    Attributes
    ----------
    kind
        The kind it was requested as (``"current"``).
    header
        The header cell as written in the file.
    unit
        The unit it was read in (pint expression; ``""`` for relative values).
    si_unit
        The unit of :attr:`values` (see :data:`KINDS`).
    values
        The numbers, in :attr:`si_unit`.
    lines
        Line number in the file (Excel row for workbooks) of each value, 1-based.
    source
        Path of the file.
    note
        How the values were obtained when not read as numbers (a time axis built from
        clock columns, :mod:`perovx.io.clock`); empty otherwise.
    """

    kind: str
    header: str
    unit: str
    si_unit: str
    values: np.ndarray = field(repr=False)
    lines: np.ndarray = field(repr=False)
    source: str = ""
    note: str = ""

    def where(self, index: int) -> str:
        """``"file.csv:17, column 'Time (s)'"`` for the value at ``index``."""
        return f"{self.source}:{int(self.lines[index])}, column {self.header!r}"

    def require_increasing(self) -> ColumnData:
        """Check that the values increase strictly (a time axis); return ``self``.

        Raises
        ------
        InputError
            Naming the first line where the value does not increase.
        """
        import numpy as np

        bad = np.flatnonzero(np.diff(self.values) <= 0)
        if bad.size:
            i = int(bad[0]) + 1
            raise InputError(
                f"{self.where(i)}: {self.kind} {self.values[i]:g} {self.si_unit} is not after "
                f"{self.values[i - 1]:g} {self.si_unit} on line {int(self.lines[i - 1])}; the "
                f"{self.kind} column must increase (a repeated sweep or an unsorted file?): "
                "split the file or sort it into a new file"
            )
        return self


@dataclass(frozen=True)
class Table:
    """A table read by :func:`read_table`; columns are converted when requested.

    Attributes
    ----------
    path
        The file read.
    headers
        Header cells as written (``"column 1"`` ... when the file has none).
    rows
        The data cells, one tuple per data row (text or float).
    lines
        Line number (Excel row) of each data row, 1-based.
    delimiter
        The delimiter found (``None`` for workbooks, ``" "`` for runs of spaces).
    preamble
        Non-comment text lines before the header (instrument settings).
    columns
        Mapping of kinds to headers (or 1-based column numbers) given by the user.
    units
        Units given by the user for some kinds, overriding the header.
    has_header
        Whether a header line was found.
    layout
        The instrument layout recognised (:mod:`perovx.io.instruments`), or ``None``.
    """

    path: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str | float, ...], ...] = field(repr=False)
    lines: tuple[int, ...] = field(repr=False)
    delimiter: str | None = None
    preamble: tuple[str, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)
    has_header: bool = True
    layout: str | None = None

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return len(self.rows)

    def _describe_headers(self) -> str:
        return ", ".join(repr(h) for h in self.headers)

    def _auto_kind(self, index: int) -> str | None:
        """Kind recognised from the header of column ``index`` (``None``: not recognised)."""
        name, unit = parse_header(self.headers[index])
        named = _name_kinds(name)
        if unit is None or unit.startswith(_UNREADABLE):
            # no (readable) unit: the words decide; the unit error comes on request
            if len(named) == 1:
                return _refine(next(iter(named)), name)
            return None
        base = _kind_of_unit(unit)
        if base is None:
            if _is_dimensionless(unit) and (
                "sensitivity" in named or re.search(r"relative|normali", name.lower())
            ):
                return "relative_sensitivity"
            return None
        return _refine(base, name)

    def kinds(self) -> dict[str, str]:
        """Kinds recognised automatically: header → kind (unrecognised headers left out)."""
        out = {}
        for i, h in enumerate(self.headers):
            kind = self._auto_kind(i)
            if kind is not None:
                out[h] = kind
        return out

    def _index_of(self, kind: str, spec: str) -> int:
        spec_s = str(spec).strip()
        if spec_s.isdigit():
            k = int(spec_s)
            if not 1 <= k <= len(self.headers):
                raise InputError(
                    f"{self.path}: column number {k} given for {kind}, but the file has "
                    f"{len(self.headers)} columns ({self._describe_headers()})"
                )
            return k - 1
        low = spec_s.lower()
        for i, h in enumerate(self.headers):
            if h.strip().lower() == low:
                return i
        for i, h in enumerate(self.headers):
            if parse_header(h)[0].strip().lower() == low:
                return i
        raise InputError(
            f"{self.path}: no column {spec_s!r} (given for {kind}); the columns are "
            f"{self._describe_headers()}: give one of them, or its number counted from 1"
        )

    def has(self, kind: str) -> bool:
        """Whether a column of ``kind`` is mapped or recognised (exactly one)."""
        if kind in self.columns:
            return True
        found = [i for i in range(len(self.headers)) if self._auto_kind(i) == kind]
        if kind == "time" and len(found) != 1 and self.rows:
            from perovx.io.clock import clock_kind

            return any(clock_kind(c) in ("datetime", "time") for c in self.rows[0])
        return len(found) == 1

    def first_of(self, kinds: Iterable[str]) -> str | None:
        """The first of ``kinds`` that :meth:`has` a column, or ``None``."""
        for kind in kinds:
            if self.has(kind):
                return kind
        return None

    def get(self, kind: str) -> ColumnData:
        """The column of ``kind`` in SI units (:data:`KINDS`).

        Raises
        ------
        InputError
            If no column or more than one matches, the unit is missing, unreadable or of
            the wrong dimension, or a cell is not a finite number (naming line and column).
        """
        if kind not in KINDS:
            raise InputError(f"unknown column kind {kind!r}; known kinds: {', '.join(KINDS)}")
        si = KINDS[kind]
        mapped = kind in self.columns
        if kind == "time":
            clock = self._clock_time(mapped)
            if clock is not None:
                return clock
        if mapped:
            index = self._index_of(kind, self.columns[kind])
        else:
            found = [i for i in range(len(self.headers)) if self._auto_kind(i) == kind]
            if len(found) > 1:
                heads = ", ".join(repr(self.headers[i]) for i in found)
                raise InputError(
                    f"{self.path}: {len(found)} columns could be the {kind} ({heads}); "
                    f"choose one with --column {kind}=HEADER"
                )
            if not found:
                hint = (
                    "the file has no header line: name the columns by number, e.g. "
                    f"--column {kind}=2 --unit {kind}={si or 'percent'}"
                    if not self.has_header
                    else f"name one with --column {kind}=HEADER"
                    + (f" (and --unit {kind}=UNIT if its header has no unit)" if si else "")
                )
                if "printbuffer" in (self.layout or ""):
                    hint = (
                        "Keithley printbuffer() output has no names or units: name the "
                        "buffers by number, e.g. --column time=1 --column current=2 "
                        "--unit time=s --unit current=A"
                    )
                raise InputError(
                    f"{self.path}: no {kind.replace('_', ' ')} column"
                    + (f" (in {si})" if si else "")
                    + f"; the columns are {self._describe_headers()}: {hint}"
                )
            index = found[0]
        return self._column(kind, index, mapped=mapped)

    def _clock_time(self, mapped: bool) -> ColumnData | None:
        """The time axis from clock columns (dates, times of day, ISO 8601 stamps), if the
        time is written that way and no column of elapsed seconds is recognised."""
        import numpy as np

        from perovx.io.clock import clock_axis

        if not self.rows:
            return None
        only = self._index_of("time", self.columns["time"]) if mapped else None
        if only is None:
            numeric = [
                i
                for i in range(len(self.headers))
                if self._auto_kind(i) == "time" and _is_number(self.rows[0][i])
            ]
            if numeric:
                return None
        known = [i for i in range(len(self.headers)) if self._auto_kind(i) is not None]
        axis = clock_axis(
            self.path, self.headers, self.rows, self.lines, only=only, exclude=known
        )
        if axis is None:
            return None
        return ColumnData(
            kind="time",
            header=axis.header,
            unit="s",
            si_unit="s",
            values=axis.seconds,
            lines=np.asarray(self.lines, dtype=int),
            source=self.path,
            note=axis.note,
        )

    def _column(self, kind: str, index: int, *, mapped: bool) -> ColumnData:
        import numpy as np

        from perovx.units import ureg

        reg = ureg()
        header = self.headers[index]
        name, header_unit = parse_header(header)
        si = KINDS[kind]
        where = f"{self.path}, column {header!r}"
        if kind in self.units:
            try:
                unit = parse_unit(self.units[kind])
            except InputError as exc:
                raise InputError(f"--unit {kind}={self.units[kind]}: {exc}") from None
            unit_source = f"--unit {kind}"
        elif header_unit is not None and header_unit.startswith(_UNREADABLE):
            raise InputError(
                f"{where}: unit {header_unit[1:]!r} is not understood; give it with "
                f"--unit {kind}=UNIT (e.g. {si or 'percent'})"
            )
        else:
            unit = header_unit
            unit_source = "header"
        # a header whose words name another quantity than its unit: a unit mix-up
        if unit is not None and unit_source == "header" and not mapped:
            named = _name_kinds(name)
            unit_kind = _kind_of_unit(unit) if unit else None
            if (
                named
                and unit_kind is not None
                and _FAMILY[unit_kind] not in {_FAMILY[k] for k in named}
            ):
                raise InputError(
                    f"{where}: the name says {' or '.join(sorted(named))} but the unit "
                    f"{unit or 'dimensionless'!r} is a {unit_kind.replace('_', ' ')}: mixed "
                    f"units; map the column explicitly with --column {kind}={header!r} "
                    f"--unit {kind}=UNIT"
                )
        # read the cells (a cell may carry its own unit)
        values = np.empty(len(self.rows))
        groups: dict[str | None, list[int]] = {}
        for r, row in enumerate(self.rows):
            cell = row[index] if index < len(row) else ""
            line = self.lines[r]
            value, cell_unit = _parse_cell(cell)
            if value is None:
                shown = "an empty cell" if str(cell).strip() == "" else f"{cell!r}"
                raise InputError(
                    f"{self.path}:{line}, column {header!r}: {shown} where a number is "
                    "expected; remove the row or fill it in a copy of the file"
                )
            if not np.isfinite(value):
                raise InputError(
                    f"{self.path}:{line}, column {header!r}: {cell!r} is not a finite "
                    "number; remove the row in a copy of the file"
                )
            if abs(value) >= _OVERFLOW:
                raise InputError(
                    f"{self.path}:{line}, column {header!r}: {cell!r} is an over-range "
                    "reading of the instrument; re-measure on a higher range or remove the row"
                )
            values[r] = value
            if cell_unit:
                try:
                    cell_unit = parse_unit(cell_unit)
                except InputError:
                    raise InputError(
                        f"{self.path}:{line}, column {header!r}: cannot read {cell!r} "
                        "as a number with a unit"
                    ) from None
            groups.setdefault(cell_unit or None, []).append(r)
        cell_units = [u for u in groups if u is not None]
        if unit is None and not si:
            unit = ""  # relative values need no unit
        if unit is None and not cell_units:
            raise InputError(
                f"{where}: the header gives no unit for the {kind.replace('_', ' ')}; "
                f"give it with --unit {kind}=UNIT (e.g. {si})"
            )
        out = np.empty_like(values)
        target = reg.parse_units(si) if si else reg.dimensionless
        used_units = []
        for cu, idx in groups.items():
            u = cu if cu is not None else unit
            if u is None:
                first = self.lines[idx[0]]
                raise InputError(
                    f"{self.path}:{first}, column {header!r}: a bare number in a column "
                    f"whose other cells carry units ({', '.join(cell_units)}): mixed units; "
                    f"give the unit with --unit {kind}=UNIT"
                )
            try:
                q = reg.Quantity(values[idx], reg.parse_units(u) if u else reg.dimensionless)
                out[idx] = q.to(target).magnitude
            except Exception:
                first = self.lines[idx[0]]
                shown = u or "dimensionless"
                src = "cell" if cu is not None else unit_source
                raise InputError(
                    f"{self.path}:{first}, column {header!r}: unit {shown!r} (from the {src}) "
                    f"is not a {kind.replace('_', ' ')} ({si or 'dimensionless'}); "
                    + (
                        "the column mixes units: make them agree in a copy of the file"
                        if cell_units
                        else f"map the right column with --column {kind}=HEADER or give "
                        f"--unit {kind}=UNIT"
                    )
                ) from None
            used_units.append(u)
        return ColumnData(
            kind=kind,
            header=header,
            unit=used_units[0] if len(set(used_units)) == 1 else ",".join(sorted(set(used_units))),
            si_unit=si,
            values=out,
            lines=np.asarray(self.lines, dtype=int),
            source=self.path,
        )


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------


def read_table(
    path: str | Path,
    *,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> Table:
    """Read a measurement table (CSV/TSV/text or ``.xlsx``).

    Parameters
    ----------
    path
        The file. ``.xlsx``/``.xlsm`` are read as Excel workbooks, anything else as text.
    columns
        Optional mapping of kind (see :data:`KINDS`) to header text or 1-based column
        number, for headers that are not recognised: ``{"current": "Ch2"}``.
    units
        Optional mapping of kind to unit, for headers without (or with a wrong) unit:
        ``{"current": "nA"}``.
    sheet
        Worksheet name for workbooks (default: the first sheet).

    Returns
    -------
    Table
        Call :meth:`Table.get` to obtain a column in SI units.

    Raises
    ------
    FileFormatError
        Missing, empty or unreadable file; no numeric rows; a data line with the wrong
        number of fields (naming the line).
    InputError
        A column mapping or unit naming an unknown kind.

    Examples
    --------
    >>> t = read_table("examples/lab/xray_response.csv")  # doctest: +SKIP
    >>> t.get("current").values  # amperes  # doctest: +SKIP
    """
    p = Path(path)
    columns = dict(columns or {})
    units = dict(units or {})
    for what, mapping in (("--column", columns), ("--unit", units)):
        for kind in mapping:
            if kind not in KINDS:
                raise InputError(
                    f"{what} {kind}=...: unknown quantity {kind!r}; use one of {', '.join(KINDS)}"
                )
    if not p.exists():
        raise FileFormatError(f"{p}: no such file")
    if p.is_dir():
        raise FileFormatError(f"{p}: is a folder, expected a CSV, TSV or .xlsx file")
    if p.stat().st_size == 0:
        raise FileFormatError(f"{p}: the file is empty; expected a header and numeric rows")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            records, delimiter, layout = _records_xlsx(p, sheet), None, None
        except PerovxError:
            raise
        except Exception as exc:  # a broken sheet XML surfaces while rows are read
            raise FileFormatError(
                f"{p}: not a readable .xlsx workbook ({type(exc).__name__}: {str(exc)[:120]})"
            ) from None
    elif p.suffix.lower() == ".xls":
        raise FileFormatError(f"{p}: old Excel .xls files are not read; save it as .xlsx or CSV")
    else:
        try:
            numbers = [int(v) for v in columns.values() if str(v).strip().isdigit()]
            records, delimiter, layout = _records_text(p, max(numbers, default=None))
        except FileFormatError as exc:
            msg = str(exc)
            raise FileFormatError(msg if msg.startswith(str(p)) else f"{p}: {msg}") from None
    return _build(p, records, delimiter, columns, units, layout)


def _read_text(p: Path) -> str:
    data = p.read_bytes()
    if _looks_binary(data):
        raise FileFormatError(
            f"{p}: looks like a binary file, not a text table; export it as CSV or .xlsx"
        )
    if b"\x00" in data[:4096]:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return data.decode("utf-16")
        raise FileFormatError(
            f"{p}: looks like a binary file, not a text table; export it as CSV or .xlsx"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _looks_binary(data: bytes) -> bool:
    """Control bytes other than tab/CR/LF/FF in the first 4 kB (UTF-16 text excepted)."""
    head = data[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return ctrl > 0.01 * max(len(head), 1) or (b"\x00" in head)


def _is_comment(line: str) -> bool:
    s = line.lstrip()
    return any(s.startswith(c) for c in _COMMENT_PREFIXES)


#: Longest cell read (characters); a longer one is not a measurement table.
_MAX_CELL = 100_000


def _split(line: str, delimiter: str) -> list[str]:
    if delimiter == " ":
        return line.split()
    if len(line) > _MAX_CELL:
        raise FileFormatError(
            f"a line of {len(line)} characters (longest allowed {_MAX_CELL}): not a table of "
            "measurements"
        )
    try:
        cells = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    except csv.Error as exc:
        raise FileFormatError(f"a line cannot be split into cells ({exc})") from None
    return [c.strip() for c in cells]


def _sniff(p: Path, content: list[tuple[int, str]]) -> str:
    """Pick the delimiter that splits the last content lines consistently."""
    # lines that start with a number, quoted or not (".Repeat" of a settings block is not)
    numeric = [text for _, text in content if re.match(r"\s*\"?[-+]?(\d|\.\d)", text)]
    sample = (numeric or [text for _, text in content])[-40:]
    for d in ("\t", ";", ",", "|"):
        counts = {len(_split(s, d)) for s in sample}
        if len(counts) == 1 and counts.pop() > 1:
            return d
    counts = {len(s.split()) for s in sample}
    if len(counts) == 1 and next(iter(counts)) > 1:
        return " "
    # a ragged line: the delimiter that splits most lines alike (the line is reported later)
    for d in ("\t", ";", ",", "|", " "):
        lens = [len(_split(s, d)) for s in sample]
        top = max(set(lens), key=lens.count)
        if top > 1 and lens.count(top) > 0.5 * len(lens):
            return d
    raise FileFormatError(
        f"{p}: cannot find the column delimiter (tried tab, ';', ',', '|' and spaces) in "
        f"the last lines up to line {content[-1][0]}; the table needs at least two columns "
        "separated consistently"
    )


def _records_text(
    p: Path, n_buffers: int | None = None
) -> tuple[list[tuple[int, list[str], bool]], str, str | None]:
    """(line number, fields, is_comment) for each non-blank line, the delimiter, the layout."""
    from perovx.io.instruments import normalise_lines

    text = _read_text(p)
    raw = text.splitlines()
    if not any(line.strip() for line in raw):
        raise FileFormatError(f"{p}: the file contains only blank lines")
    lines, layout = normalise_lines(raw, n_buffers=n_buffers)
    content = [(i, line) for i, line in lines if line.strip() and not _is_comment(line)]
    if not content:
        raise FileFormatError(
            f"{p}: every line is a comment ({', '.join(_COMMENT_PREFIXES)}); no data rows"
        )
    delimiter = _sniff(p, content)
    records = []
    for i, line in lines:
        if not line.strip():
            continue
        if _is_comment(line):
            body = line.lstrip()
            for c in _COMMENT_PREFIXES:
                if body.startswith(c):
                    body = body[len(c) :]
                    break
            records.append((i, _split(body.strip(), delimiter) if body.strip() else [], True))
        else:
            records.append((i, _split(line, delimiter), False))
    return records, delimiter, layout


def _records_xlsx(p: Path, sheet: str | None) -> list[tuple[int, list[str | float], bool]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as exc:  # zip, XML ParseError, openpyxl's own: all mean "not readable"
        raise FileFormatError(
            f"{p}: not a readable .xlsx workbook ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise InputError(
                f"{p}: no worksheet {sheet!r}; the sheets are {', '.join(wb.sheetnames)}"
            )
        records: list[tuple[int, list[str | float], bool]] = []
        for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
            cells: list[str | float] = []
            for c in row:
                if c is None:
                    cells.append("")
                elif isinstance(c, bool):
                    cells.append(str(c))
                elif isinstance(c, int | float):
                    cells.append(float(c))
                else:
                    cells.append(str(c))
            while cells and cells[-1] == "":
                cells.pop()
            if not cells:
                continue
            first = cells[0]
            is_comment = isinstance(first, str) and _is_comment(first)
            records.append((r, cells, is_comment))
    finally:
        wb.close()
    if not records:
        raise FileFormatError(f"{p}: the worksheet {ws.title!r} is empty")
    return records


def _build(
    p: Path,
    records: list,
    delimiter: str | None,
    columns: dict[str, str],
    units: dict[str, str],
    layout: str | None = None,
) -> Table:
    from perovx.io.instruments import SUMMARY_LABELS, rename_headers, summary_footer

    rows_nc = [(ln, cells) for ln, cells, com in records if not com]
    if not rows_nc:
        raise FileFormatError(f"{p}: no data rows (only comments)")
    first_data = next((k for k, (_, cells) in enumerate(rows_nc) if _numeric_row(cells)), None)
    if first_data is None:
        raise FileFormatError(
            f"{p}: no numeric rows found ({len(rows_nc)} text lines read, the last at line "
            f"{rows_nc[-1][0]}); expected a header line followed by rows of numbers"
        )
    ncol = len(rows_nc[first_data][1])
    first_line = rows_nc[first_data][0]
    # the header: the last non-numeric line before the data with the same number of fields
    header: list | None = None
    header_line = None
    before = rows_nc[:first_data]
    for ln, cells in reversed(before):
        fields = _header_fields(cells, ncol, delimiter)
        if fields is not None:
            header, header_line = fields, ln
            break
    if header is None:  # a header written as a comment line (numpy.savetxt style)
        for ln, cells, com in reversed(records):
            if ln >= first_line or not com:
                continue
            fields = _header_fields(cells, ncol, delimiter)
            if fields is not None and not _numeric_row(fields):
                header, header_line = fields, ln
                break
    preamble = tuple(
        " ".join(str(c) for c in cells)
        for ln, cells in before
        if header_line is None or ln < header_line
    )
    has_header = header is not None
    headers = (
        tuple(str(h).strip() or f"column {i + 1}" for i, h in enumerate(header))
        if header is not None
        else tuple(f"column {i + 1}" for i in range(ncol))
    )
    if header is not None:
        headers, renamed = rename_headers(headers, tuple(rows_nc[first_data][1]))
        if renamed:
            layout = f"{layout}; {renamed}" if layout else renamed
    data_rows: list[tuple[str | float, ...]] = []
    data_lines: list[int] = []
    for ln, cells in rows_nc[first_data:]:
        cells = list(cells)
        while len(cells) > ncol and (isinstance(cells[-1], str) and cells[-1].strip() == ""):
            cells.pop()
        if len(cells) < ncol and delimiter is None:  # Excel: short rows are blank cells
            cells += [""] * (ncol - len(cells))
        if len(cells) != ncol:
            sep = {"\t": "tabs", " ": "spaces", None: "cells"}.get(delimiter, repr(delimiter))
            raise FileFormatError(
                f"{p}:{ln}: {len(cells)} fields separated by {sep}, but the data start "
                f"(line {first_line}) has {ncol}; fix the line in a copy of the file or delete it"
            )
        label_row = (
            bool(data_rows)
            and _is_number(data_rows[0][0])
            and str(cells[0]).strip().lower() in SUMMARY_LABELS
        )
        if label_row and summary_footer(rows_nc, ln):
            note = "statistics rows after the data (" + ", ".join(
                str(c[0]) for n, c in rows_nc if n >= ln) + ") left out"
            layout = f"{layout}; {note}" if layout else note
            break
        if not _numeric_row(cells) or label_row:
            bad = next((headers[k] for k, c in enumerate(cells) if not _is_number(c)), headers[0])
            raise FileFormatError(
                f"{p}:{ln}, column {bad!r}: a text line inside the numeric data "
                f"({' '.join(str(c) for c in cells)[:60]!r}); comment it out with '#' in a "
                "copy of the file, or delete it"
            )
        data_rows.append(tuple(cells))
        data_lines.append(ln)
    return Table(
        path=str(p),
        headers=headers,
        rows=tuple(data_rows),
        lines=tuple(data_lines),
        delimiter=delimiter,
        preamble=preamble,
        columns=columns,
        units=units,
        has_header=has_header,
        layout=layout,
    )


def _header_fields(cells: list, ncol: int, delimiter: str | None) -> list | None:
    """The header cells if ``cells`` can be a header of ``ncol`` columns."""
    if _numeric_row(cells):
        return None
    if len(cells) == ncol:
        return list(cells)
    if delimiter == " ":
        joined = " ".join(str(c) for c in cells)
        parts = [s for s in re.split(r"\s{2,}|\t", joined) if s]
        if len(parts) == ncol:
            return parts
        # "Time (s) Current (A)": split after each closing bracket
        parts = [s.strip() for s in re.findall(r"[^()\[\]]+?[(\[][^)\]]*[)\]]", joined)]
        if len(parts) == ncol:
            return parts
    return None
