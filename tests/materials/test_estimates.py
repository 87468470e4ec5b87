"""Estimates for what no source gives: Vegard alloys, inheritance, class values, labels."""

from __future__ import annotations

import math

import pytest

from perovx.errors import InputError
from perovx.materials import add_material, get_material
from perovx.materials import database as db
from perovx.materials.estimates import (
    complete_material,
    estimate_notes,
    vegard_alloy,
    vegard_interpolate,
)
from perovx.materials.formula import parse_formula
from perovx.materials.material import Material, Value


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh, private materials database for the test."""
    monkeypatch.setenv(db.ENV_HOME, str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def store():
    s = db.MaterialStore(":memory:")
    yield s
    s.close()


# End members of the algebra tests: MA3Bi2I9 and Cs3Bi2I9 (molar masses from the formulas,
# densities and band gaps as the database's default rows give them).
M_MBI = parse_formula("MA3Bi2I9").molar_mass_kg_per_mol
M_CBI = parse_formula("Cs3Bi2I9").molar_mass_kg_per_mol
RHO_MBI, RHO_CBI = 3970.0, 5070.0
EG_MBI, EG_CBI = 2.1, 2.05


def test_vegard_reproduces_end_members_exactly():
    args = ([M_MBI, M_CBI], [RHO_MBI, RHO_CBI], [EG_MBI, EG_CBI])
    assert vegard_interpolate([1.0, 0.0], *args) == (RHO_MBI, EG_MBI)
    assert vegard_interpolate([0.0, 1.0], *args) == (RHO_CBI, EG_CBI)


def test_vegard_midpoint_is_the_mean_volume_and_mean_gap():
    rho, gap = vegard_interpolate([0.5, 0.5], [M_MBI, M_CBI], [RHO_MBI, RHO_CBI],
                                  [EG_MBI, EG_CBI])
    mean_mass = (M_MBI + M_CBI) / 2
    mean_volume = (M_MBI / RHO_MBI + M_CBI / RHO_CBI) / 2  # Vegard: volume linear in x
    assert mean_mass / rho == pytest.approx(mean_volume, rel=1e-12)
    assert gap == pytest.approx((EG_MBI + EG_CBI) / 2, rel=1e-12)
    assert min(RHO_MBI, RHO_CBI) < rho < max(RHO_MBI, RHO_CBI)


@pytest.mark.parametrize(("fractions", "match"), [
    ([0.7, 0.7], "sum to 1"),
    ([1.2, -0.2], ">= 0"),
    ([1.0], "same length"),
])
def test_vegard_rejects_bad_fractions(fractions, match):
    with pytest.raises(InputError, match=match):
        vegard_interpolate(fractions, [M_MBI, M_CBI], [RHO_MBI, RHO_CBI], [EG_MBI, EG_CBI])


def test_alloy_formula_is_decomposed_into_its_end_members(store):
    pool = [e.material for e in store.entries()]
    alloy = vegard_alloy(Material(name="x", formula="(MA0.9Cs0.1)3Bi2I9"), pool)
    assert alloy is not None
    parts = {m.formula: x for m, x in zip(alloy.end_members, alloy.fractions, strict=True)}
    assert parts == {"MA3Bi2I9": pytest.approx(0.9), "Cs3Bi2I9": pytest.approx(0.1)}
    halide = vegard_alloy(Material(name="y", formula="MAPb(I0.8Br0.2)3"), pool)
    assert halide is not None
    assert {m.formula: x for m, x in zip(halide.end_members, halide.fractions,
                                         strict=True)} == {
        "MAPbI3": pytest.approx(0.8), "MAPbBr3": pytest.approx(0.2)}
    # not a mixture of database rows
    assert vegard_alloy(Material(name="z", formula="PbI2"), pool) is None


def test_alloy_values_are_vegard_between_the_database_end_members(home):
    a = get_material("(MA0.5Cs0.5)3Bi2I9")
    mbi, cbi = get_material("MA3Bi2I9"), get_material("Cs3Bi2I9")
    rho, gap = vegard_interpolate(
        [0.5, 0.5],
        [mbi.composition.molar_mass_kg_per_mol, cbi.composition.molar_mass_kg_per_mol],
        [mbi.density(), cbi.density()], [mbi.band_gap_eV.value, cbi.band_gap_eV.value])
    assert a.density_kg_m3.value == pytest.approx(rho, rel=1e-5)
    assert a.band_gap_eV.value == pytest.approx(gap, rel=1e-5)
    for v in (a.density_kg_m3, a.band_gap_eV):
        assert v.estimated and "Vegard" in v.source and mbi.name in v.source


def test_add_inherits_density_and_band_gap_of_the_same_formula(home):
    added = add_material({"id": "my-MBI", "formula": "(CH3NH3)3Bi2I9",
                          "mu_tau_e_cm2_per_V": 1e-4, "resistivity_ohm_cm": 1e11})
    props = added.data["properties"]
    ref = get_material("MA3Bi2I9-SC-53")
    assert props["density_g_cm3"]["value"] == pytest.approx(ref.density() / 1e3)
    assert props["band_gap_eV"]["value"] == pytest.approx(ref.band_gap_eV.value)
    assert "inherited from 'MA3Bi2I9-SC-53'" in props["density_g_cm3"]["source"]
    assert props["density_g_cm3"]["estimated"] is False  # a measured value of that compound
    # values the user gave stay the user's
    assert props["mu_tau_e_cm2_per_V"] == {"value": 1e-4, "source": "given by user",
                                           "estimated": False}


def test_add_alloy_gets_labelled_vegard_estimates(home):
    added = add_material({"id": "my-MCBI", "formula": "(MA0.9Cs0.1)3Bi2I9"})
    props = added.data["properties"]
    for key in ("density_g_cm3", "band_gap_eV"):
        assert props[key]["estimated"] is True and "Vegard" in props[key]["source"]
    assert 3.97 < props["density_g_cm3"]["value"] < 5.07


def test_add_keeps_given_density(home):
    added = add_material({"id": "my-MBI2", "formula": "MA3Bi2I9", "density_g_cm3": 3.5})
    assert added.data["properties"]["density_g_cm3"]["value"] == 3.5
    assert added.data["properties"]["band_gap_eV"]["value"] == pytest.approx(2.1)


def test_class_values_are_the_lowest_measured_and_labelled(store):
    pool = [e.material for e in store.entries()]
    m = complete_material(Material(name="t", formula="MA3Bi2I9", dimensionality="0D"), pool)
    measured = [p.mu_tau_e_m2_per_V.value for p in pool
                if p.formula == "MA3Bi2I9" and p.mu_tau_e_m2_per_V is not None
                and not p.mu_tau_e_m2_per_V.estimated]
    assert m.mu_tau_e_m2_per_V.value == min(measured)
    assert m.mu_tau_e_m2_per_V.estimated
    assert "lowest measured electron μτ" in m.mu_tau_e_m2_per_V.source
    rho = [p.resistivity_ohm_m.value for p in pool if p.formula == "MA3Bi2I9"
           and p.resistivity_ohm_m is not None and not p.resistivity_ohm_m.estimated]
    assert m.resistivity_ohm_m.value == min(rho)


def test_known_values_are_never_replaced(store):
    pool = [e.material for e in store.entries()]
    given = Material(name="g", formula="MAPbI3", density_kg_m3=Value(4000.0, "mine"),
                     mu_tau_h_m2_per_V=Value(1e-8, "mine"))
    m = complete_material(given, pool)
    assert m.density_kg_m3 == Value(4000.0, "mine")
    assert m.mu_tau_h_m2_per_V == Value(1e-8, "mine")
    assert m.mu_tau_e_m2_per_V is None  # one carrier known: the other is not invented


def test_estimate_notes_name_value_and_method(home):
    m = get_material("BA2MA9Pb10I31")
    notes = estimate_notes(m, used=["density_kg_m3", "resistivity_ohm_m"])
    assert len(notes) == 2
    assert notes[0].startswith("density 4.16 g/cm³ is an estimate: density of the closest")
    assert "resistivity 7e+09 Ω cm is an estimate" in notes[1]
    assert "DOI 10.1117/12.2676107" in notes[1]
    measured = get_material("MA3Bi2I9-SC-53")
    assert estimate_notes(measured, used=["density_kg_m3", "resistivity_ohm_m"]) == []
    assert all(math.isfinite(v.value) for v in (m.density_kg_m3, m.band_gap_eV))
