"""``perovx csa`` and ``perovx compare`` from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from perovx.cli import app

runner = CliRunner()
ARGS = ["csa", "--material", "CZT", "--thickness", "0.5mm", "--bias", "-500V", "--pitch",
        "100um", "--dose", "2.5uGy", "--histories", "20000"]


def test_csa_json():
    r = runner.invoke(app, [*ARGS, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    fig = data["figures"]
    assert 0 < fig["dqe_at_1_lp_per_mm"] <= fig["quantum_efficiency"]
    assert data["dataset"]["coords"]["stage"]["data"][0] == "quantum_efficiency"


def test_csa_table_and_files(tmp_path):
    plot, out = tmp_path / "c.png", tmp_path / "c.nc"
    r = runner.invoke(app, [*ARGS, "--plot", str(plot), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "largest DQE loss" in r.output and plot.is_file() and out.is_file()
    r = runner.invoke(app, [*ARGS, "--plot", str(plot)])
    assert r.exit_code == 2 and "exists" in r.output


def test_csa_bad_input_is_one_line():
    r = runner.invoke(app, ["csa", "--material", "CZT", "--thickness", "-1mm", "--bias", "10V"])
    assert r.exit_code == 2
    assert r.output.count("\n") == 1 and "thickness" in r.output


def test_compare_bad_detector_is_one_line(tmp_path):
    r = runner.invoke(app, ["compare", "--detector", "CZT", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "MATERIAL:THICKNESS" in r.output


def test_design_json_and_bad_goal(tmp_path):
    args = ["design", "--material", "CZT", "--thickness", "0.5mm", "--pitch", "100um",
            "--field", "1V/um:5V/um", "--target", "mtf@2lp/mm>0.5", "--maximize",
            "dqe@1lp/mm", "--population", "4", "--generations", "1", "--histories", "20000"]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["evaluations"] >= 1 and "pareto" in data
    r = runner.invoke(app, [*args[:-10], "--target", "snr>3", "--maximize", "dqe@1lp/mm"])
    assert r.exit_code == 2 and "METRIC" in r.output


def test_design_processes_into_netcdf_and_plot(tmp_path):
    import xarray as xr

    out, plot = tmp_path / "p.nc", tmp_path / "p.png"
    r = runner.invoke(app, ["design", "--material", "CZT", "--thickness", "0.5mm",
                            "--pitch", "100um", "--field", "1V/um:5V/um",
                            "--process", "uniform,blade_coating", "--target", "mtf@2lp/mm>0.2",
                            "--maximize", "dqe@1lp/mm", "--grid-fields", "3",
                            "--histories", "20000", "--out", str(out), "--plot", str(plot)])
    assert r.exit_code == 0, r.output
    assert plot.read_bytes()[:4] == b"\x89PNG"
    with xr.open_dataset(out) as ds:
        assert ds["dqe@1lp_per_mm"].attrs["goal"] == "dqe@1lp/mm"
        assert set(ds.process.values.tolist()) <= {"uniform", "blade_coating"}
    r = runner.invoke(app, ["design", "--material", "CZT", "--maximize", "dqe@1lp/mm",
                            "--process", "bogus"])
    assert r.exit_code == 2 and "unknown deposition process" in r.output
