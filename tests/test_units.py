"""Quantity parsing at the edges."""

from __future__ import annotations

import pytest

from perovx.errors import InputError
from perovx.units import convert, parse_quantity


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
    with pytest.raises(InputError, match="cannot be converted to m"):
        parse_quantity("1V", "m", name="thickness")
    with pytest.raises(InputError, match="cannot read"):
        parse_quantity("1 parsec-ish", "m", name="thickness")


def test_registry_works_without_a_writable_cache_folder(monkeypatch, tmp_path):
    from perovx import units

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PEROVX_HOME", str(blocker))
    reg = units._registry.__wrapped__()  # a fresh registry, bypassing the shared one
    assert reg.Quantity(1, "Gy_air").to("mGy").magnitude == 1000.0
    assert blocker.read_text() == "not a folder"


def test_registry_cache_gives_the_same_units(monkeypatch, tmp_path):
    from perovx import units

    monkeypatch.setenv("PEROVX_HOME", str(tmp_path))
    first = units._registry.__wrapped__()  # parses and writes the cache
    assert any((tmp_path / "cache" / "pint").iterdir())
    second = units._registry.__wrapped__()  # reads it back
    for text in ("uC/(Gy*cm**2)", "nGy/s", "ohm*cm", "cm**2/V"):
        assert second.Quantity(1, text).to_base_units().magnitude == \
            first.Quantity(1, text).to_base_units().magnitude
