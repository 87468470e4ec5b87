"""``perovx materials``: list, show, add, export through the real typer app."""

import json

import pytest
import typer
from typer.testing import CliRunner

from perovx.cli import app
from perovx.materials import database as db
from perovx.materials import get_material

runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv(db.ENV_HOME, str(tmp_path))
    return tmp_path


def run(*args):
    return runner.invoke(app, ["materials", *args])


def _one_line_error(result, text):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("perovx: error: ")
    assert text in lines[0]


def test_group_is_registered():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "materials" in result.output


def test_list_table_has_units_in_headers(home):
    result = run("list")
    assert result.exit_code == 0, result.output
    for text in ("MA3Bi2I9-SC-53", "(BAH)BiI4-SC-77", "CZT", "g/cm³", "Ω cm", "cm²/V",
                 "µC Gy_air⁻¹ cm⁻²", "nGy_air s⁻¹", "5.27e11", "10620"):
        assert text in result.output, text


def test_list_json_in_field_units(home):
    result = run("list", "--json", "--form", "SC", "--has", "sensitivity")
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert all(r["form"] == "SC" for r in rows.values())
    # Table 1 of Tie et al., Chem. Commun. 59, 5016 (2023), ref. 53: 5.27e11 Ω cm
    assert rows["MA3Bi2I9-SC-53"]["properties"]["resistivity_ohm_cm"]["value"] == 5.27e11
    assert rows["MA3Bi2I9-SC-53"]["origin"] == "shipped"
    assert "CZT" not in rows  # no reported sensitivity


def test_show_default_and_alternatives(home):
    result = run("show", "MA3Bi2I9")
    assert result.exit_code == 0, result.output
    assert "MA3Bi2I9-SC-53" in result.output
    assert "default" in result.output and "MA3Bi2I9-PC-85" in result.output
    assert "klein 6.48 eV" in result.output  # 2.8 x 2.1 eV + 0.6 eV
    data = json.loads(run("show", "MA3Bi2I9", "--json").stdout)
    assert data["id"] == "MA3Bi2I9-SC-53" and data["in_database"] is True
    assert data["alternatives"][0] == "MA3Bi2I9-SC-53" and len(data["alternatives"]) == 6
    assert data["w_pair_eV"]["klein"] == pytest.approx(6.48)
    assert data["w_pair_eV"]["devanathan"] == pytest.approx(5.63)  # 2 x 2.1 + 1.43


def test_show_formula_not_in_database(home):
    data = json.loads(run("show", "PbI2", "--json").stdout)
    assert data["in_database"] is False and data["hill_formula"] == "I2Pb"
    assert "not in the materials database" in run("show", "PbI2").output


def test_show_unknown_is_one_line_exit_2(home):
    _one_line_error(run("show", "Xx2"), "no material or formula 'Xx2'")


def test_add_from_flags_converts_units(home):
    result = run("add", "MBI-lab", "--formula", "MA3Bi2I9", "--form", "PC", "--dim", "0D",
                 "--density", "4.1g/cm3", "--band-gap", "1.9eV", "--resistivity",
                 "1e11ohm*cm", "--mu-tau-e", "1e-4cm2/V", "--mobility-h", "5cm2/Vs",
                 "--sensitivity", "1e3uC/(Gy*cm2)", "--lod", "50", "--source", "lab book 7")
    assert result.exit_code == 0, result.output
    assert "added MBI-lab" in result.output
    m = get_material("MBI-lab")
    assert m.density_kg_m3.value == pytest.approx(4100.0)  # 4.1 g/cm3
    assert m.band_gap_eV.value == pytest.approx(1.9)
    assert m.resistivity_ohm_m.value == pytest.approx(1e9)  # 1e11 Ω cm
    assert m.mu_tau_e_m2_per_V.value == pytest.approx(1e-8)  # 1e-4 cm2/V
    assert m.mobility_h_m2_per_Vs.value == pytest.approx(5e-4)
    assert m.mu_tau_e_m2_per_V.source == "lab book 7"
    assert m.reported["sensitivity_uC_per_Gy_cm2"] == pytest.approx(1000.0)
    assert m.reported["lod_nGy_per_s"] == pytest.approx(50.0)  # bare number: nGy/s


