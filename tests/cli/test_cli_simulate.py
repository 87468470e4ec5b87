"""``perovx simulate`` through the real typer app."""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from perovx.cli import app

runner = CliRunner()

CONFIG = textwrap.dedent("""\
    [detector]
    material = "MA3Bi2I9-PC-78"
    thickness = "0.5 mm"
    bias = "-100 V"

    [panel]
    pitch = "100 um"
    rows = 32
    columns = 32
    integration_time = "100 ms"
    electronic_noise = 800
    adc_bits = 14
    full_scale_charge = "10 pC"
    calibration_frames = [4, 4]

    [beam]
    spectrum = "RQA5"

    [mode]
    type = "pixel_array"
    air_kerma = "2 uGy"

    [object]
    phantom = "contrast_detail"
    plate_thickness = "10 mm"

    [simulation]
    kernels = "local"
    energy_groups = 4

    [output]
    directory = "result"
    name = "cd"
    """)


def _config(tmp_path, text: str = CONFIG):
    path = tmp_path / "sim.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_command_is_registered():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "simulate" in result.output


def test_simulate_writes_files_and_prints_a_table(tmp_path):
    path = _config(tmp_path)
    result = runner.invoke(app, ["simulate", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    for name in ("cd.tif", "cd_raw.tif", "cd.dcm", "cd.json", "cd.png"):
        assert (tmp_path / "result" / name).is_file()
    assert "entrance air kerma" in result.output
    assert "µGy" in result.output


def test_json_output_and_overrides(tmp_path):
    path = _config(tmp_path)
    out = tmp_path / "elsewhere"
    result = runner.invoke(app, ["simulate", str(path), "--json", "--out", str(out),
                                 "--seed", "5"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["acquisition"]["image_shape"] == [32, 32]
    assert summary["panel"]["pixel_pitch_um"] == pytest.approx(100.0)
    assert summary["signal"]["sensitivity_uC_per_Gy_cm2"] > 0
    assert (out / "cd.json").is_file()


def test_progress_bar_runs(tmp_path):
    path = _config(tmp_path)
    result = runner.invoke(app, ["simulate", str(path)])
    assert result.exit_code == 0, result.output
    assert "calibration and reads" in result.output


def test_config_error_is_one_line_with_the_key(tmp_path):
    path = _config(tmp_path, CONFIG.replace('pitch = "100 um"', 'pitch = "100 V"'))
    result = runner.invoke(app, ["simulate", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("perovx: error: ")
    assert "sim.toml:7: [panel] pitch" in lines[0]


def test_bad_option_values(tmp_path):
    path = _config(tmp_path)
    result = runner.invoke(app, ["simulate", str(path), "--kernels", "exact"])
    assert result.exit_code == 2
    assert "--kernels must be one of monte_carlo, local" in result.stderr
    missing = runner.invoke(app, ["simulate", str(tmp_path / "none.toml")])
    assert missing.exit_code == 2
    assert "no such configuration file" in missing.stderr


def test_simulate_never_overwrites_outputs(tmp_path):
    import shutil
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "examples" / "simulate"
    src = examples / "mapbi3_line_scanner.toml"
    cfg = tmp_path / "scan.toml"
    shutil.copy(src, cfg)
    out = tmp_path / "out"
    out.mkdir()
    runner = CliRunner()
    first = runner.invoke(app, ["simulate", str(cfg), "--out", str(out), "--kernels", "local",
                                "--no-progress", "--json"])
    assert first.exit_code == 0, first.output
    existing = sorted(p.name for p in out.iterdir())
    stamp = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    second = runner.invoke(app, ["simulate", str(cfg), "--out", str(out), "--kernels", "local",
                                 "--no-progress"])
    assert second.exit_code == 2 and "--overwrite" in second.output
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamp
    assert sorted(p.name for p in out.iterdir()) == existing


def test_simulate_runs_an_acquisition_sequence(tmp_path):
    # an [acquisition] section turns the command into a frame sequence with a lag report
    config = tmp_path / "seq.toml"
    config.write_text(CONFIG + textwrap.dedent("""\

        [acquisition]
        pattern = "radiography"
        frame_rate = "5 Hz"
        frames = 5
        air_kerma = "20 uGy"
        lag_fractions = [0.05]
        lag_time_constants = ["0.3 s"]
        """), encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(config), "--out", str(tmp_path / "out"),
                                 "--kernels", "local", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["frames"] == 5
    assert report["lag"]["first_frame_lag"] == pytest.approx(report["lag"]["model"][0],
                                                             abs=0.01)
    assert (tmp_path / "out").is_dir()
