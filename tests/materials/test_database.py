"""The materials database: the review's tables, reference materials, look-up rules,
persistence of user materials, export/import and error messages."""

import json
import math
import sqlite3

import pytest

from perovx.errors import FileFormatError, InputError, UnknownNameError
from perovx.materials import (
    MaterialStore,
    add_material,
    export_materials,
    get_material,
    import_materials,
    list_materials,
    parse_formula,
    records,
)
from perovx.materials import database as db
from perovx.materials.material import Material, Value
from perovx.units import convert

NA = None

# Tables 1 and 2 of S. Tie et al., "Halide perovskites for sensitive, stable and scalable
# X-ray detection and imaging", Chem. Commun. 59, 5016 (2023), typed from the tables:
# (formula, SC/PC, reference) -> (resistivity Ω cm, μe cm2/(V s), μeτe cm2/V, μh, μhτh, Ea eV)
TABLE1 = {
    ("MA3Bi2I9", "SC", 53): (5.27e11, 8, 2.8e-3, 6, 2.8e-3, 0.46),
    ("MA3Bi2I9", "SC", 68): (3.74e10, NA, NA, NA, NA, 1.18),
    ("FA3Bi2I9", "SC", 54): (7.8e10, 0.034, 1.3e-4, 0.025, 2.4e-5, 0.56),
    ("Cs3Bi2I9", "SC", 52): (1.12e9, 4.57, 1.9e-3, 3.78, 1.9e-3, NA),
    ("Cs3Bi2I9", "SC", 36): (2.79e10, NA, 8e-4, NA, 8e-4, NA),
    ("Cs3Bi2I9", "SC", 69): (1e12, 6.1, 2e-5, NA, 2e-5, NA),
    ("Rb3Bi2I9", "SC", 70): (2.3e9, 2.27, 2.5e-3, 2.27, 2.5e-3, 0.56),
    ("Cs3Bi2Br9", "SC", 71): (1.4e12, 1.54, 8.3e-4, 1.54, 8.3e-4, 1.03),
    ("(NH4)3Bi2I9", "SC", 72): (NA, 213, 1.1e-2, 213, 1.1e-2, 0.91),
    ("Cs2AgBiBr6", "SC", 34): (1.6e11, 11.81, 6.3e-3, 11.81, 6.3e-3, 0.348),
    ("Cs2AgBiBr6", "SC", 73): (3.6e12, NA, NA, NA, NA, NA),
    ("Cs2AgBiCl6", "SC", 74): (3.1e10, 0.6, 5.36e-4, 0.6, 5.36e-4, NA),
    ("(H2MDAP)BiI5", "SC", 75): (2.1e10, 1.42, NA, 1.42, NA, NA),
    ("(3-AMP)BiI5", "SC", 76): (3.3e11, 0.0485, NA, 0.0485, NA, 0.83),
    ("(BAH)BiI4", "SC", 77): (4.2e11, NA, 1.95e-4, NA, 1.95e-4, NA),
    ("MA3Bi2I9", "PC", 78): (2.28e11, 3.6, 4.6e-5, 3.3, 4.6e-5, 0.48),
    ("(MA1-xCsx)3Bi2I9", "PC", 79): (3.9e11, 0.36, 1e-6, 0.4, 1e-6, 0.55),
    ("MA3Bi2I9", "PC", 46): (5e11, 0.99, 2.56e-5, 0.77, 3.89e-5, 0.91),
    ("MA3Bi2I9", "PC", 80): (3e11, 0.07, 1.17e-6, 0.058, 1.62e-6, 0.59),
    ("Cs3Bi2I9", "PC", 81): (1.33e10, NA, 1.67e-4, NA, 1.67e-4, NA),
    ("Cs3Bi2I9", "PC", 82): (NA, 5.15, 2.54e-3, 4, 2.54e-3, NA),
    ("Cs2AgBiBr6", "PC", 83): (1.6e10, NA, 5.51e-3, NA, 5.51e-3, 0.36),
}
TABLE1_KEYS = ("resistivity_ohm_cm", "mobility_e_cm2_per_Vs", "mu_tau_e_cm2_per_V",
               "mobility_h_cm2_per_Vs", "mu_tau_h_cm2_per_V", "activation_energy_eV")
