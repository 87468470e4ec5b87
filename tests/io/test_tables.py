"""Tests of perovx.io.tables: dialects of lab files, units to SI, mappings, error messages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import FileFormatError, InputError
from perovx.io.tables import parse_header, parse_unit, read_table


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --- headers and units -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name", "unit"),
    [
        ("Time (s)", "Time", "s"),
        ("I [nA]", "I", "nA"),
        ("Current/A", "Current", "A"),
        ("Dose rate (uGy/s)", "Dose rate", "uGy/s"),
        ("Dose rate (µGy_air/s)", "Dose rate", "uGy/s"),
        ("Current in nA", "Current", "nA"),
        ("bias_V", "bias", "V"),
        ("Temperature (°C)", "Temperature", "degC"),
        ("Current", "Current", None),
        ("dose_rate", "dose_rate", None),
    ],
)
def test_parse_header_spellings(header: str, name: str, unit: str | None) -> None:
    assert parse_header(header) == (name, unit)


@pytest.mark.parametrize(
    ("text", "si", "factor"),
    [
        # conversion factors from the SI prefixes (BIPM SI brochure, 9th ed.)
        ("nA", "A", 1e-9),
        ("A cm-2", "A/m**2", 1e4),
        ("uC Gy-1 cm-2", "C/(Gy*m**2)", 1e-2),
        ("Ω·cm", "ohm*m", 1e-2),
        ("S cm⁻¹", "S/m", 1e2),
        ("mGy_air", "Gy", 1e-3),
        ("min", "s", 60.0),
    ],
)
def test_parse_unit_field_spellings(text: str, si: str, factor: float) -> None:
    from perovx.units import ureg

    q = ureg().Quantity(1.0, parse_unit(text)).to(si).magnitude
    assert q == pytest.approx(factor, rel=1e-12)


def test_relative_units_are_dimensionless() -> None:
    assert parse_unit("a.u.") == ""
    assert parse_unit("arb. units") == ""


def test_unreadable_unit_raises() -> None:
    with pytest.raises(InputError, match="not understood"):
        parse_unit("nAmp")


# --- dialects ----------------------------------------------------------------------------


def test_comma_file_with_comments_converts_to_si(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "a.csv",
        "# exported by a source-meter\n# bias 50 V\nTime (s),I [nA],Dose rate (uGy/s)\n"
        "0,1.5,0\n0.5,2.5,2\n1.0,3.5,2\n",
    )
    t = read_table(p)
    assert t.delimiter == ","
    np.testing.assert_allclose(t.get("time").values, [0, 0.5, 1.0])
    np.testing.assert_allclose(t.get("current").values, [1.5e-9, 2.5e-9, 3.5e-9])
    np.testing.assert_allclose(t.get("dose_rate").values, [0, 2e-6, 2e-6])
    assert t.get("current").lines.tolist() == [4, 5, 6]


def test_tab_file_with_instrument_preamble(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "b.tsv",
        "Instrument\telectrometer\nNPLC\t5\nt [s]\tI [pA]\n0\t-38.1\n0.1\t-38.2\n0.2\t-38.0\n",
    )
    t = read_table(p)
    assert t.delimiter == "\t"
    assert t.preamble == ("Instrument electrometer", "NPLC 5")
    np.testing.assert_allclose(t.get("current").values, [-38.1e-12, -38.2e-12, -38.0e-12])


def test_semicolon_decimal_comma_and_celsius(tmp_path: Path) -> None:
    p = _write(tmp_path, "c.csv", "Temperature (°C);Dark current (pA)\n25;3,5\n35,5;1,25e1\n")
    t = read_table(p)
    # 0 °C = 273.15 K exactly (definition of the kelvin and degree Celsius)
    np.testing.assert_allclose(t.get("temperature").values, [298.15, 308.65])
    np.testing.assert_allclose(t.get("dark_current").values, [3.5e-12, 12.5e-12])


def test_whitespace_file_with_spaced_headers(tmp_path: Path) -> None:
    p = _write(tmp_path, "d.txt", "Voltage (V)   Current (A)\n1  2e-12\n2  4e-12\n3  6e-12\n")
    t = read_table(p)
    assert t.delimiter == " "
    np.testing.assert_allclose(t.get("voltage").values, [1, 2, 3])


def test_numpy_savetxt_comment_header(tmp_path: Path) -> None:
    p = _write(tmp_path, "e.csv", "# Time (s), Current (A)\n0,1e-9\n1,2e-9\n2,3e-9\n")
    t = read_table(p)
    np.testing.assert_allclose(t.get("current").values, [1e-9, 2e-9, 3e-9])


def test_cells_with_units(tmp_path: Path) -> None:
    p = _write(tmp_path, "f.csv", "Time (s),Current\n0,12 nA\n1,1.5 uA\n")
    np.testing.assert_allclose(read_table(p).get("current").values, [12e-9, 1.5e-6])


def test_xlsx_with_preamble(tmp_path: Path) -> None:
    import openpyxl

    p = tmp_path / "g.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Photocurrent against bias"])
    ws.append(["Bias (V)", "Current under X-rays (nA)", "Dark current (nA)"])
    ws.append([10, 0.5, 0.01])
    ws.append([20, 0.8, 0.02])
    wb.save(p)
    t = read_table(p)
    assert t.delimiter is None
    np.testing.assert_allclose(t.get("voltage").values, [10, 20])
    np.testing.assert_allclose(t.get("current").values, [0.5e-9, 0.8e-9])
    np.testing.assert_allclose(t.get("dark_current").values, [1e-11, 2e-11])
    assert t.get("voltage").lines.tolist() == [3, 4]


def test_column_mapping_and_unit_override(tmp_path: Path) -> None:
    p = _write(tmp_path, "h.csv", "t,Ch1,Ch2\n0,1,5\n1,2,6\n")
    t = read_table(
        p, columns={"time": "t", "current": "Ch2"}, units={"time": "ms", "current": "pA"}
    )
    np.testing.assert_allclose(t.get("time").values, [0, 1e-3])
    np.testing.assert_allclose(t.get("current").values, [5e-12, 6e-12])


def test_headerless_file_by_column_number(tmp_path: Path) -> None:
    p = _write(tmp_path, "i.csv", "0,1\n1,2\n2,4\n")
    t = read_table(
        p, columns={"voltage": "1", "current": "2"}, units={"voltage": "V", "current": "nA"}
    )
    assert not t.has_header
    np.testing.assert_allclose(t.get("current").values, [1e-9, 2e-9, 4e-9])


def test_input_file_is_not_modified(tmp_path: Path) -> None:
    p = _write(tmp_path, "j.csv", "Time (s),Current (A)\n0,1\n1,2\n")
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    read_table(p).get("current")
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before


# --- bad input -------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    p = _write(tmp_path, "empty.csv", "")
    with pytest.raises(FileFormatError, match=r"empty\.csv: the file is empty"):
        read_table(p)


def test_blank_lines_only(tmp_path: Path) -> None:
    p = _write(tmp_path, "blank.csv", "\n\n  \n")
    with pytest.raises(FileFormatError, match="only blank lines"):
        read_table(p)


def test_no_numeric_rows(tmp_path: Path) -> None:
    p = _write(tmp_path, "text.csv", "Time (s),Current (A)\nstart,stop\nfoo,bar\n")
    with pytest.raises(FileFormatError, match=r"text\.csv: no numeric rows"):
        read_table(p)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no such file"):
        read_table(tmp_path / "nope.csv")


def test_old_xls_refused(tmp_path: Path) -> None:
    p = tmp_path / "old.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(FileFormatError, match=r"save it as \.xlsx or CSV"):
        read_table(p)


def test_non_monotonic_time_names_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "t.csv", "Time (s),Current (A)\n0,1\n1,2\n0.5,3\n2,4\n")
    with pytest.raises(InputError, match=r"t\.csv:4, column 'Time \(s\)'.*must increase"):
        read_table(p).get("time").require_increasing()


def test_mixed_units_name_versus_unit(tmp_path: Path) -> None:
    p = _write(tmp_path, "m.csv", "Time (s),Current (V)\n0,1\n1,2\n")
    with pytest.raises(InputError, match="mixed units"):
        read_table(p, columns={}).get("voltage")


def test_mixed_units_in_cells(tmp_path: Path) -> None:
    p = _write(tmp_path, "m2.csv", "Time (s),Current\n0,1 nA\n1,2 V\n")
    with pytest.raises(InputError, match=r"m2\.csv:3, column 'Current'.*mixes units"):
        read_table(p).get("current")


def test_missing_column_names_columns_and_flag(tmp_path: Path) -> None:
    p = _write(tmp_path, "n.csv", "Time (s),Current (A)\n0,1\n1,2\n")
    with pytest.raises(InputError, match=r"no dose rate column.*'Time \(s\)'.*--column dose_rate="):
        read_table(p).get("dose_rate")


def test_ambiguous_columns(tmp_path: Path) -> None:
    p = _write(tmp_path, "amb.csv", "Voltage Source (V),Voltage Measure (V),Current (A)\n1,1,1\n")
    with pytest.raises(InputError, match="2 columns could be the voltage"):
        read_table(p).get("voltage")


def test_header_without_unit(tmp_path: Path) -> None:
    p = _write(tmp_path, "nu.csv", "Time,Current\n0,1\n1,2\n")
    with pytest.raises(InputError, match=r"no unit.*--unit current=UNIT"):
        read_table(p).get("current")


def test_unreadable_header_unit(tmp_path: Path) -> None:
    p = _write(tmp_path, "uu.csv", "Time (s),I [nAmp]\n0,1\n1,2\n")
    with pytest.raises(InputError, match=r"unit 'nAmp' is not understood.*--unit current"):
        read_table(p).get("current")


def test_wrong_field_count_names_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "w.csv", "Time (s),Current (A)\n0,1\n1,2,3\n2,3\n")
    with pytest.raises(FileFormatError, match=r"w\.csv:3: 3 fields"):
        read_table(p)


def test_text_line_inside_data(tmp_path: Path) -> None:
    p = _write(tmp_path, "x.csv", "Time (s),Current (A)\n0,1\n1,abc\n2,3\n")
    with pytest.raises(FileFormatError, match=r"x\.csv:3, column 'Current \(A\)': a text line"):
        read_table(p)


def test_overrange_reading(tmp_path: Path) -> None:
    p = _write(tmp_path, "o.csv", "Time (s),Current (A)\n0,1e-9\n1,9.9E37\n2,1e-9\n")
    with pytest.raises(InputError, match=r"o\.csv:3.*over-range"):
        read_table(p).get("current")


def test_nan_cell(tmp_path: Path) -> None:
    p = _write(tmp_path, "nan.csv", "Time (s),Current (A)\n0,1e-9\n1,NaN\n2,1e-9\n")
    with pytest.raises(InputError, match=r"nan\.csv:3.*not a finite number"):
        read_table(p).get("current")


def test_unknown_kind_in_mapping(tmp_path: Path) -> None:
    p = _write(tmp_path, "k.csv", "Time (s),Current (A)\n0,1\n")
    with pytest.raises(InputError, match="unknown quantity 'curent'"):
        read_table(p, columns={"curent": "Current (A)"})


def test_mapping_to_missing_header(tmp_path: Path) -> None:
    p = _write(tmp_path, "k2.csv", "Time (s),Current (A)\n0,1\n")
    with pytest.raises(InputError, match=r"no column 'Ch3' \(given for current\)"):
        read_table(p, columns={"current": "Ch3"}).get("current")


def test_windows_1252_export_with_micro_sign(tmp_path: Path) -> None:
    p = tmp_path / "win.csv"
    p.write_bytes("Time (s);I (µA)\r\n0;1,5\r\n1;2,5\r\n".encode("cp1252"))
    np.testing.assert_allclose(read_table(p).get("current").values, [1.5e-6, 2.5e-6])


def test_kinds_recognised_from_headers(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "k.csv",
        "t_on (s),t_off (s),Dose rate (uGy/s),Dark current (pA),Relative sensitivity (%)\n"
        "1,2,3,4,5\n",
    )
    assert read_table(p).kinds() == {
        "t_on (s)": "time_on",
        "t_off (s)": "time_off",
        "Dose rate (uGy/s)": "dose_rate",
        "Dark current (pA)": "dark_current",
        "Relative sensitivity (%)": "relative_sensitivity",
    }


# --- real-world files: kind names, instrument layouts, hardening -------------------------


def test_headers_spelled_as_kind_names(tmp_path: Path) -> None:
    p = _write(tmp_path, "s.csv", "time_on (s),time_off (s),dose_rate (uGy/s)\n1,2,3\n4,5,6\n")
    t = read_table(p)
    assert t.kinds() == {
        "time_on (s)": "time_on",
        "time_off (s)": "time_off",
        "dose_rate (uGy/s)": "dose_rate",
    }
    assert t.get("dose_rate").values[1] == pytest.approx(6e-6)


def test_labview_measurement_file(tmp_path: Path) -> None:
    head = [
        "LabVIEW Measurement\t", "Writer_Version\t2", "Separator\tTab", "Decimal_Separator\t,",
        "***End_of_Header***\t", "", "Channels\t1\t", "Y_Unit_Label\tAmps",
        "X_Dimension\tTime", "X0\t0", "Delta_X\t0,5", "***End_of_Header***\t",
        "X_Value\tPhotocurrent\tComment",
    ]
    rows = [f"{k * 0.5:.1f}\t{1e-9 * (1 + k):.3e}\t".replace(".", ",") for k in range(5)]
    p = _write(tmp_path, "run.lvm", "\n".join(head + rows) + "\n")
    t = read_table(p)
    assert "LabVIEW" in t.layout
    assert t.get("current").values == pytest.approx([1e-9, 2e-9, 3e-9, 4e-9, 5e-9])
    assert t.get("time").values[-1] == pytest.approx(2.0)
    assert t.get("current").lines[0] == 14  # the file's own line numbers


def test_keithley_electrometer_strings(tmp_path: Path) -> None:
    rows = [f"{1e-12 * (k + 1):+.6E}NADC,{k * 0.5:+013.6f}secs,{k:+06d}RDNG#" for k in range(6)]
    p = _write(tmp_path, "k6517.txt", "\n".join(rows) + "\n")
    t = read_table(p)
    assert "Keithley electrometer" in t.layout
    assert t.get("current").values[2] == pytest.approx(3e-12)
    assert t.get("time").values[-1] == pytest.approx(2.5)
    rows[3] = rows[3].replace("NADC", "OADC")
    p = _write(tmp_path, "k6517o.txt", "\n".join(rows) + "\n")
    with pytest.raises(InputError, match=r"k6517o\.txt:4, .*over-range"):
        read_table(p).get("current")


def test_keithley_electrometer_buffer_on_one_line(tmp_path: Path) -> None:
    # :TRACe:DATA? returns the whole buffer on one line, elements repeating
    line = ",".join(
        f"{100 + k:+08.4f}E-12NADC,{k * 0.5:+015.6f}secs,{k:+06d}RDNG#" for k in range(4)
    )
    t = read_table(_write(tmp_path, "buffer.txt", line + "\r\n"))
    assert t.get("current").values == pytest.approx([1.00e-10, 1.01e-10, 1.02e-10, 1.03e-10])
    assert t.get("time").values[-1] == pytest.approx(1.5)


def test_keithley_2400_elements_without_header(tmp_path: Path) -> None:
    rows = [f"{v:+.6E},{v * 1e-9:+.6E},+9.910000E+37,{v:+.6E},+1.126400E+04" for v in range(5)]
    t = read_table(_write(tmp_path, "k2400.csv", "\n".join(rows) + "\n"))
    assert "Keithley 2400" in t.layout
    assert t.get("current").values[4] == pytest.approx(4e-9)
    assert t.get("voltage").values[4] == pytest.approx(4.0)


def test_scpi_element_and_unit_column_headers(tmp_path: Path) -> None:
    t = read_table(_write(tmp_path, "b2900.csv", "VOLT,CURR,TIME\n1,2e-9,0\n2,4e-9,0.1\n"))
    assert t.get("current").values[1] == pytest.approx(4e-9)
    text = "Reading,Unit,Relative Time\n1.5e-9,Amp DC,0.0\n1.6e-9,Amp DC,0.1\n"
    t = read_table(_write(tmp_path, "k2450.csv", text))
    assert t.get("current").values[1] == pytest.approx(1.6e-9)
    assert t.get("time").values[1] == pytest.approx(0.1)
    assert "instrument headers" in t.layout


def test_a_two_megabyte_header_cell_is_one_line_error(tmp_path: Path) -> None:
    p = _write(tmp_path, "big.csv", "Time (s),Current (A) " + "x" * 2_000_000 + "\n0,1\n1,2\n")
    with pytest.raises(FileFormatError) as info:
        read_table(p)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400
    assert "big.csv" in str(info.value)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "scope.bin"
    p.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(FileFormatError, match="binary"):
        read_table(p)


def test_xlsx_with_broken_xml_is_one_line_error(tmp_path: Path) -> None:
    import zipfile

    p = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", "<Types><Default")
    with pytest.raises(FileFormatError, match=r"broken\.xlsx: not a readable \.xlsx"):
        read_table(p)


def test_random_bytes_and_text_raise_only_perovx_errors(tmp_path: Path) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from perovx.errors import PerovxError

    counter = iter(range(10**6))

    def check(data: bytes, suffix: str) -> None:
        p = tmp_path / f"f{next(counter)}{suffix}"
        p.write_bytes(data)
        try:
            t = read_table(p)
            for kind in ("time", "current"):
                if t.has(kind):
                    t.get(kind)
        except PerovxError:
            pass

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.binary(max_size=600), st.sampled_from([".csv", ".txt", ".xlsx", ".lvm"]))
    def from_bytes(data: bytes, suffix: str) -> None:
        check(data, suffix)

    line = st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.sampled_from(["Time (s)", "Current (nA)", "I [A]", "", "1,5", "9.9e37", "#"]),
            st.text(max_size=12),
        ),
        max_size=5,
    ).map(lambda cells: st_join(cells))

    def st_join(cells: list[str]) -> str:
        return ",".join(cells)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(line, max_size=12))
    def from_text(lines: list[str]) -> None:
        check("\n".join(lines).encode("utf-8", "surrogatepass"), ".csv")

    from_bytes()
    from_text()
