"""``perovx mtf | nps | dqe | linepairs`` end to end, and their bad-input exits.

The expected MTF50 is that of the analytic edge (Gaussian σ = 1 px times the square pixel
aperture, see tests/metrics/test_mtf.py); the flat fields are Poisson noise of known mean,
whose NNPS is 1/mean per pixel area (white Poisson noise, Dobbins 2000, ch. 3).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import brentq
from typer.testing import CliRunner

from perovx.cli import app
from perovx.io.images import write_dicom, write_tiff
from perovx.metrics._synthetic import analytic_edge_mtf, render_bar_pattern, render_slanted_edge

PITCH_M = 100e-6
runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("iq")
    rng = np.random.default_rng(21)
    edge = render_slanted_edge((240, 200), angle_deg=3.0, sigma_px=1.0, low=500.0,
                               high=20000.0, subsamples=24)
    write_tiff(d / "edge.tif", np.rint(edge).astype(np.uint16), pixel_pitch_m=PITCH_M)
    np.save(d / "edge.npy", edge)
    for i in range(2):
        write_dicom(d / f"flat{i}.dcm", rng.poisson(900.0, (384, 384)).astype(np.uint16),
                    pixel_pitch_m=PITCH_M, metadata={"air_kerma_Gy": 3e-6})
    write_tiff(d / "flat_small.tif", rng.poisson(900.0, (300, 300)).astype(np.uint16),
               pixel_pitch_m=PITCH_M)
    flat = rng.poisson(900.0, (384, 384)).astype(np.uint16)
    write_dicom(d / "nospacing.dcm", flat, pixel_pitch_m=PITCH_M)
    import pydicom

    ds = pydicom.dcmread(d / "nospacing.dcm")
    del ds.PixelSpacing
    del ds.ImagerPixelSpacing
    ds.save_as(d / "nospacing.dcm")
    saturated = np.clip(render_slanted_edge((200, 160), angle_deg=3.0, sigma_px=1.0,
                                            low=1000.0, high=90000.0, subsamples=8),
                        0, 65535).astype(np.uint16)
    write_tiff(d / "saturated.tif", saturated, pixel_pitch_m=PITCH_M)
    aligned = render_slanted_edge((200, 160), angle_deg=0.0, sigma_px=1.0, subsamples=8)
    write_tiff(d / "aligned.tif", aligned.astype(np.float32), pixel_pitch_m=PITCH_M)
    bars = np.vstack([render_bar_pattern((30, 300), period_px=p, n_bars=10, start_px=20.0,
                                         sigma_px=0.8) for p in (20, 8, 4)])
    write_tiff(d / "bars.tif", bars.astype(np.float32), pixel_pitch_m=PITCH_M)
    rng.poisson(900.0, (64, 64)).astype("<u2").tofile(d / "flat.raw")
    return d


def _run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_mtf_json_and_plot(files) -> None:
    png = files / "mtf.png"
    r = _run("mtf", files / "edge.tif", "--pixel-pitch", "0.1mm", "--json", "--plot", png)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    f50 = brentq(lambda f: analytic_edge_mtf(f, sigma_px=1.0, angle_deg=3.0) - 0.5, 0.01, 1)
    assert d["mtf50_lp_per_mm"] == pytest.approx(f50 / 0.1, rel=0.01)
    for key in ("mtf20_lp_per_mm", "mtf10_lp_per_mm", "edge_angle_deg",
                "frequency_lp_per_mm", "mtf"):
        assert key in d
    assert d["edge_angle_deg"] == pytest.approx(3.0, abs=0.02)
    assert len(d["frequency_lp_per_mm"]) == len(d["mtf"])
    assert png.stat().st_size > 1000


def test_mtf_text_output_and_roi(files) -> None:
    r = _run("mtf", files / "edge.tif", "--roi", "20:220,40:160")
    assert r.exit_code == 0, r.output
    assert "MTF50" in r.stdout and "ROI rows 20:220, cols 40:160, given" in r.stdout
    r = _run("mtf", files / "edge.tif", "--pixel-pitch", "139um")
    assert r.exit_code == 0, r.output
    assert "--pixel-pitch 0.139 mm overrides the file's 0.1 mm" in r.stderr
    assert "Nyquist 3.597 lp/mm" in r.stdout


def test_nps_json(files) -> None:
    r = _run("nps", files / "flat0.dcm", files / "flat1.dcm", "--roi-size", "128", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    # white Poisson noise: NNPS = pixel area / mean = 0.01 mm² / 900
    assert np.mean(d["nnps_radial_mm2"]) == pytest.approx(0.01 / 900.0, rel=0.05)
    assert d["n_images"] == 2 and d["single_image"] is False


def test_nps_single_image_says_so(files) -> None:
    r = _run("nps", files / "flat_small.tif", "--roi-size", "64")
    assert r.exit_code == 0, r.output
    assert "single image" in r.stdout


def test_dqe_json_reads_air_kerma_from_metadata(files) -> None:
    r = _run("dqe", files / "flat0.dcm", files / "flat1.dcm", "--edge", files / "edge.tif",
             "--roi-size", "128", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["air_kerma_uGy"] == pytest.approx(3.0)
    assert d["beam"] == "RQA5"
    assert d["q_iec_62220_1_1_2015_per_mm2_per_uGy"] == 29653.0
    assert len(d["dqe"]) == len(d["frequency_lp_per_mm"])
    r2 = _run("dqe", files / "flat0.dcm", "--edge", files / "edge.tif", "--roi-size", "128",
              "--air-kerma", "2uGy", "--q", "30000")
    assert r2.exit_code == 0, r2.output
    assert "q = 30000" in r2.stdout


def test_linepairs(files) -> None:
    r = _run("linepairs", files / "bars.tif", "--group", "0.5@0:30,20:200",
             "--group", "1.25lp/mm@30:60,20:92", "--group", "2.5@60:90,20:56", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert [g["frequency_lp_per_mm"] for g in d["groups"]] == [0.5, 1.25, 2.5]
    assert d["highest_resolved_lp_per_mm"] == pytest.approx(2.5)


def test_raw_needs_shape(files) -> None:
    r = _run("nps", files / "flat.raw", "--pixel-pitch", "100um", "--roi-size", "32")
    assert r.exit_code == 2
    assert "needs its shape and data type" in r.stderr
    r = _run("nps", files / "flat.raw", "--pixel-pitch", "100um", "--roi-size", "32",
             "--shape", "64x64", "--dtype", "<u2", "--area", "full")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("mtf", "flat_small.tif"), "no edge found"),
        (("mtf", "aligned.tif"), "outside the usable range"),
        (("mtf", "saturated.tif"), "saturated edge"),
        (("nps", "flat0.dcm", "flat_small.tif"), "differ in shape"),
        (("nps", "nospacing.dcm"), "no ImagerPixelSpacing or PixelSpacing; give it with "
                                   "--pixel-pitch"),
        (("mtf", "edge.npy"), "pixel pitch unknown"),
        (("mtf", "edge.tif", "--roi", "1:2:3"), "expected ROW_START:ROW_STOP"),
        (("mtf", "missing.tif"), "no such file"),
        (("dqe", "flat_small.tif", "--edge", "edge.tif"), "not in their metadata"),
        (("linepairs", "bars.tif", "--group", "2.5"), "expected FREQ@ROW0"),
    ],
)
def test_bad_input_exits_with_code_2(files, args, message) -> None:
    argv = [files / a if a.endswith((".tif", ".dcm", ".npy")) else a for a in args]
    r = _run(*argv)
    assert r.exit_code == 2, r.output
    assert r.stderr.startswith("perovx: error:")
    assert message in r.stderr
