"""Formula parser: round trips on every formula of the review's tables, molar masses
against hand sums of IUPAC standard atomic weights, hydrates, nesting, fractional and
variable sites, and the error messages."""

import pytest

from perovx.errors import InputError
from perovx.materials import parse_formula

# Every formula of Tables 1 and 2 of Tie et al., Chem. Commun. 59, 5016 (2023), with the
# text-extraction slips "(H2MDAP)Bi5", "(3-AMP)Bi5", "(BAH)Bi4", "(DMEDA)Bi5" corrected
# to the formulas of the review's Fig. 1 caption; then the other formulas the review
# names (sections 3 and 4) and the reference detectors.
TABLE_FORMULAS = [
    "MA3Bi2I9", "FA3Bi2I9", "Cs3Bi2I9", "Rb3Bi2I9", "Cs3Bi2Br9", "(NH4)3Bi2I9",
    "Cs2AgBiBr6", "Cs2AgBiCl6", "(DMEDA)BiI5", "(H2MDAP)BiI5", "(3-AMP)BiI5", "(BAH)BiI4",
]
OTHER_FORMULAS = [
    "MAPbI3", "MAPbBr3", "CsPbBr3", "FAPbI3", "CsPbI2Br", "BA2MA9Pb10I31",
    "PentA2MA9Pb10I31", "(PEA)2PbI4", "(PEA)2MA3Pb4I13", "Cs3Sb2I9", "CsPbBr2I",
    "MAPb(I0.9Cl0.1)3", "CsPb0.15FA0.85Pb(Br0.85I0.15)3", "CdTe", "Cd0.9Zn0.1Te", "Se",
]


def _assert_same_atoms(a, b):
    assert set(a) == set(b)
    for s in a:
        # hill_formula() writes counts to 6 significant digits
        assert a[s] == pytest.approx(b[s], rel=1e-6), s


@pytest.mark.parametrize("formula", [*TABLE_FORMULAS, *OTHER_FORMULAS])
def test_round_trip_through_hill_formula(formula):
    comp = parse_formula(formula)
    again = parse_formula(comp.hill_formula())
    _assert_same_atoms(comp.atoms, again.atoms)
    assert sum(comp.mass_fractions.values()) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("x", [0.0, 0.1, 0.25, 1.0])
def test_round_trip_with_composition_variable(x):
    comp = parse_formula("(MA1-xCsx)3Bi2I9", variables={"x": x})
    _assert_same_atoms(comp.atoms, parse_formula(comp.hill_formula()).atoms)
    assert comp.atoms.get("Cs", 0.0) == pytest.approx(3 * x)
    assert comp.atoms.get("C", 0.0) == pytest.approx(3 * (1 - x))


# Hand sums with the IUPAC 2021 standard atomic weights (conventional values):
# H 1.008, C 12.011, N 14.007, Cd 112.414, Te 127.60, Pb 207.2, I 126.90447, Bi 208.98040,
# Cs 132.90545, Ag 107.8682, Br 79.904.
#   MAPbI3     = 12.011 + 6(1.008) + 14.007 + 207.2 + 3(126.90447)            = 619.979
#   CdTe       = 112.414 + 127.60                                             = 240.014
#   MA3Bi2I9   = 3(32.066) + 2(208.9804) + 9(126.90447)                       = 1656.299
#   Cs2AgBiBr6 = 2(132.90545) + 107.8682 + 208.9804 + 6(79.904)               = 1062.084
# perovx takes atomic weights from xraylib, which rounds them to 0.01 (H 1.01, Br 79.92):
# that shifts these molar masses by at most 1.3e-4 relative, hence rel=2e-4.
@pytest.mark.parametrize(
    ("formula", "grams_per_mol"),
    [("MAPbI3", 619.979), ("CdTe", 240.014), ("MA3Bi2I9", 1656.299),
     ("Cs2AgBiBr6", 1062.084)],
)
def test_molar_mass_against_iupac_hand_values(formula, grams_per_mol):
    assert parse_formula(formula).molar_mass_kg_per_mol * 1e3 == pytest.approx(
        grams_per_mol, rel=2e-4)


