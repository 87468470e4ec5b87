"""Instrument export layouts (perovx.io.instruments) read through read_table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from perovx.errors import FileFormatError
from perovx.io.instruments import normalise_lines
from perovx.io.tables import read_table


def _printbuffer(tmp_path: Path, values: list[float], name: str = "pb.txt") -> Path:
    p = tmp_path / name
    p.write_text(", ".join(f"{v:.6e}" for v in values) + "\n")
    return p


def test_printbuffer_two_buffers_found_from_the_rising_time_stamps(tmp_path: Path) -> None:
    t = np.arange(30) * 0.05
    i = 1e-9 + 1e-12 * np.sin(np.arange(30))
    p = _printbuffer(tmp_path, [x for pair in zip(t, i, strict=True) for x in pair])
    table = read_table(p, columns={"time": "1", "current": "2"},
                       units={"time": "s", "current": "A"})
    assert table.n_rows == 30
    np.testing.assert_allclose(table.get("time").values, t, atol=1e-9)
    np.testing.assert_allclose(table.get("current").values, i, rtol=1e-6)
    # without the column numbers the count comes from the rising series
    auto = read_table(p)
    assert auto.headers == ("buffer 1", "buffer 2", "Reading number")
    assert "2 interleaved buffers" in (auto.layout or "")


def test_printbuffer_three_buffers_from_column_numbers(tmp_path: Path) -> None:
    # timestamps, source values, readings: the user's --column numbers give the count
    t, v, i = np.arange(12) * 0.1, np.linspace(0, 1, 12), np.linspace(1e-9, 2e-9, 12)
    vals = [x for row in zip(t, v, i, strict=True) for x in row]
    p = _printbuffer(tmp_path, vals)
    table = read_table(p, columns={"time": "1", "voltage": "2", "current": "3"},
                       units={"time": "s", "voltage": "V", "current": "A"})
    np.testing.assert_allclose(table.get("voltage").values, v, rtol=1e-6, atol=1e-12)
    assert "from the --column numbers" in (table.layout or "")


def test_printbuffer_count_that_does_not_divide_is_refused(tmp_path: Path) -> None:
    p = _printbuffer(tmp_path, list(np.linspace(1.0, 2.0, 13)))
    with pytest.raises(FileFormatError, match="not a multiple of 2") as info:
        read_table(p, columns={"time": "1", "current": "2"})
    assert "\n" not in str(info.value)


def test_short_comma_lines_are_not_taken_for_printbuffer() -> None:
    _, note = normalise_lines(["1, 2, 3", "4, 5, 6"])
    assert note is None


def test_6517_delta_time_stamps_are_summed_and_a_settings_line_kept(tmp_path: Path) -> None:
    p = tmp_path / "k6517.txt"
    p.write_text(
        "-0.0,-0.8,-0.01\n"
        "-0030.786E-12NADC,DELTA+0.000SECS,+00000RDNG#,-018.8694E-12NADC,DELTA+1.228SECS,"
        "+00001RDNG#,-020.5417E-12NADC,DELTA+1.047SECS,+00002RDNG#\n"
    )
    table = read_table(p)
    np.testing.assert_allclose(table.get("time").values, [0.0, 1.228, 2.275])
    np.testing.assert_allclose(table.get("current").values, [-30.786e-12, -18.8694e-12,
                                                             -20.5417e-12])
    assert "DELTA" in (table.layout or "")


def test_statistics_rows_only_at_the_end_are_left_out(tmp_path: Path) -> None:
    head = '"Index","SMU-1 Time (s)","SMU-1 Voltage (V)","SMU-1 Current (A)"\n'
    rows = "".join(f'"{k}","{k * 0.1}","{k}","{k * 1e-9}"\n' for k in range(1, 6))
    foot = '\n"Min","0","1","1E-09"\n"Max","0.5","5","5E-09"\n"CV","1%","2%","3%"\n'
    p = tmp_path / "ks.csv"
    p.write_text(".Repeat,\t0,,\n,,,\n" + head + rows + foot)
    table = read_table(p)
    assert table.n_rows == 5
    assert "statistics rows" in (table.layout or "")
    # a statistics-like row inside the data is still a text line inside the data
    p.write_text(head + rows + '"Min","0","1","1E-09"\n' + rows)
    with pytest.raises(FileFormatError, match="text line inside the numeric data"):
        read_table(p)