def test_add_existing_id_needs_overwrite(home):
    assert run("add", "X1", "--formula", "CdTe").exit_code == 0
    _one_line_error(run("add", "X1", "--formula", "CdTe"), "already exists")
    result = run("add", "X1", "--formula", "CdTe", "--density", "5.8", "--overwrite")
    assert result.exit_code == 0, result.output
    assert get_material("X1").density_kg_m3.value == pytest.approx(5800.0)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["X", "--formula", "CdTe", "--density", "3.9kg/m3"],
         "--density: '3.9kg/m3' = 0.0039 g/cm³ is outside the allowed range 0.05–25 g/cm³"),
        (["X", "--formula", "CdTe", "--density", "5850"],
         "(a bare number is read in g/cm³) is outside the allowed range"),
        (["X", "--formula", "CdTe", "--mu-tau-e", "1e-4bogons"], "unknown unit 'bogons'"),
        (["X", "--formula", "CdTe", "--band-gap", "1.5V"], "cannot be converted to eV"),
        (["X", "--formula", "CdTe", "--band-gap", "abc"], "cannot read 'abc'"),
        (["X", "--formula", "Xx2"], "unknown element"),
        (["X"], "give an id and --formula"),
        (["X", "--formula", "(MA1-xCsx)3Bi2I9", "--variable", "x0.1"], "expected NAME=NUMBER"),
    ],
)
def test_add_errors(home, args, text):
    _one_line_error(run("add", *args), text)


def test_add_from_file_and_export_round_trip(home, tmp_path):
    src = tmp_path / "mine.json"
    src.write_text(json.dumps([
        {"id": "A", "formula": "(MA1-xCsx)3Bi2I9", "variables": {"x": 0.1},
         "density_g_cm3": 4.0, "reported": {"lod_nGy_per_s": 12}},
        {"id": "B", "formula": "Cs3Bi2I9", "band_gap_eV": 2.0},
    ]), encoding="utf-8")
    result = run("add", "--file", str(src), "--json")
    assert result.exit_code == 0, result.output
    assert [r["id"] for r in json.loads(result.stdout)] == ["A", "B"]
    assert get_material("A").density_kg_m3.source == "user file mine.json"

    out = tmp_path / "out.json"
    result = run("export", str(out), "--origin", "user")
    assert result.exit_code == 0 and "wrote 2 materials" in result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [e["id"] for e in exported["materials"]] == ["A", "B"]
    _one_line_error(run("export", str(out), "--origin", "user"), "already exists")
    csv_out = tmp_path / "all.csv"
    result = run("export", str(csv_out), "--json")
    assert json.loads(result.stdout)["count"] == len(db.default_store().entries())
    assert csv_out.read_text(encoding="utf-8").startswith("id,name,formula")
    _one_line_error(run("add", "C", "--file", str(src)), "do not combine it with ID")


def test_bad_file_error_names_file_entry_field(home, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "F1", "formula": "CdTe", "mu_tau_e_cm2_per_V": 50}]',
                   encoding="utf-8")
    _one_line_error(run("add", "--file", str(bad)),
                    "bad.json, entry 0 (id 'F1'), field 'mu_tau_e_cm2_per_V'")


def test_value_flags_state_the_schema_units():
    command = typer.main.get_command(app)
    add = command.commands["materials"].commands["add"]  # type: ignore[attr-defined]
    helps = {p.name: p.help or "" for p in add.params}
    for field in (*db.FIELDS, *db.REPORTED_FIELDS):
        assert field.short in helps, field.short
        assert field.unit_label in helps[field.short], field.short


def test_add_inherits_density_and_band_gap_and_evaluates(home):
    result = run("add", "MBI-pellet", "--formula", "MA3Bi2I9", "--form", "PC",
                 "--mu-tau-e", "2e-5cm2/V", "--resistivity", "2e11ohm*cm",
                 "--operating-field", "0.2V/um", "--json")
    assert result.exit_code == 0, result.output
    props = json.loads(result.stdout)[0]["properties"]
    # density and band gap of the default MA3Bi2I9 row (ref. 53), named as their source
    assert props["density_g_cm3"]["value"] == pytest.approx(3.97)
    assert props["band_gap_eV"]["value"] == pytest.approx(2.1)
    assert "inherited from 'MA3Bi2I9-SC-53'" in props["band_gap_eV"]["source"]
    assert props["operating_field_V_per_um"]["value"] == pytest.approx(0.2)
    ev = runner.invoke(app, ["evaluate", "MBI-pellet", "--thickness", "1mm", "--json"])
    assert ev.exit_code == 0, ev.output
    assert json.loads(ev.stdout)["bias_V"] == pytest.approx(200.0)  # 0.2 V/µm × 1 mm


def test_show_lists_the_estimates_evaluate_uses(home):
    result = run("show", "MAPb(I0.9Br0.1)3")
    assert result.exit_code == 0, result.output
    assert "Vegard's law between end members" in result.output
    data = json.loads(run("show", "MAPbI3", "--json").stdout)
    assert data["estimates"]["resistivity_ohm_cm"]["estimated"] is True
    assert "density_g_cm3" not in data["estimates"]  # the row gives it
