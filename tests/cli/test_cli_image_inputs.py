"""``perovx mtf | nps | dqe`` with colour images, --bit-depth, --allow-saturation and
--conversion-function, and their one-line refusals (exit 2).

Truth: edges from :mod:`perovx.metrics._synthetic` (Gaussian σ = 1 px and the pixel
aperture; MTF50 from the analytic curve, see tests/metrics/test_mtf.py); the flat fields are
Poisson noise of mean 900 recorded through pixel = 2·E + 200, whose linearised NNPS is
1/900 per pixel area (white Poisson noise, Dobbins 2000, ch. 3).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import brentq
from typer.testing import CliRunner

from perovx.cli import app
from perovx.io.images import write_tiff
from perovx.metrics._synthetic import analytic_edge_mtf, render_slanted_edge

PITCH_M = 100e-6
runner = CliRunner()


def _run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import tifffile

    d = tmp_path_factory.mktemp("inputs")
    e = render_slanted_edge((200, 160), angle_deg=3.0, sigma_px=1.0, low=0.05, high=0.9,
                            subsamples=16)
    gamma = np.rint(255.0 * e ** (1 / 2.2)).astype(np.uint8)
    rgb = np.stack([gamma, gamma, gamma], axis=-1)
    tifffile.imwrite(d / "edge_rgb.tif", rgb, photometric="rgb",
                     resolution=(100.0, 100.0), resolutionunit=tifffile.RESUNIT.CENTIMETER)
    pv = np.arange(256)
    (d / "gamma.csv").write_text("pixel value, relative exposure\n" + "".join(
        f"{v}, {(v / 255.0) ** 2.2:.8f}\n" for v in pv))
    over = render_slanted_edge((200, 160), angle_deg=3.0, sigma_px=1.0, low=300.0,
                               high=6000.0, subsamples=16)
    write_tiff(d / "edge12.tif", np.minimum(np.rint(over), 4095).astype(np.uint16),
               pixel_pitch_m=PITCH_M)
    rng = np.random.default_rng(5)
    for i in range(2):
        flat = 2 * rng.poisson(900.0, (256, 256)) + 200
        write_tiff(d / f"flat{i}.tif", flat.astype(np.uint16), pixel_pitch_m=PITCH_M)
    (d / "gain.csv").write_text("pixel,exposure\n200,0\n4200,2000\n")
    (d / "bad.csv").write_text("pixel,exposure\n0,0\n100,5\n200,3\n")
    return d


def _true_mtf50() -> float:
    return brentq(lambda f: analytic_edge_mtf(np.array([f]), sigma_px=1.0,
                                              angle_deg=3.0)[0] - 0.5, 0.01, 0.9) / PITCH_M


def test_mtf_of_gamma_encoded_rgb_tiff_through_conversion_function(files) -> None:
    res = _run("mtf", files / "edge_rgb.tif", "--conversion-function", files / "gamma.csv",
               "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["mtf50_lp_per_mm"] == pytest.approx(_true_mtf50() * 1e-3, rel=0.01)
    assert any("0.213 R + 0.715 G + 0.072 B" in n for n in out["notes"])
    assert any("gamma.csv (256 points" in n for n in out["notes"])
    plain = json.loads(_run("mtf", files / "edge_rgb.tif", "--json").output)
    assert plain["mtf50_lp_per_mm"] < 0.96 * out["mtf50_lp_per_mm"]


def test_bit_depth_and_allow_saturation(files) -> None:
    guessed = _run("mtf", files / "edge12.tif")
    assert guessed.exit_code == 0, guessed.output
    assert "warning:" in guessed.output and "--bit-depth 12" in guessed.output
    refused = _run("mtf", files / "edge12.tif", "--bit-depth", "12")
    assert refused.exit_code == 2
    assert "saturated edge" in refused.output and "--allow-saturation" in refused.output
    assert "Traceback" not in refused.output
    allowed = _run("mtf", files / "edge12.tif", "--bit-depth", "12", "--allow-saturation")
    assert allowed.exit_code == 0, allowed.output
    assert "warning: saturated edge" in allowed.output
    too_small = _run("mtf", files / "edge12.tif", "--bit-depth", "10")
    assert too_small.exit_code == 2
    assert "above 1023, the largest value of 10-bit data" in too_small.output


def test_nps_and_dqe_with_a_conversion_function(files) -> None:
    res = _run("nps", files / "flat0.tif", files / "flat1.tif", "--roi-size", "64",
               "--area", "full", "--conversion-function", files / "gain.csv", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["mean_signal"] == pytest.approx(900.0, rel=0.01)
    nnps = np.asarray(out["nnps_radial_mm2"])
    # white Poisson noise: NNPS = 1/mean · pixel area = (0.1 mm)² / 900
    assert np.mean(nnps) == pytest.approx(0.01 / 900.0, rel=0.05)
    dqe = _run("dqe", files / "flat0.tif", files / "flat1.tif", "--edge",
               files / "edge12.tif", "--bit-depth", "12", "--allow-saturation",
               "--air-kerma", "2.5uGy", "--roi-size", "64", "--area", "full",
               "--conversion-function", files / "gain.csv")
    assert dqe.exit_code == 0, dqe.output
    assert "note: MTF: saturated edge" in dqe.output


def test_dqe_checks_the_air_kerma_of_linearised_flats(files) -> None:
    # the flat fields (mean 2·900 + 200) through pixel → air kerma in nGy: 900 nGy
    (files / "kerma.csv").write_text("pixel,air kerma (nGy)\n200,0\n4200,2000\n")
    common = ["dqe", files / "flat0.tif", files / "flat1.tif", "--edge",
              files / "edge12.tif", "--bit-depth", "12", "--allow-saturation",
              "--roi-size", "64", "--area", "full",
              "--conversion-function", files / "kerma.csv"]
    ok = _run(*common, "--air-kerma", "0.9uGy")
    assert ok.exit_code == 0, ok.output
    assert "note: air kerma checked" in ok.output
    slip = _run(*common, "--air-kerma", "0.9mGy")
    assert slip.exit_code == 2
    assert "is 1000 times the images' value" in slip.output
    assert slip.output.count("\n") == 1
    forced = _run(*common, "--air-kerma", "0.9mGy", "--allow-air-kerma-mismatch", "--json")
    assert forced.exit_code == 0, forced.output
    out = json.loads(forced.output)
    assert out["image_air_kerma_uGy"] == pytest.approx(0.9, rel=0.01)
    assert any("900 µGy" in w or "the air kerma given is 900" in w for w in out["warnings"])


def test_bad_conversion_function_is_one_line(files) -> None:
    res = _run("mtf", files / "edge12.tif", "--conversion-function", files / "bad.csv")
    assert res.exit_code == 2
    assert "not strictly monotonic: pixel values 100 → 200 give 5 → 3" in res.output
    missing = _run("mtf", files / "edge12.tif", "--conversion-function", files / "no.csv")
    assert missing.exit_code == 2 and "no such conversion-function file" in missing.output
    order = _run("mtf", files / "edge12.tif", "--conversion-function", files / "gain.csv",
                 "--conversion-order", "sideways")
    assert order.exit_code == 2 and "conversion order must be one of" in order.output
