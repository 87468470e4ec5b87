"""Outputs through the real CLI: never overwritten, bad folders refused in one line."""

from __future__ import annotations

import os

import numpy as np
import pytest
from typer.testing import CliRunner

from perovx.cli import app
from perovx.io.images import write_tiff

runner = CliRunner()


def _one_line(result, *texts: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("perovx: error: ")
    for text in texts:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    d = tmp_path_factory.mktemp("img")
    rng = np.random.default_rng(1)
    path = write_tiff(d / "flat.tif", rng.poisson(900.0, (64, 64)).astype(np.uint16),
                      pixel_pitch_m=100e-6)
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["mtf", "{img}"],
        ["nps", "{img}"],
        ["dqe", "{img}", "--edge", "{img}", "--air-kerma", "3uGy"],
        ["linepairs", "{img}", "--group", "1@0:10,0:10"],
        ["mc", "--material", "CdTe", "--histories", "1e3"],
        ["beam", "RQA5"],
    ],
    ids=["mtf", "nps", "dqe", "linepairs", "mc", "beam"],
)
def test_plot_never_overwrites_an_existing_file(tmp_path, image, args):
    plot = tmp_path / "keep.png"
    plot.write_bytes(b"the user's own picture")
    argv = [a.format(img=image) for a in args] + ["--plot", str(plot)]
    _one_line(runner.invoke(app, argv), "keep.png", "already exists")
    assert plot.read_bytes() == b"the user's own picture"


def test_plot_into_a_missing_folder_is_one_line(tmp_path, image):
    missing = tmp_path / "no" / "such" / "p.png"
    _one_line(runner.invoke(app, ["mtf", str(image), "--plot", str(missing)]),
              str(missing), "does not exist")
    _one_line(runner.invoke(app, ["beam", "RQA5", "--plot", str(missing)]), "does not exist")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not bind the superuser")
def test_plot_into_a_read_only_folder_is_one_line(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        _one_line(runner.invoke(app, ["beam", "RQA5", "--plot", str(ro / "p.png")]),
                  "read-only")
    finally:
        ro.chmod(0o700)


def test_sweep_and_demo_outputs_into_missing_folders(tmp_path):
    missing = tmp_path / "nowhere"
    _one_line(runner.invoke(app, ["sweep", "--material", "CdTe", "--thickness", "1mm",
                                  "--out", str(missing / "s.json")]), "does not exist")
    _one_line(runner.invoke(app, ["demo", "--out", str(missing / "report")]),
              "does not exist")
    existing = tmp_path / "s.json"
    existing.write_text("{}")
    _one_line(runner.invoke(app, ["sweep", "--material", "CdTe", "--thickness", "1mm",
                                  "--out", str(existing)]), "already exists")
    assert existing.read_text() == "{}"


def test_sweep_writes_atomically_and_checks_its_size(tmp_path):
    out = tmp_path / "s.json"
    result = runner.invoke(app, ["sweep", "--material", "CdTe", "--thickness", "1mm,2mm",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("{") and [p.name for p in tmp_path.iterdir()] == ["s.json"]
    big = runner.invoke(app, ["sweep", "--material", "CdTe", "--thickness",
                              "1um:1mm:10000", "--field", "1V/um:2V/um:10000",
                              "--max-memory", "1TB", "--max-time", "1h"])
    _one_line(big, "a sweep of 100000000 points", "above the limit of 1 h", "--max-time")
    _one_line(runner.invoke(app, ["sweep", "--material", "CdTe", "--thickness",
                                  "1um:1mm:10000", "--field", "1V/um:2V/um:10000"]),
              "of memory", "--max-memory")


def test_mc_refuses_histories_beyond_the_time_limit():
    result = runner.invoke(app, ["mc", "--material", "CdTe", "--histories", "1e15"])
    _one_line(result, "--histories 1e+15", "--max-time")
    _one_line(runner.invoke(app, ["mc", "--material", "CdTe", "--histories", "inf"]),
              "--histories")


def test_image_analyses_refuse_images_beyond_the_memory_limit(image, monkeypatch):
    monkeypatch.setenv("PEROVX_MAX_MEMORY", "100kB")  # the 64 × 64 image needs ~260 kB
    for args in (["mtf", str(image)], ["nps", str(image)]):
        _one_line(runner.invoke(app, args), "an image of 4.1e+03 pixels", "PEROVX_MAX_MEMORY")
    monkeypatch.setenv("PEROVX_MAX_MEMORY", "1GB")
    ok = runner.invoke(app, ["nps", str(image), "--roi-size", "32"])
    assert ok.exit_code == 0, ok.output