def test_cation_abbreviations_expand_to_atoms():
    # MA = CH3NH3+ = CH6N: MAPbI3 is CH3NH3PbI3
    _assert_same_atoms(parse_formula("MAPbI3").atoms, parse_formula("CH3NH3PbI3").atoms)
    # BA2MA9Pb10I31: 2 C4H12N + 9 CH6N -> C17 H78 N11
    _assert_same_atoms(parse_formula("BA2MA9Pb10I31").atoms,
                       {"C": 17, "H": 78, "N": 11, "Pb": 10, "I": 31})


@pytest.mark.parametrize("formula", ["CuSO4·5H2O", "CuSO4*5H2O", "CuSO4.5H2O"])
def test_hydrates(formula):
    _assert_same_atoms(parse_formula(formula).atoms, {"Cu": 1, "S": 1, "O": 9, "H": 10})


def test_hydrated_bismuth_iodide():
    _assert_same_atoms(parse_formula("(NH4)3Bi2I9·H2O").atoms,
                       {"N": 3, "H": 14, "Bi": 2, "I": 9, "O": 1})


@pytest.mark.parametrize(
    ("formula", "atoms"),
    [
        ("[(CH3)2NH2]PbI3", {"C": 2, "H": 8, "N": 1, "Pb": 1, "I": 3}),
        ("{[(CH3)2NH2]}PbI3", {"C": 2, "H": 8, "N": 1, "Pb": 1, "I": 3}),
        ("Cs(Pb(I0.5Br0.5)3)", {"Cs": 1, "Pb": 1, "I": 1.5, "Br": 1.5}),
    ],
)
def test_nested_parentheses(formula, atoms):
    _assert_same_atoms(parse_formula(formula).atoms, atoms)


def test_fractional_sites_as_written_in_the_review():
    # Fig. 4 caption: CsPb0.15FA0.85Pb(Br0.85I0.15)3, expanded by hand:
    # Cs 1, Pb 0.15 + 1, FA 0.85 x CH5N2, Br 3 x 0.85, I 3 x 0.15
    atoms = parse_formula("CsPb0.15FA0.85Pb(Br0.85I0.15)3").atoms
    _assert_same_atoms(atoms, {"Cs": 1, "Pb": 1.15, "C": 0.85, "H": 4.25, "N": 1.7,
                               "Br": 2.55, "I": 0.45})


def test_alloyed_a_site_fixed_and_variable_agree():
    fixed = parse_formula("(MA0.9Cs0.1)3Bi2I9").atoms
    variable = parse_formula("(MA1-xCsx)3Bi2I9", variables={"x": 0.1}).atoms
    _assert_same_atoms(fixed, variable)
    _assert_same_atoms(fixed, {"C": 2.7, "H": 16.2, "N": 2.7, "Cs": 0.3, "Bi": 2, "I": 9})


@pytest.mark.parametrize(
    ("formula", "variables", "match"),
    [
        ("Xx3Bi2I9", None, r"character 1: unknown element or cation abbreviation 'Xx'"),
        ("(MA3Bi2I9", None, r"unbalanced parentheses: missing '\)'"),
        ("MA3Bi2I9)", None, r"character 9: unbalanced '\)'"),
        ("(MA3Bi2I9]", None, r"unbalanced '\]'"),
        ("(MA1-xCsx)3Bi2I9", None, r"composition variable 'x' has no value"),
        ("(MA1-xCsx)3Bi2I9", {"x": 2.0}, r"negative amount of C, H, N; check x"),
        ("", None, r"formula '' is empty"),
        ("MA3Bi2I9·", None, r"empty part around a hydrate separator"),
    ],
)
def test_errors(formula, variables, match):
    with pytest.raises(InputError, match=match):
        parse_formula(formula, variables=variables)
