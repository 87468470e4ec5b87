"""``perovx evaluate | beam | demo | sweep`` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perovx.cli import app

runner = CliRunner()

REQUIRED_EVALUATE_KEYS = (
    "absorbed_fraction", "s0_uC_per_Gy_cm2", "sensitivity_uC_per_Gy_cm2",
    "normalized_sensitivity", "cce", "dark_current_nA_per_cm2", "lod_nGy_per_s", "w_pair_eV",
    "mean_energy_keV",
)


def test_evaluate_json() -> None:
    result = runner.invoke(app, ["evaluate", "MA3Bi2I9", "--thickness", "1mm", "--bias", "100V",
                                 "--beam", "RQA5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in REQUIRED_EVALUATE_KEYS:
        assert isinstance(data[key], float), key
    # review Table 1 (ref. 53): ρ = 5.27e11 Ω cm → J = 100 V / (5.27e9 Ω m · 1 mm)
    assert data["dark_current_nA_per_cm2"] == pytest.approx(1.8975, rel=1e-3)


def test_evaluate_monoenergetic_and_units() -> None:
    result = runner.invoke(app, ["evaluate", "MA3Bi2I9", "--thickness", "500um", "--bias",
                                 "50V", "--beam", "60keV", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mean_energy_keV"] == 60.0
    assert data["thickness_um"] == pytest.approx(500.0)


def test_evaluate_human_table() -> None:
    result = runner.invoke(app, ["evaluate", "MA3Bi2I9"])
    assert result.exit_code == 0, result.output
    assert "S/S0" in result.stdout and "limit of detection" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "Xq3Bi2I9"], "unknown element"),
        (["evaluate", "(MA3Bi2I9"], "unbalanced"),
        (["evaluate", "MA3Bi2I9", "--thickness", "-1mm"],
         "thickness must be between 100 nm and 10 cm"),
        (["evaluate", "MA3Bi2I9", "--beam", "RQA55"], "unknown beam"),
        (["evaluate", "MA3Bi2I9", "--beam", "5000keV"], "outside the interaction data"),
        (["evaluate", "Cs3Bi2I9", "--mu-tau-e", "1e-4cm2/V", "--resistivity", "1e11ohm*cm",
          "--density", "4.6g/cm3"], None),
        (["evaluate", "CsPbBr3Xx"], "unknown element"),
        (["evaluate", "MA3Bi2I9", "--absorption", "mc"], "absorption model must be one of"),
    ],
)
def test_evaluate_errors_exit_2(args: list[str], message: str | None) -> None:
    result = runner.invoke(app, args)
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_formula_without_band_gap_needs_one() -> None:
    # not in the database and no end members to interpolate: nothing to estimate Eg from
    result = runner.invoke(app, ["evaluate", "Cs3Sb2Br9", "--density", "4.5g/cm3",
                                 "--mu-tau-e", "1e-5cm2/V", "--resistivity", "1e11ohm*cm"])
    assert result.exit_code == 2
    assert "band gap" in result.output


def test_formula_not_in_database_runs_on_labelled_estimates() -> None:
    result = runner.invoke(app, ["evaluate", "MAPb(I0.5Br0.5)3", "--density", "4.5g/cm3",
                                 "--mu-tau-e", "1e-5cm2/V", "--resistivity", "1e11ohm*cm",
                                 "--json"])
    assert result.exit_code == 0, result.output
    notes = " ".join(json.loads(result.stdout)["notes"])
    assert "band gap" in notes and "Vegard" in notes and "is an estimate" in notes
    # the values given on the command line are not called estimates
    assert "density" not in notes and "resistivity" not in notes


def test_beam_json_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "rqa5.png"
    result = runner.invoke(app, ["beam", "RQA5", "--json", "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["hvl1_mm_Al"] == pytest.approx(7.1, abs=0.05)  # IEC 61267 RQA5
    assert len(data["energy_keV"]) == len(data["fluence"]) > 10
    assert plot.stat().st_size > 1000
    again = runner.invoke(app, ["beam", "RQA5", "--plot", str(plot)])
    assert again.exit_code == 2 and "never overwrites" in again.output


@pytest.mark.slow
def test_demo_writes_report_and_never_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text()
    assert "MA3Bi2I9" in html and "CZT" in html and "Lab analysis" in html
    assert "Time and film" in html and (out / "timefilm_drift.png").stat().st_size > 1000
    assert (out / "timefilm_lag.png").stat().st_size > 1000 and "no published value found" in html
    assert (out / "lab_xray_response.png").stat().st_size > 1000
    for png in ("attenuation.png", "s_over_s0_vs_thickness.png", "reported_vs_predicted.png"):
        assert (out / png).stat().st_size > 1000
    again = runner.invoke(app, ["demo", "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert (out / "index.html").read_text() == html


def test_demo_refuses_an_existing_report_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").write_text("my report")
    result = runner.invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (out / "index.html").read_text() == "my report"
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]


def test_sweep_writes_netcdf(tmp_path: Path) -> None:
    out = tmp_path / "s.nc"
    result = runner.invoke(app, ["sweep", "--material", "MA3Bi2I9", "--material", "CZT",
                                 "--thickness", "100um:1mm:3", "--field", "0.1V/um",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    import xarray as xr

    with xr.open_dataset(out) as ds:
        assert ds.sizes["thickness"] == 3 and ds.sizes["material"] == 2


@pytest.mark.parametrize(("thickness", "message"), [
    ("1mm:2mm:0", "COUNT must be 1–10000, got 0"),
    ("1mm:2mm:x", "COUNT must be an integer"),
    ("1mm:2mm", "use START:STOP:COUNT"),
])
def test_sweep_rejects_a_bad_range(thickness: str, message: str) -> None:
    result = runner.invoke(app, ["sweep", "--material", "MA3Bi2I9", "--thickness", thickness])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_help_is_light() -> None:
    # `perovx --help` must not import the heavy stack (numpy, matplotlib, numba, spekpy)
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom perovx.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0\n"
        "heavy = [m for m in ('numpy', 'matplotlib', 'numba', 'spekpy', 'scipy', 'xarray') "
        "if m in sys.modules]\nprint(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported at --help: {out.stdout}"


def test_every_command_explains_itself() -> None:
    for command in ("evaluate", "beam", "demo", "sweep", "serve"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Usage" in result.output
