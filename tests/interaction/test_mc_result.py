"""MCResult serialisation and plots, and the ``perovx mc`` command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from perovx.cli import app
from perovx.interaction.montecarlo import Grid, Stack, Tallies, run


@pytest.fixture(scope="module")
def result():
    return run(Stack.slab("CdTe", 1e-3, density_kg_m3=5850.0), 60.0, histories=20_000,
               tallies=Tallies(grid=Grid(nx=5, ny=5, nz=2, bin_x_m=1e-4)))


def test_to_dict_is_json_with_units(result):
    d = result.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert "absorbed_energy_fraction_std" in d and "mean_deposit_keV" in d
    assert d["layers"][0]["thickness_m"] == 1e-3
    assert set(d["escape_energy_fraction"]) == {"front", "back", "side"}
    assert d["escape_lines"][0]["element"] in ("Cd", "Te")
    assert "pulse_height_per_history" not in text
    full = result.to_dict(arrays=True)
    assert len(full["pulse_height_edges_keV"]) == len(full["pulse_height_per_history"]) + 1
    assert result.point_spread().shape == (5, 5)
    assert result.line_spread().shape == (5,)


def test_plots_return_figures(result):
    from matplotlib.figure import Figure

    fig = result.plot_pulse_height()
    assert isinstance(fig, Figure)
    assert "keV" in fig.axes[0].get_xlabel()
    fig2 = result.plot_depth_profile()
    assert "µm" in fig2.axes[0].get_xlabel()


def test_cli_mc_json(tmp_path):
    png = tmp_path / "mc.png"
    out = CliRunner().invoke(app, [
        "mc", "--material", "MAPbI3", "--thickness", "1mm", "--beam", "60keV",
        "--histories", "2e4", "--json", "--plot", str(png),
    ])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    for key in ("absorbed_energy_fraction", "interaction_fraction", "k_escape_fraction",
                "swank_factor", "histories_per_second"):
        assert key in data
    for key in ("absorbed_energy_fraction", "interaction_fraction", "k_escape_fraction",
                "swank_factor"):
        assert data[f"{key}_std"] > 0
    assert data["histories"] == 20_000
    assert png.stat().st_size > 1000


def test_cli_mc_text_and_errors():
    runner = CliRunner()
    out = runner.invoke(app, ["mc", "--material", "CdTe", "--histories", "5e3"])
    assert out.exit_code == 0, out.output
    assert "K-escape fraction" in out.stdout and "histories/s" in out.stdout
    bad = runner.invoke(app, ["mc", "--material", "Pb", "--histories", "10"])
    assert bad.exit_code == 2
    assert "no density known for 'Pb'" in bad.output
    bad = runner.invoke(app, ["mc", "--material", "CdTe", "--histories", "many"])
    assert bad.exit_code == 2
    assert "cannot read 'many'" in bad.output
