"""Property tests of the formula parser: any text, and nested structures of any depth,
give a composition or a PerovxError, never a RecursionError or another exception."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perovx.errors import PerovxError
from perovx.materials.formula import MAX_NESTING, parse_formula

PIECES = ["MA", "FA", "Cs", "Pb", "Bi", "I", "Br", "H2O", "Xx", "x", "1-x", "3", "0.5", ".", "·",
          "*", "(", ")", "[", "]", "{", "}", "-", "+", "2", "9" * 40, " "]


def _check(text: str, variables: dict[str, float] | None = None) -> None:
    try:
        comp = parse_formula(text, variables=variables)
    except PerovxError as exc:
        assert "\n" not in str(exc)
        return
    assert comp.atoms and all(math.isfinite(n) and n > 0 for n in comp.atoms.values())
    assert math.isfinite(comp.molar_mass_kg_per_mol) and comp.molar_mass_kg_per_mol > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
       st.floats(allow_nan=True, allow_infinity=True))
def test_formula_like_text(text: str, x: float) -> None:
    _check(text, {"x": x})


def _nested(depth: int, inner: str) -> str:
    return "(" * depth + inner + ")" * depth


@settings(max_examples=100, deadline=None)
@given(st.recursive(
    st.sampled_from(["Cs", "MA", "Pb", "I3", "Bi2"]),
    lambda sub: st.tuples(st.sampled_from("([{"), st.lists(sub, min_size=1, max_size=3),
                          st.sampled_from(["", "2", "0.5"]))
    .map(lambda t: t[0] + "".join(t[1]) + ")]}"["([{".index(t[0])] + t[2]),
    max_leaves=20))
def test_nested_structures(text: str) -> None:
    _check(text)


@pytest.mark.parametrize("depth", [MAX_NESTING, MAX_NESTING + 1, 3000, 100_000])
def test_deep_nesting_is_refused_cleanly(depth: int) -> None:
    text = _nested(depth, "Cs")
    if depth <= MAX_NESTING:
        assert parse_formula(text).atoms == {"Cs": 1.0}
    else:
        with pytest.raises(PerovxError, match=r"nested more than|characters long"):
            parse_formula(text)
