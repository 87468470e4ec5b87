"""``perovx device fit`` and ``perovx device simulate`` through the real typer app."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perovx.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "device"

TINY_PANEL = textwrap.dedent("""\
    [panel]
    pitch = "150 um"
    rows = 16
    columns = 16
    integration_time = "100 ms"
    electronic_noise = 1000
    adc_bits = 16
    full_scale_charge = "50 pC"
    calibration_frames = [2, 2]

    [beam]
    spectrum = "RQA5"

    [mode]
    type = "pixel_array"
    air_kerma = "2 uGy"

    [object]
    phantom = "edge"

    [simulation]
    kernels = "monte_carlo"
    histories = 20000
    energy_groups = 3
    kernel_half_width = "0.5 mm"
    depth_bins = 4

    [output]
    directory = "panel"
    formats = ["json", "png"]
    name = "edge"
    """)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ex") / "device"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("panel_out", "*.png"))
    return folder


def test_fit_json_and_plot(example: Path) -> None:
    rec = example / "cs3bi2i9_pellet.toml"
    png = example / "fit.png"
    res = runner.invoke(app, ["device", "fit", str(rec), "--json", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["plot"] == str(png) and png.stat().st_size > 10_000
    assert d["parameters"]["photoconductive_gain"]["value"] > 1.5
    assert d["parameters"]["resistivity"]["source"].startswith("joint fit")
    assert 0.7 < d["reconciliation"]["reduced_chi2"] < 1.4
    assert any("photoconductive gain" in e for e in d["reconciliation"]["explanations"])
    assert d["standing"]["ranks"]["normalised_sensitivity"]["rank"] >= 1
    # the plot is never replaced
    again = runner.invoke(app, ["device", "fit", str(rec), "--plot", str(png)])
    assert again.exit_code == 2
    assert "exists" in again.stderr and len(again.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_fit_text(example: Path) -> None:
    res = runner.invoke(app, ["device", "fit", str(example / "cs3bi2i9_pellet.toml")])
    assert res.exit_code == 0, res.output
    assert "mu tau h" in res.stdout and "[joint fit: hecht, xray-response]" in res.stdout
    assert "rank" in res.stdout


def test_simulate_tiny_panel(example: Path) -> None:
    cfg = example / "tiny_panel.toml"
    cfg.write_text(TINY_PANEL)
    res = runner.invoke(
        app,
        [
            "device",
            "simulate",
            str(example / "cs3bi2i9_pellet.toml"),
            "--config",
            str(cfg),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert (example / "panel" / "edge.json").is_file()
    assert d["detector"]["bias_V"] == pytest.approx(100.0)
    assert any("effective W±" in n for n in d["device_notes"])
    assert any("excess noise" in n for n in d["device_notes"])
    # the panel's sensitivity follows the device's (gain included) within the difference
    # between the chain's charge collection and the device model's
    s_device = d["device"]["sensitivity"]["value_uC_per_Gy_cm2"]
    assert d["signal"]["sensitivity_uC_per_Gy_cm2"] == pytest.approx(s_device, rel=0.15)
    # refuses to overwrite its outputs, before fitting anything
    again = runner.invoke(
        app, ["device", "simulate", str(example / "cs3bi2i9_pellet.toml"), "--config", str(cfg)]
    )
    assert again.exit_code == 2 and "edge.json: exists" in again.stderr


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (('contacts = "ohmic"', "contacts = 3"), "contacts"),
        (('thickness = "1 mm"', 'thickness = "1 parsec/V"'), "geometry.thickness"),
        (('file = "iv.csv"', 'file = "nothing.csv"'), "no such file"),
    ],
)
def test_bad_record_exits_2_with_one_line(
    example: Path, tmp_path: Path, edit: tuple[str, str], words: str
) -> None:
    text = (example / "cs3bi2i9_pellet.toml").read_text().replace(*edit)
    bad = example / f"bad_{abs(hash(words))}.toml"
    bad.write_text(text)
    res = runner.invoke(app, ["device", "fit", str(bad), "--json"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith("perovx: error:")
    assert "Traceback" not in res.output


def test_schema_command() -> None:
    res = runner.invoke(app, ["device", "schema"])
    assert res.exit_code == 0 and "geometry.thickness (required)" in res.stdout
