"""Time axes from clock columns (perovx.io.clock, through perovx.io.tables.read_table)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.io.clock import clock_kind
from perovx.io.tables import read_table


def _write(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("2024-05-01T12:00:03.250", "datetime"),
        ("2024-05-01 12:00:03", "datetime"),
        ("2024-05-01T12:00:03+02:00", "datetime"),
        ("05/01/2024 12:00:03", "datetime"),  # Campbell-style "MM/dd/yyyy HH:mm:ss"
        ("2024-05-01", "date"),
        ("05/01/2024", "date"),
        ("01.05.2024", "date"),
        ("12:00:03.250", "time"),
        ("23:59", "time"),
        ("01:02:03 PM", "time"),
        ("120003", None),  # a number, not a basic-format time
        ("20240501", None),  # a number, not a basic-format date
        ("1.5e-9", None),
        ("Amp DC", None),
        (3.0, None),
    ],
)
def test_clock_kind(cell: object, kind: str | None) -> None:
    assert clock_kind(cell) == kind


def test_iso_stamps_become_seconds(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "Stamp,Current (A)\n2024-05-01T12:00:03.250,1e-9\n2024-05-01T12:00:04.000,2e-9\n"
        "2024-05-02T12:00:03.250,3e-9\n",
    )
    c = read_table(p).get("time")
    # one day = 86 400 s (datetime arithmetic)
    assert c.values == pytest.approx([0.0, 0.75, 86400.0])
    assert "ISO 8601" in c.note and "line 2" in c.note


def test_time_zone_offsets_compared_as_instants(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "Stamp,Current (A)\n2024-05-01T12:00:00+02:00,1e-9\n2024-05-01T10:00:01Z,2e-9\n",
    )
    c = read_table(p).get("time")
    assert c.values == pytest.approx([0.0, 1.0])
    assert "daylight" not in c.note


def test_mixed_time_zone_refused(tmp_path: Path) -> None:
    p = _write(
        tmp_path, "Stamp,Current (A)\n2024-05-01T12:00:00+02:00,1e-9\n2024-05-01T12:00:01,2e-9\n"
    )
    with pytest.raises(InputError, match=r"t.csv:3, column 'Stamp'.*time-zone offset"):
        read_table(p).get("time")


def test_midnight_rollover_without_date(tmp_path: Path) -> None:
    p = _write(tmp_path, "Time,I (nA)\n23:59:59.500,1\n00:00:00.250,2\n00:00:01,3\n")
    c = read_table(p).get("time")
    assert c.values == pytest.approx([0.0, 0.75, 1.5])
    assert "1 midnight roll-over" in c.note


def test_clock_going_back_refused_with_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "Time,I (nA)\n10:00:00,1\n10:00:02,2\n10:00:01,3\n")
    with pytest.raises(InputError, match=r"t.csv:4, column 'Time': the clock goes back") as e:
        read_table(p).get("time")
    assert "\n" not in str(e.value)


def test_date_time_and_fractional_seconds(tmp_path: Path) -> None:
    # day.month.year dates (not US order: 13 is no month), whole-second times and a
    # fractional-seconds column found by its values (numbers in [0, 1)), not its header
    p = _write(
        tmp_path,
        "n;Current (A);Day;Clock;Sub\n"
        "1;1e-9;13.05.2024;23:59:59;0.5\n"
        "2;2e-9;14.05.2024;00:00:00;0.25\n"
        "3;3e-9;14.05.2024;00:00:00;0.75\n",
    )
    c = read_table(p).get("time")
    assert c.values == pytest.approx([0.0, 0.75, 1.25])
    assert "day.month.year" in c.note and "'Sub'" in c.note


def test_us_dates_preferred_when_both_orders_parse(tmp_path: Path) -> None:
    p = _write(tmp_path, "Date,Time,I (A)\n05/01/2024,12:00:00,1e-9\n05/02/2024,12:00:00,2e-9\n")
    c = read_table(p).get("time")
    assert c.values == pytest.approx([0.0, 86400.0])
    assert "month/day/year" in c.note


def test_elapsed_time_column_wins(tmp_path: Path) -> None:
    p = _write(tmp_path, "Time (s),Clock,I (A)\n0,12:00:00,1e-9\n0.5,12:00:01,2e-9\n")
    c = read_table(p).get("time")
    assert c.header == "Time (s)" and c.note == ""
    assert c.values == pytest.approx([0.0, 0.5])


def test_mapped_clock_column(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "Start,End,I (A)\n12:00:00,12:00:01,1e-9\n12:00:02,12:00:04,2e-9\n",
    )
    assert read_table(p).get("time").header == "Start"
    c = read_table(p, columns={"time": "End"}).get("time")
    assert c.header == "End"
    assert np.array_equal(c.values, [0.0, 3.0])


def test_two_column_iso_file_has_numeric_rows(tmp_path: Path) -> None:
    # one clock cell and one number per row: still data rows, not a header
    p = _write(tmp_path, "2024-05-01T00:00:00\t1e-9\n2024-05-01T00:00:01\t2e-9\n", "x.tsv")
    t = read_table(p)
    assert t.n_rows == 2 and not t.has_header
    assert t.get("time").values == pytest.approx([0.0, 1.0])


def test_time_stamp_preamble_line_is_not_data(tmp_path: Path) -> None:
    p = _write(tmp_path, "2024-05-01 12:00:00\nTime (s),I (A)\n0,1e-9\n1,2e-9\n")
    t = read_table(p)
    assert t.headers == ("Time (s)", "I (A)") and t.n_rows == 2
    assert t.preamble == ("2024-05-01 12:00:00",)
