"""Quantity parsing at the edges."""

from __future__ import annotations

import pytest

from perovx.errors import InputError
from perovx.units import FIELDS, convert, field_table_markdown, parse_quantity


@pytest.mark.parametrize(
    ("text", "unit", "expected"),
    [("1mm", "m", 1e-3), ("500um", "m", 5e-4), ("500 µm", "m", 5e-4), ("100V", "V", 100.0),
     ("0.04cm2", "m**2", 4e-6), ("5 nGy/s", "Gy/s", 5e-9), ("60keV", "keV", 60.0),
     ("1e11ohm*cm", "ohm*m", 1e9), ("2.8e-3cm2/V", "m**2/V", 2.8e-7),
     ("4.16g/cm3", "kg/m**3", 4160), ("1e5ohm*cm", "ohm*m", 1e3), ("5e3 nGy/s", "Gy/s", 5e-6),
     ("40degC", "K", 313.15), ("20 °C", "K", 293.15), ("295K", "K", 295.0), ("-3V", "V", -3.0)],
)
def test_parse(text: str, unit: str, expected: float) -> None:
    assert parse_quantity(text, unit) == pytest.approx(expected)


def test_bare_number_takes_default_unit() -> None:
    assert parse_quantity("3", "m", default_unit="mm") == pytest.approx(3e-3)


def test_field_unit_conversion() -> None:
    assert convert(1, "uC/(Gy*cm**2)", "C/(Gy*m**2)") == pytest.approx(1e-2)


def test_errors() -> None:
    with pytest.raises(InputError, match="thickness must be >= 0 m, got '-1mm'"):
        parse_quantity("-1mm", "m", name="thickness", minimum=0)
    with pytest.raises(InputError, match="'1V' has units of V, which cannot be converted to m"):
        parse_quantity("1V", "m", name="thickness")
    with pytest.raises(InputError, match="cannot read"):
        parse_quantity("1 parsec-ish", "m", name="thickness")


@pytest.mark.parametrize(
    ("text", "message"),
    [("10**10**10 mm", "no arithmetic"), ("2*3mm", "no arithmetic"),
     ("1e5*2 V", "no arithmetic"), ("1 mm 2", "unexpected '2'"), ("inf mm", "not a finite"),
     ("-inf mm", "not a finite"), ("nan", "not a finite"), ("1e400 m", "not a finite"),
     ("1e300 Tm", "out of any meaningful range"), ("1 furlong", "unknown unit 'furlong'"),
     ("1 m**99", "exponent 99"), ("1 ((((m))))", "nested parentheses"),
     ("1 degC*m", "must stand alone"), ("1 degC**2", "cannot take a power"), ("", "empty"),
     ("x" * 100_000, "too long"), ("mm", "expected a number")],
)
def test_refused_text(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_quantity(text, "m", name="thickness")
    assert len(str(info.value)) < 200  # the echo of a long value is cut


def test_field_range_in_the_message() -> None:
    with pytest.raises(InputError) as info:
        parse_quantity("1 km", field="thickness")
    assert str(info.value) == "thickness must be between 100 nm and 10 cm, got '1 km' (1000 m)"
    with pytest.raises(InputError, match="bias must be between -100 kV and 100 kV, not 0"):
        parse_quantity("0V", field="bias")
    assert parse_quantity("500um", field="thickness") == pytest.approx(5e-4)
    assert parse_quantity("-2kV", field="bias") == -2000.0


def test_every_field_bound_is_consistent() -> None:
    for row in FIELDS.values():
        assert row.minimum < row.maximum, row.name
        # the bounds themselves are accepted, with the field's own unit
        assert parse_quantity(row.low, field=row.name) == pytest.approx(row.minimum)
        assert parse_quantity(row.high, field=row.name) == pytest.approx(row.maximum)
        assert f"| {row.name} | {row.unit} | {row.low} … {row.high}" in field_table_markdown()


def test_no_pint_and_no_pickle_on_the_quantity_path(tmp_path) -> None:
    import subprocess
    import sys

    code = ("import sys; from perovx.units import parse_quantity as p; p('1mm', field='thickness');"
            "print('pint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PEROVX_HOME": str(tmp_path)})
    assert out.stdout.strip() == "False"
    assert not (tmp_path / "cache" / "pint").exists()


def test_pint_registry_for_headers_has_no_disk_cache(monkeypatch, tmp_path) -> None:
    from perovx import units

    monkeypatch.setenv("PEROVX_HOME", str(tmp_path))
    reg = units._registry.__wrapped__()  # a fresh registry, bypassing the shared one
    assert reg.Quantity(1, "Gy_air").to("mGy").magnitude == 1000.0
    assert not any(tmp_path.rglob("*"))  # nothing written, so nothing to load back


@pytest.mark.parametrize(
    ("from_unit", "to_unit", "factor"),
    [("C/(Gy*m**2)", "uC/(Gy*cm**2)", 100.0), ("Gy/s", "nGy/s", 1e9), ("m**2/V", "cm**2/V", 1e4),
     ("ohm*m", "ohm*cm", 100.0), ("1/s", "percent/hour", 360000.0), ("m**-3", "cm**-3", 1e-6),
     ("A/(m*s*V)", "nA/(cm*s*V)", 1e7), ("eV", "J", 1.602176634e-19), ("K", "K", 1.0)],
)
def test_convert_matches_pint(from_unit: str, to_unit: str, factor: float) -> None:
    from perovx.units import ureg

    assert convert(1.0, from_unit, to_unit) == pytest.approx(factor, rel=1e-12)
    expected = ureg().Quantity(1.0, from_unit).to(to_unit).magnitude
    assert convert(1.0, from_unit, to_unit) == pytest.approx(expected, rel=1e-12)