# -> (sensitivity µC Gy_air-1 cm-2, LoD nGy_air s-1, radiation stability mGy_air)
TABLE2 = {
    ("MA3Bi2I9", "SC", 53): (10620, 0.62, 23800),
    ("MA3Bi2I9", "SC", 68): (1947, 83, 2980),
    ("FA3Bi2I9", "SC", 54): (598.1, 200, NA),
    ("Cs3Bi2I9", "SC", 52): (964, 44.6, NA),
    ("Cs3Bi2I9", "SC", 36): (1652.3, 130, NA),
    ("Cs3Bi2I9", "SC", 69): (111.9, NA, NA),
    ("Rb3Bi2I9", "SC", 70): (159.7, 8.32, 4.8e8),
    ("Cs3Bi2Br9", "SC", 71): (1705, 0.58, NA),
    ("(NH4)3Bi2I9", "SC", 72): (9803, 55, NA),
    ("Cs2AgBiBr6", "SC", 34): (105, 59.7, 9257),
    ("Cs2AgBiBr6", "SC", 73): (988, NA, NA),
    ("Cs2AgBiCl6", "SC", 74): (326, 241, NA),
    ("(DMEDA)BiI5", "SC", 84): (72.5, NA, NA),
    ("(H2MDAP)BiI5", "SC", 75): (1, NA, NA),
    ("(3-AMP)BiI5", "SC", 76): (7.7, NA, NA),
    ("(BAH)BiI4", "SC", 77): (1181.8, 77, 115776),
    ("MA3Bi2I9", "PC", 78): (563, 9.3, 320000),
    ("(MA1-xCsx)3Bi2I9", "PC", 79): (130, 12.8, 264),
    ("MA3Bi2I9", "PC", 46): (35, 140, 19000),
    ("MA3Bi2I9", "PC", 80): (100.16, 98.4, NA),
    ("MA3Bi2I9", "PC", 85): (2065, 2.71, 107590),
    ("Cs3Bi2I9", "PC", 81): (230.46, 61.25, 154),
    ("Cs3Bi2I9", "PC", 82): (368, 231, 238),
    ("Cs2AgBiBr6", "PC", 83): (250, 95.3, NA),
}
TABLE2_KEYS = ("sensitivity_uC_per_Gy_cm2", "lod_nGy_per_s", "radiation_stability_mGy")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh, private materials database for the test."""
    monkeypatch.setenv(db.ENV_HOME, str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def shipped():
    """The shipped rows, read once (no user rows)."""
    store = MaterialStore(":memory:")
    rows = {e.id: e for e in store.entries()}
    store.close()
    return rows


def _row_id(formula, form, ref):
    return f"{formula}-{form}-{ref}"


# ---------------------------------------------------------------------------------------
# Shipped data
# ---------------------------------------------------------------------------------------


def test_every_table_row_is_present_once(shipped):
    table_ids = {_row_id(*k) for k in {*TABLE1, *TABLE2}}
    review_rows = {i for i, e in shipped.items() if e.origin == "shipped"
                   and e.data["form"] in ("SC", "PC") and e.review_ref in
                   {k[2] for k in {*TABLE1, *TABLE2}}}
    assert table_ids <= set(shipped)
    assert table_ids == review_rows
    assert len(table_ids) == 24  # 22 rows in Table 1 + (DMEDA)BiI5 (84) and MA3Bi2I9 PC 85


@pytest.mark.parametrize(("row", "values"), list(TABLE1.items()))
def test_table1_values_with_reference(shipped, row, values):
    entry = shipped[_row_id(*row)]
    assert entry.review_ref == row[2]
    assert entry.data["form"] == row[1]
    for key, expected in zip(TABLE1_KEYS, values, strict=True):
        obj = entry.data["properties"].get(key)
        if expected is None:
            assert obj is None, key  # NA stays missing, never zero
        else:
            assert obj["value"] == pytest.approx(expected, rel=1e-12), key
            assert f"Table 1 (ref. {row[2]})" in obj["source"]
            assert obj["estimated"] is False


@pytest.mark.parametrize(("row", "values"), list(TABLE2.items()))
def test_table2_values_with_reference(shipped, row, values):
    entry = shipped[_row_id(*row)]
    reported = entry.material.reported
    assert f"Table 2 (ref. {row[2]})" in reported["source"]
    for key, expected in zip(TABLE2_KEYS, values, strict=True):
        if expected is None:
            assert reported[key] is None, key
        else:
            assert reported[key] == pytest.approx(expected, rel=1e-12), key


@pytest.mark.parametrize(
    ("entry_id", "attr", "si_value"),
    [
        # Spot checks, typed from the review's tables and converted by hand to SI:
        ("MA3Bi2I9-SC-53", "resistivity_ohm_m", 5.27e9),  # 5.27e11 Ω cm (Table 1, ref. 53)
        ("MA3Bi2I9-SC-53", "mobility_e_m2_per_Vs", 8e-4),  # 8 cm2/(V s)
        ("MA3Bi2I9-SC-53", "mu_tau_h_m2_per_V", 2.8e-7),  # 2.8e-3 cm2/V
        ("FA3Bi2I9-SC-54", "mu_tau_h_m2_per_V", 2.4e-9),  # 2.4e-5 cm2/V (ref. 54)
        ("Cs3Bi2Br9-SC-71", "activation_energy_eV", 1.03),  # ref. 71
        ("(NH4)3Bi2I9-SC-72", "mobility_h_m2_per_Vs", 213e-4),  # 213 cm2/(V s), ref. 72
        ("Cs2AgBiBr6-SC-34", "activation_energy_eV", 0.348),  # ref. 34
        ("(3-AMP)BiI5-SC-76", "mobility_e_m2_per_Vs", 0.0485e-4),  # ref. 76
        ("MA3Bi2I9-PC-80", "mu_tau_h_m2_per_V", 1.62e-10),  # 1.62e-6 cm2/V, ref. 80
        ("Cs2AgBiBr6-PC-83", "mu_tau_e_m2_per_V", 5.51e-7),  # 5.51e-3 cm2/V, ref. 83
        ("Cs3Bi2I9-SC-69", "resistivity_ohm_m", 1e10),  # 1e12 Ω cm, ref. 69
    ],
)
def test_si_conversion_spot_checks(shipped, entry_id, attr, si_value):
    value = getattr(shipped[entry_id].material, attr)
    assert value.value == pytest.approx(si_value, rel=1e-12)


@pytest.mark.parametrize(
    ("entry_id", "key", "value"),
    [
        # Table 2 spot checks (field units, as printed in the review)
        ("MA3Bi2I9-SC-53", "sensitivity_uC_per_Gy_cm2", 10620),
        ("Cs3Bi2Br9-SC-71", "lod_nGy_per_s", 0.58),
        ("(BAH)BiI4-SC-77", "radiation_stability_mGy", 115776),
        ("MA3Bi2I9-PC-85", "sensitivity_uC_per_Gy_cm2", 2065),
        ("(DMEDA)BiI5-SC-84", "sensitivity_uC_per_Gy_cm2", 72.5),
        ("Rb3Bi2I9-SC-70", "radiation_stability_mGy", 4.8e8),
    ],
)
def test_table2_spot_checks(shipped, entry_id, key, value):
    assert shipped[entry_id].material.reported[key] == value


def test_na_stays_none_in_the_material(shipped):
    m68 = shipped["MA3Bi2I9-SC-68"].material
    assert m68.mobility_e_m2_per_Vs is None and m68.mu_tau_e_m2_per_V is None
    assert shipped["(NH4)3Bi2I9-SC-72"].material.resistivity_ohm_m is None
    assert shipped["FA3Bi2I9-SC-54"].material.reported["radiation_stability_mGy"] is None
    # rows only in Table 2 have no transport data at all
    m85 = shipped["MA3Bi2I9-PC-85"].material
    assert all(getattr(m85, f.attr) is None for f in db.FIELDS
               if f.short not in ("density", "band_gap"))


def test_shipped_file_writes_na_as_null_not_zero():
    text = db._shipped_path().read_text(encoding="utf-8")
    doc = json.loads(text)
    row = next(e for e in doc["materials"] if e["id"] == "MA3Bi2I9-SC-68")
    assert row["properties"]["mobility_e_cm2_per_Vs"] is None
    for entry in doc["materials"]:
        for key, obj in entry.get("properties", {}).items():
            assert obj is None or obj["value"] != 0, (entry["id"], key)


def test_text_extraction_slips_are_corrected(shipped):
    # the review's text layer reads (H2MDAP)Bi5, (3-AMP)Bi5, (BAH)Bi4, (DMEDA)Bi5; the
    # Fig. 1 caption gives the real formulas
    for entry_id, formula in [("(H2MDAP)BiI5-SC-75", "(H2MDAP)BiI5"),
                              ("(3-AMP)BiI5-SC-76", "(3-AMP)BiI5"),
                              ("(BAH)BiI4-SC-77", "(BAH)BiI4"),
                              ("(DMEDA)BiI5-SC-84", "(DMEDA)BiI5")]:
        entry = shipped[entry_id]
        assert entry.formula == formula
        assert "text extraction" in entry.data["notes"]
        assert parse_formula(formula).atoms["I"] in (4.0, 5.0)
    assert not any(e.formula.endswith(("Bi5", "Bi4")) for e in shipped.values())


def test_alloy_keeps_its_variable_flagged_estimated(shipped):
    entry = shipped["(MA1-xCsx)3Bi2I9-PC-79"]
    assert entry.formula == "(MA1-xCsx)3Bi2I9"
    x = entry.data["variables"]["x"]
    assert x["value"] == 0.1 and x["estimated"] is True
    assert "x = 0.1 is estimated" in entry.material.notes
    assert entry.material.composition.atoms["Cs"] == pytest.approx(0.3)


def test_every_row_is_complete_enough_to_simulate(shipped):
    for entry in shipped.values():
        m = entry.material
        full = entry.with_estimates
        assert full is not None and full.density_kg_m3 is not None, entry.id
        assert full.band_gap_eV is not None or full.w_pair_eV is not None, entry.id
        assert m.dimensionality in db.DIMENSIONALITIES and m.form in db.FORMS, entry.id
        for f in db.FIELDS:
            v = getattr(m, f.attr)
            assert v is None or v.source, (entry.id, f.key)  # every value has a source
        if entry.review_ref is not None:
            assert entry.reference  # full citation from the review's reference list


def test_reference_citations_follow_the_review_list(shipped):
    assert "J. Energy Chem., 2020, 49, 299" in shipped["MA3Bi2I9-SC-53"].reference
    assert "Nat. Photonics, 2017, 11, 726" in shipped["Cs2AgBiBr6-SC-34"].reference
    assert "Angew. Chem., Int. Ed., 2022, 61, e202209320" in \
        shipped["MA3Bi2I9-PC-85"].reference


@pytest.mark.parametrize(
    ("entry_id", "density_kg_m3", "band_gap_eV", "w_pair_eV"),
    [
        # CdTe and CZT: A. Owens and A. Peacock, Nucl. Instrum. Methods A 531, 18 (2004):
        # 5.85 / 5.78 g/cm3, Eg 1.44 / 1.57 eV, measured W 4.43 / 4.64 eV
        ("CdTe", 5850.0, 1.44, 4.43),
        ("CZT", 5780.0, 1.57, 4.64),
        # a-Se: 4.3 g/cm3, Eg 2.2 eV, W± 45 eV at 10 V/µm (S. O. Kasap and J. A. Rowlands,
        # Proc. IEEE 90, 591 (2002))
        ("a-Se", 4300.0, 2.2, 45.0),
        # MAPbI3: 4.16 g/cm3, Eg 1.55 eV (C. C. Stoumpos et al., Inorg. Chem. 52, 9019
        # (2013)); W from the band gap
        ("MAPbI3-SC", 4160.0, 1.55, None),
    ],
)
def test_reference_materials(shipped, entry_id, density_kg_m3, band_gap_eV, w_pair_eV):
    m = shipped[entry_id].material
    assert m.density() == pytest.approx(density_kg_m3, rel=1e-12)
    assert m.band_gap_eV.value == pytest.approx(band_gap_eV)
    if w_pair_eV is None:
        assert m.w_pair_eV is None
        assert m.w_pair() == pytest.approx(2.8 * band_gap_eV + 0.6)
    else:
        assert m.w_pair() == pytest.approx(w_pair_eV)


def test_a_se_pair_energy_states_its_field(shipped):
    a_se = shipped["a-Se"].material
    assert "10 V/µm" in a_se.w_pair_eV.source
    assert "depends on the electric field" in a_se.notes


def test_mapbi3_density_is_the_x_ray_density_of_its_cell():
    # Tetragonal MAPbI3 (I4/mcm, Z = 4, a = 8.849 Å, c = 12.642 Å; Stoumpos et al. 2013)
    # and IUPAC 2021 atomic weights: rho = Z M / (N_A V)
    molar_mass = 12.011 + 6 * 1.008 + 14.007 + 207.2 + 3 * 126.90447  # g/mol
    volume_cm3 = 8.849**2 * 12.642 * 1e-24
    rho_g_cm3 = 4 * molar_mass / (6.02214076e23 * volume_cm3)
    assert get_material_in_memory("MAPbI3").density_kg_m3.value == pytest.approx(
        rho_g_cm3 * 1e3, rel=2e-3)


def get_material_in_memory(key):
    store = MaterialStore(":memory:")
    try:
        return store.get(key)
    finally:
        store.close()


def test_estimated_values_say_why(shipped):
    est = [(e.id, f.key) for e in shipped.values() for f in db.FIELDS
           if (v := getattr(e.material, f.attr)) is not None and v.estimated]
    assert ("(DMEDA)BiI5-SC-84", "density_g_cm3") in est
    for entry_id, key in est:
        source = shipped[entry_id].data["properties"][key]["source"]
        assert source.startswith("estimated") or "assigned to both" in source, (entry_id, key)


def test_one_default_per_formula_and_docstring_lists_the_alternatives(shipped):
    store = MaterialStore(":memory:")
    by_formula = {}
    for e in shipped.values():
        by_formula.setdefault(e.formula, []).append(e)
    doc = get_material.__doc__
    for formula, rows in by_formula.items():
        assert sum(r.is_default for r in rows) <= 1, formula
        if len(rows) > 1:
            alternatives = store.alternatives(formula)
            assert alternatives[0].is_default, formula
            assert f"``{formula}``: ``{alternatives[0].id}``" in doc
            for r in rows:
                assert f"``{r.id}``" in doc, r.id
    store.close()


def test_field_factors_agree_with_pint():
    for f in (*db.FIELDS, *db.REPORTED_FIELDS):
        assert f.factor == pytest.approx(convert(1.0, f.unit, f.si_unit), rel=1e-12), f.key
        assert f.minimum < f.maximum


# ---------------------------------------------------------------------------------------
# Look-up
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "entry_id"),
    [
        ("MA3Bi2I9-SC-68", "MA3Bi2I9-SC-68"),  # id
        ("ma3bi2i9-pc-46", "MA3Bi2I9-PC-46"),  # id, any case
        ("MA3Bi2I9", "MA3Bi2I9-SC-53"),  # formula -> documented default
        ("Cs3Bi2I9", "Cs3Bi2I9-SC-52"),
        ("Cs2AgBiBr6", "Cs2AgBiBr6-SC-34"),
        ("MAPbI3", "MAPbI3-SC"),
        ("CZT", "CZT"),  # alias / id
        ("cdznte", "CZT"),  # alias, any case
        ("Cd0.9Zn0.1Te", "CZT"),  # formula
        ("a-Se", "a-Se"),
        ("amorphous selenium", "a-Se"),
        ("Se", "a-Se"),
        ("CH3NH3PbI3", "MAPbI3-SC"),  # same atoms as MAPbI3
        ("(MA1-xCsx)3Bi2I9", "(MA1-xCsx)3Bi2I9-PC-79"),
        ("MA3Bi2I9 single crystal (ref. 68)", "MA3Bi2I9-SC-68"),  # display name
    ],
)
def test_get_material_resolves_ids_names_and_formulas(home, key, entry_id):
    assert get_material(key).name == entry_id


def test_unknown_formula_gets_only_labelled_estimates(home):
    m = get_material("PbI2")
    assert m.name == "PbI2" and m.formula == "PbI2"
    assert m.composition.atoms == {"Pb": 1.0, "I": 2.0}
    values = [getattr(m, f.attr) for f in db.FIELDS if getattr(m, f.attr) is not None]
    assert values and all(v.estimated and v.source.startswith("estimated") for v in values)
    assert m.resistivity_ohm_m is not None
    # no row of that composition and no end members: no density or band gap is guessed
    # from a merely similar compound (MAPbI3 is not PbI2, and lead is not a perovskite)
    assert m.density_kg_m3 is None and m.band_gap_eV is None
    assert get_material("Pb").density_kg_m3 is None
    # an alloy composition is not matched to the row whose x is only estimated: it is
    # interpolated between its end members instead
    alloy = get_material("(MA0.9Cs0.1)3Bi2I9")
    assert alloy.density_kg_m3.estimated and "Vegard" in alloy.density_kg_m3.source
    assert "(MA1-xCsx)" not in alloy.density_kg_m3.source


def test_unknown_name_names_both_reasons(home):
    with pytest.raises(UnknownNameError, match=r"no material or formula 'Xx3Bi2I9': it is "
                       r"not an id, name or alias .* not a formula \(.*unknown element"):
        get_material("Xx3Bi2I9")
    with pytest.raises(InputError, match=r"did you mean 'CZT'"):
        get_material("CZTT")
    with pytest.raises(InputError, match="non-empty"):
        get_material("  ")


def test_list_materials_filters(home):
    everything = list_materials(has=())
    assert len(everything) == len(list_materials())  # every shipped row has ρ and Eg
    pcs = list_materials(form="PC", has=("sensitivity", "lod"))
    assert pcs and all(m.form == "PC" and m.reported["lod_nGy_per_s"] is not None
                       for m in pcs)
    one_d = list_materials(dimensionality="1D")
    assert {m.formula for m in one_d} == {"(DMEDA)BiI5", "(H2MDAP)BiI5", "(3-AMP)BiI5",
                                          "(BAH)BiI4"}
    assert [m.name for m in list_materials(has=("w_pair",))] == ["a-Se", "CZT", "CdTe"]
    with pytest.raises(InputError, match=r"unknown property 'mutau' in has=.*mu_tau_e"):
        list_materials(has=("mutau",))
    with pytest.raises(InputError, match="form 'crystal' is not one of SC, PC"):
        list_materials(form="crystal")


# ---------------------------------------------------------------------------------------
# User materials
# ---------------------------------------------------------------------------------------


def test_user_material_persists_across_store_instances(home):
    add_material({"id": "MBI-lab", "formula": "MA3Bi2I9", "density_g_cm3": 3.9,
                  "mu_tau_e_cm2_per_V": {"value": 2e-4, "source": "our Hecht fit"}})
    fresh = MaterialStore(home / "materials.sqlite3")
    m = fresh.get("MBI-lab")
    assert m.density_kg_m3 == Value(3900.0, "given by user")
    assert m.mu_tau_e_m2_per_V == Value(2e-8, "our Hecht fit")
    assert fresh.entry("MBI-lab").origin == "user"
    # the default for the formula is still the shipped flagship crystal
    assert fresh.get("MA3Bi2I9").name == "MA3Bi2I9-SC-53"
    fresh.close()


def test_add_material_object_round_trips_si(home):
    material = Material("CBI-mine", "Cs3Bi2I9", density_kg_m3=Value(5070.0, "pycnometer"),
                        mu_tau_e_m2_per_V=Value(1.9e-7, "TOF", estimated=True),
                        form="SC", dimensionality="0D")
    entry = add_material(material)
    assert entry.data["properties"]["density_g_cm3"] == {"value": 5.07,
                                                        "source": "pycnometer",
                                                        "estimated": False}
    assert entry.data["properties"]["mu_tau_e_cm2_per_V"]["value"] == 1.9e-3
    again = get_material("CBI-mine")
    assert again.density_kg_m3 == material.density_kg_m3
    assert again.mu_tau_e_m2_per_V == material.mu_tau_e_m2_per_V


def test_no_overwrite_without_asking(home):
    add_material({"id": "X1", "formula": "CdTe"})
    with pytest.raises(InputError, match=r"material id 'X1' already exists \(user row 'X1'\)"
                                         r".*overwrite=True"):
        add_material({"id": "X1", "formula": "CdTe", "density_g_cm3": 5.8})
    with pytest.raises(InputError, match=r"'MA3Bi2I9-SC-53' already exists \(shipped row"):
        add_material({"id": "MA3Bi2I9-SC-53", "formula": "MA3Bi2I9"})
    with pytest.raises(InputError, match="already exists"):  # ids ignore case
        add_material({"id": "ma3bi2i9-sc-53", "formula": "MA3Bi2I9"})
    assert get_material("MA3Bi2I9-SC-53").reported["sensitivity_uC_per_Gy_cm2"] == 10620
    add_material({"id": "MA3Bi2I9-SC-53", "formula": "MA3Bi2I9", "density_g_cm3": 4.0},
                 overwrite=True)
    replaced = get_material("MA3Bi2I9-SC-53")
    assert replaced.density_kg_m3.value == 4000.0 and replaced.reported == {}


def test_names_and_aliases_stay_unique(home):
    with pytest.raises(InputError, match=r"name 'CZT' already belongs to 'CZT'"):
        add_material({"id": "my-czt", "formula": "Cd0.9Zn0.1Te", "aliases": ["CZT"]})


def test_user_default_wins_for_its_formula(home):
    add_material({"id": "MBI-best", "formula": "MA3Bi2I9", "default": True})
    assert get_material("MA3Bi2I9").name == "MBI-best"
    with pytest.raises(InputError, match="both the default for 'MA3Bi2I9'"):
        add_material({"id": "MBI-other", "formula": "MA3Bi2I9", "default": True})


def test_new_shipped_file_keeps_user_rows(home, tmp_path):
    shipped = json.loads(db._shipped_path().read_text(encoding="utf-8"))
    path = home / "materials.sqlite3"
    store = MaterialStore(path)
    store.add({"id": "CdTe", "formula": "CdTe", "density_g_cm3": 5.86}, overwrite=True)
    store.add({"id": "mine", "formula": "PbI2"})
    store.close()
    # a newer perovx ships changed data
    shipped["materials"] = [e for e in shipped["materials"] if e["id"] != "MA3Bi2I9-SC-68"]
    next(e for e in shipped["materials"] if e["id"] == "CZT")["notes"] = "updated"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(shipped), encoding="utf-8")
    store = MaterialStore(path, shipped_path=newer)
    assert store.entry("CdTe").origin == "user"
    assert store.get("CdTe").density_kg_m3.value == 5860.0
    assert store.entry("mine") is not None
    assert store.entry("MA3Bi2I9-SC-68") is None
    assert store.get("CZT").notes == "updated"
    store.close()


def test_two_stores_on_one_file_see_each_other(home):
    a = MaterialStore(home / "materials.sqlite3")
    b = MaterialStore(home / "materials.sqlite3")
    assert b.entry("shared") is None
    a.add({"id": "shared", "formula": "CsPbBr3"})
    assert b.entry("shared") is not None
    b.remove("shared")
    assert a.entry("shared") is None
    with pytest.raises(InputError, match="shipped with perovx and cannot be removed"):
        a.remove("CZT")
    a.close()
    b.close()


def test_unwritable_home_still_reads_but_refuses_to_save(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv(db.ENV_HOME, str(blocker / "perovx"))
    assert get_material("CZT").density_kg_m3.value == 5780.0
    with pytest.raises(FileFormatError, match=r"cannot save user materials: cannot create "
                                              r".*not-a-folder.*set PEROVX_HOME"):
        add_material({"id": "X", "formula": "CdTe"})


def test_unopenable_database_file_falls_back_to_memory(tmp_path, monkeypatch):
    (tmp_path / "materials.sqlite3").mkdir()  # a folder where the file should be
    monkeypatch.setenv(db.ENV_HOME, str(tmp_path))
    assert get_material("MA3Bi2I9").name == "MA3Bi2I9-SC-53"
    with pytest.raises(FileFormatError, match=r"cannot save user materials: cannot use "
                                              r".*materials\.sqlite3 \(unable to open"):
        add_material({"id": "X", "formula": "CdTe"})


def test_corrupt_database_file_is_reported(tmp_path):
    path = tmp_path / "materials.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(FileFormatError, match=r"materials\.sqlite3: not a usable materials "
                                              r"database"):
        MaterialStore(path)


def test_sqlite_file_holds_user_rows(home):
    add_material({"id": "row", "formula": "CsPbBr3", "band_gap_eV": 2.3})
    con = sqlite3.connect(home / "materials.sqlite3")
    origin, text = con.execute("SELECT origin, entry FROM materials WHERE id = 'row'").fetchone()
    con.close()
    assert origin == "user"
    assert json.loads(text)["properties"]["band_gap_eV"]["value"] == 2.3


# ---------------------------------------------------------------------------------------
# Export and import
# ---------------------------------------------------------------------------------------


def test_export_import_round_trip(home, tmp_path, monkeypatch):
    add_material({"id": "A", "formula": "(MA1-xCsx)3Bi2I9", "variables": {"x": 0.2},
                  "form": "PC", "dimensionality": "0D", "aliases": ["alloy A"],
                  "properties": {"density_g_cm3": {"value": 4.1, "source": "lab",
                                                   "estimated": True}},
                  "reported": {"sensitivity_uC_per_Gy_cm2": 150, "conditions": "50 kVp"}})
    add_material({"id": "B", "formula": "Cs2AgBiBr6", "resistivity_ohm_cm": 1.6e11,
                  "notes": "annealed"})
    out = export_materials(tmp_path / "mine.json", origin="user")
    before = {e.id: e.to_json() for e in db.default_store().entries(origin="user")}
    with pytest.raises(FileFormatError, match="already exists"):
        export_materials(out, origin="user")
    export_materials(out, origin="user", overwrite=True)

    monkeypatch.setenv(db.ENV_HOME, str(tmp_path / "other-home"))
    added = import_materials(out)
    assert [e.id for e in added] == ["A", "B"]
    after = {e.id: e.to_json() for e in db.default_store().entries(origin="user")}
    assert after == before
    assert get_material("alloy A").composition.atoms["Cs"] == pytest.approx(0.6)
    with pytest.raises(InputError, match="already exists"):
        import_materials(out)


def test_export_everything_as_json_reimports_cleanly(home, tmp_path):
    path = export_materials(tmp_path / "all.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == db.SCHEMA_ID
    assert len(doc["materials"]) == len(db.default_store().entries())
    store = MaterialStore(tmp_path / "x.sqlite3", shipped_path=path)
    assert store.get("MA3Bi2I9").reported["sensitivity_uC_per_Gy_cm2"] == 10620
    store.close()


def test_export_csv(home, tmp_path):
    path = export_materials(tmp_path / "all.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["id", "name", "formula"]
    assert "resistivity_ohm_cm" in header and "sensitivity_uC_per_Gy_cm2" in header
    import csv

    rows = {r["id"]: r for r in csv.DictReader(lines)}
    assert len(rows) == len(db.default_store().entries())
    assert rows["MA3Bi2I9-SC-53"]["resistivity_ohm_cm"] == "5.27e11"
    assert rows["MA3Bi2I9-SC-68"]["mobility_e_cm2_per_Vs"] == ""  # NA: empty, not 0
    assert rows["FA3Bi2I9-SC-54"]["density_g_cm3_estimated"] == "true"
    with pytest.raises(InputError, match="export format 'xlsx'"):
        export_materials(tmp_path / "x.xlsx", fmt="xlsx")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ('{"materials": [{"id": "F1", "formula": "MA3Bi2I9", "density_g_cm3": -1}]}',
         r"bad\.json, entry 0 \(id 'F1'\), field 'density_g_cm3': -1 g/cm³ is outside the "
         r"allowed range 0\.05–25 g/cm³"),
        ('[{"id": "F1", "formula": "MA3Bi2I9", "densty_g_cm3": 4}]',
         r"entry 0 \(id 'F1'\), field 'densty_g_cm3': unknown field; did you mean "
         r"'density_g_cm3'"),
        ('[{"id": "F1", "formula": "MA3Bi2I9", "properties": {"density_g_cm3": '
         '{"value": "4"}}}]',
         r"field 'density_g_cm3': expected a number in g/cm³, got '4'"),
        ('[{"id": "F1", "formula": "MA3Bi2I9", "resistivity_ohm_cm": 5e9}, '
         '{"id": "F2", "formula": "Xx3"}]',
         r"entry 1 \(id 'F2'\), field 'formula': formula 'Xx3', character 1: unknown element"),
        ('[{"id": "F1"}]', r"entry 0 \(id 'F1'\), field 'formula': missing"),
        ('[{"formula": "CdTe"}]', r"entry 0, field 'id': missing"),
        ('[{"id": "F 1", "formula": "CdTe"}]', r"field 'id': 'F 1' is not a valid id"),
        ('[{"id": "F1", "formula": "CdTe"}, {"id": "f1", "formula": "CdTe"}]',
         r"entry 1 \(id 'f1'\), field 'id': id 'f1' repeats entry 0"),
        ('[{"id": "F1", "formula": "CdTe", "form": "crystal"}]',
         r"field 'form': 'crystal' is not one of SC, PC, film, amorphous"),
        ('[{"id": "F1", "formula": "CdTe", "reported": {"sensitivity": 5}}]',
         r"field 'reported\.sensitivity': unknown key; did you mean "
         r"'sensitivity_uC_per_Gy_cm2'"),
        ('[{"id": "F1", "formula": "(MA1-xCsx)3Bi2I9"}]',
         r"field 'formula': .*composition variable 'x' has no value"),
        ('{"materials": [{"id": "F1", "formula": "CdTe",}]}', r"bad\.json:1:\d+: not valid JSON"),
        ('{"schema": "other/2", "materials": []}', r"schema 'other/2' is not"),
        ('"just text"', r"expected \{\"materials\": \[\.\.\.\]\}"),
        ("", r"bad\.json: the file is empty"),
        ('{"materials": []}', r"bad\.json: contains no materials"),
    ],
)
def test_bad_files_name_file_entry_and_field(home, tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(FileFormatError, match=match):
        import_materials(path)
    assert path.read_bytes() == before  # the user's file is never modified
    assert db.default_store().entries(origin="user") == []  # all or nothing


def test_missing_file(home, tmp_path):
    with pytest.raises(FileFormatError, match=r"nope\.json: no such file"):
        import_materials(tmp_path / "nope.json")


def test_json_numbers_are_written_readably():
    assert records._format_number(5.27e11) == "5.27e11"
    assert records._format_number(1.17e-6) == "1.17e-6"
    assert records._format_number(10620.0) == "10620"
    assert records._format_number(0.62) == "0.62"
    with pytest.raises(InputError, match="non-finite"):
        records._format_number(math.nan)


# ---------------------------------------------------------------------------------------
# Loading: a row gets its estimates when it is asked for
# ---------------------------------------------------------------------------------------

def test_rows_are_completed_on_demand_as_all_at_once():
    # get_material completes only the row it returns; the estimates draw on the stored
    # rows only, so each row equals what completing every row at load time gave
    from dataclasses import replace

    from perovx.materials.estimates import complete_material

    store = MaterialStore(":memory:")
    store.get("MA3Bi2I9")
    assert len(store._completed) == 1
    stored = store._load()
    pool = [e.material for e in stored.values()]
    for e in store.entries():
        assert e == replace(stored[e.id], with_estimates=complete_material(e.material, pool))
        assert e.with_estimates is not None
    assert len(store._completed) == len(stored)
    assert store.entry("MA3Bi2I9") is store.entry("MA3Bi2I9")  # cached
    store.close()


def test_added_row_is_returned_completed_and_cache_follows_the_revision(home):
    store = MaterialStore(home / "materials.sqlite3")
    before = store.get("MAPbI3")
    row = store.add({"id": "my-MAPbI3-film", "formula": "CH3NH3PbI3", "form": "PC",
                     "dimensionality": "3D"})
    assert row.with_estimates is not None
    assert row.with_estimates.density_kg_m3 is not None  # inherited: same composition
    assert store.get("MAPbI3") == before
    store.close()
