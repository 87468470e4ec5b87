"""Property tests of the quantity parser: no input raises anything but a PerovxError,
every accepted value is finite and inside its field's range, and text round-trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perovx.errors import PerovxError
from perovx.units import FIELDS, MAX_TEXT_LENGTH, parse_quantity

FIELD_NAMES = sorted(FIELDS)
TOKENS = ["1", "2", "10", "0.5", "e5", "e-3", "E400", ".", "*", "**", "/", "^", "(", ")", " ",
          "-", "+", "m", "mm", "um", "µm", "cm2", "²", "⁻¹", "V", "kV", "nGy", "s", "ohm", "Ω",
          "degC", "°C", "K", "eV", "g", "inf", "nan", "Gy_air", "%", "furlong", "x", "·"]


def _check(value: object, field: str) -> None:
    try:
        out = parse_quantity(value, field=field)  # type: ignore[arg-type]
    except PerovxError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        return
    row = FIELDS[field]
    assert math.isfinite(out)
    assert row.minimum <= out <= row.maximum
    if row.nonzero:
        assert out != 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(FIELD_NAMES))
def test_any_text_is_a_value_in_range_or_a_perovx_error(text: str, field: str) -> None:
    _check(text, field)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join), st.sampled_from(FIELD_NAMES))
def test_token_soup_is_a_value_in_range_or_a_perovx_error(text: str, field: str) -> None:
    _check(text, field)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**400, 10**400),
       st.sampled_from(FIELD_NAMES))
def test_any_number_is_a_value_in_range_or_a_perovx_error(value: float, field: str) -> None:
    _check(value, field)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FIELD_NAMES), st.floats(0, 1), st.booleans())
def test_round_trip_of_values_in_range(field: str, where: float, with_space: bool) -> None:
    row = FIELDS[field]
    value = row.minimum + where * (row.maximum - row.minimum)
    if row.nonzero and value == 0:
        value = row.maximum
    text = f"{value!r}{' ' if with_space else ''}{row.unit}"
    assert parse_quantity(text, field=field) == pytest.approx(value, rel=1e-12, abs=1e-300)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 20))
def test_power_towers_are_refused_at_once(height: int) -> None:
    text = "10" + "**10" * height + " mm"
    if height == 0:
        assert parse_quantity(text, "m") == pytest.approx(0.01)
        return
    with pytest.raises(PerovxError, match="no arithmetic"):
        parse_quantity(text, "m")


def test_length_limit() -> None:
    ok = "1" + " " * (MAX_TEXT_LENGTH - 3) + "mm"
    assert parse_quantity(ok, "m") == pytest.approx(1e-3)
    with pytest.raises(PerovxError, match="too long"):
        parse_quantity(ok + " ", "m")
