"""Every row of the shipped database: evaluable with no options, and the new numbers
checked against the sources they cite (each test names the DOI)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from perovx.cli import app
from perovx.materials import database as db
from perovx.materials.formula import parse_formula

runner = CliRunner()

_SHIPPED = [e["id"] for e in json.loads(db._shipped_path().read_text("utf-8"))["materials"]]
#: The field perovx uses when neither the user nor the row gives one (the CLI's 100 V on 1 mm).
DEFAULT_FIELD_V_PER_M = 0.1e6


@pytest.fixture(scope="module")
def store():
    s = db.MaterialStore(":memory:")
    yield s
    s.close()


@pytest.fixture(scope="module")
def rqa5():
    from perovx.spectra import get_beam

    return get_beam("RQA5")


@pytest.mark.parametrize("row_id", _SHIPPED)
def test_every_row_evaluates_with_no_options(store, rqa5, row_id):
    from perovx.metrics.detector import evaluate

    m = store.get(row_id)
    thickness = 1e-3
    bias = m.operating_bias_V(thickness, default_field_V_per_m=DEFAULT_FIELD_V_PER_M)
    fig = evaluate(m, thickness_m=thickness, bias_V=bias, beam=rqa5)
    d = fig.to_dict()
    numbers = {k: v for k, v in d.items() if isinstance(v, float)}
    assert all(math.isfinite(v) for v in numbers.values()), numbers
    assert 0.0 <= fig.cce <= 1.0
    gain = 1.0  # evaluate models no photoconductive gain
    assert fig.sensitivity_C_per_Gy_m2 <= fig.s0_C_per_Gy_m2 * gain * (1 + 1e-12)
    assert 0.0 < fig.absorbed_fraction <= 1.0
    assert 0.0 < fig.lod_Gy_per_s and np.isfinite(fig.lod_Gy_per_s)
    # whatever was estimated is said in the notes
    for attr in ("density_kg_m3", "mu_tau_e_m2_per_V", "mu_tau_h_m2_per_V",
                 "resistivity_ohm_m"):
        v = getattr(m, attr)
        if v is not None and v.estimated:
            assert any("is an estimate" in n for n in fig.notes), (attr, fig.notes)


def test_every_review_composition_has_a_row(store):
    """The compositions the review (DOI 10.1039/d3cc00969f) names in its text."""
    named = ["MAPbI3", "MAPbBr3", "FAPbI3", "CsPbBr3", "CsPbI2Br", "(PEA)2PbI4",
             "BA2MA9Pb10I31", "PentA2MA9Pb10I31", "(PEA)2MA3Pb4I13", "MAPb(I0.9Cl0.1)3",
             "Cs0.15FA0.85PbI3", "Cs3Sb2I9"]
    formulas = {e.formula for e in store.entries()}
    assert [f for f in named if f not in formulas] == []


def _prop(store, row_id, key):
    return store.entry(row_id).data["properties"][key]


def test_mapbi3_wafer_mu_tau_from_shrestha_2017(store):
    # S. Shrestha et al., Nat. Photonics 11, 436 (2017), DOI 10.1038/nphoton.2017.94,
    # abstract: "ambipolar mobility–lifetime product of 2 × 10−4 cm2 V−1"
    for key in ("mu_tau_e_cm2_per_V", "mu_tau_h_cm2_per_V"):
        p = _prop(store, "MAPbI3-PC-94", key)
        assert p["value"] == 2e-4 and not p["estimated"]
        assert "DOI 10.1038/nphoton.2017.94" in p["source"]


def test_cspbbr3_resistivity_from_spie_2023(store):
    # Proc. SPIE 12696, 126960K (2023), DOI 10.1117/12.2676107, abstract:
    # "resistivity of the semiconductor material (ρ≈7×10^9 Ohm·cm)"
    p = _prop(store, "CsPbBr3-SC", "resistivity_ohm_cm")
    assert p["value"] == 7e9 and not p["estimated"]
    assert "DOI 10.1117/12.2676107" in p["source"]


def test_a_se_operating_field_from_huang_abbaszadeh(store):
    # H. Huang and S. Abbaszadeh, IEEE Sens. J. (2020), DOI 10.1109/JSEN.2019.2950319:
    # a-Se dark current "<10 pA/mm2 under an electric field of 10 V/µm"
    p = _prop(store, "a-Se", "operating_field_V_per_um")
    assert p["value"] == 10 and not p["estimated"]
    assert "DOI 10.1109/JSEN.2019.2950319" in p["source"]
    assert store.get("a-Se").operating_field_V_per_m.value == 10e6


def test_pea2pbi4_density_from_the_du_2017_cell(store):
    # K. Du et al., Inorg. Chem. 56, 9291 (2017), DOI 10.1021/acs.inorgchem.7b01094:
    # P-1, a = 8.7389 Å, b = 8.7403 Å, c = 32.9952 Å, α = 84.646°, β = 84.657°, γ = 89.643°;
    # Z = 4 (two layers of two octahedra) is perovx's inference, so the row says estimated.
    a, b, c = 8.7389e-8, 8.7403e-8, 32.9952e-8  # cm
    al, be, ga = (math.radians(x) for x in (84.646, 84.657, 89.643))
    volume = a * b * c * math.sqrt(1 - math.cos(al) ** 2 - math.cos(be) ** 2
                                   - math.cos(ga) ** 2
                                   + 2 * math.cos(al) * math.cos(be) * math.cos(ga))
    molar_mass = parse_formula("(PEA)2PbI4").molar_mass_kg_per_mol * 1e3
    density = 4 * molar_mass / (6.02214076e23 * volume)
    p = _prop(store, "(PEA)2PbI4-SC", "density_g_cm3")
    assert p["value"] == pytest.approx(density, abs=0.005)
    assert p["estimated"] and "DOI 10.1021/acs.inorgchem.7b01094" in p["source"]


def test_2d_3d_heterojunction_lod_from_the_review(store):
    # Tie et al., Chem. Commun. 59, 5016 (2023), DOI 10.1039/d3cc00969f, section 3.2.2
    # (ref. 56): detection limit lowered "to 480 nGyair s−1"
    e = store.entry("(PEA)2MA3Pb4I13-film-56")
    assert e.data["reported"]["lod_nGy_per_s"] == 480
    assert "DOI 10.1039/d3cc00969f" in e.data["reported"]["source"]


def test_evaluate_mapbi3_prints_figures_without_further_options():
    result = runner.invoke(app, ["evaluate", "MAPbI3", "--thickness", "1mm", "--bias", "100V",
                                 "--beam", "RQA5"])
    assert result.exit_code == 0, result.output
    assert "sensitivity S" in result.output and "limit of detection" in result.output
    assert "is an estimate" in result.output  # the resistivity no MAPbI3 source gives


def test_a_se_runs_at_its_operating_field_when_no_bias_is_given():
    result = runner.invoke(app, ["evaluate", "a-Se", "--thickness", "200um", "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    assert d["bias_V"] == pytest.approx(2000.0)
    assert d["field_V_per_um"] == pytest.approx(10.0)
    given = json.loads(runner.invoke(app, ["evaluate", "a-Se", "--thickness", "200um",
                                           "--bias", "100V", "--json"]).stdout)
    assert given["bias_V"] == 100.0


def test_mapbi3_crystal_mobilities_from_shrestha_2018(store):
    # S. Shrestha et al., J. Phys. Chem. C 122, 5935 (2018), abstract: time-of-flight
    # mobilities at room temperature, electrons 135 (±20), holes 90 (±20) cm2/V s
    assert _prop(store, "MAPbI3-SC", "mobility_e_cm2_per_Vs")["value"] == 135
    assert _prop(store, "MAPbI3-SC", "mobility_h_cm2_per_Vs")["value"] == 90
    assert "J. Phys. Chem. C, 2018, 122, 5935" in _prop(store, "MAPbI3-SC",
                                                          "mobility_e_cm2_per_Vs")["source"]
