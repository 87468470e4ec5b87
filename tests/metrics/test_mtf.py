"""Slanted-edge MTF against analytic transfer functions and an independent implementation.

Analytic reference
------------------
Edges are rendered by :mod:`perovx.metrics._synthetic` as the exact pixel-aperture average
of a step blurred by a Gaussian of standard deviation σ (pixels). The presampled MTF along
the edge normal is then exp(−2π²σ²f²) · |sinc(f cos α) sinc(f sin α)| (Gaussian transfer
function times the square pixel aperture projected onto the normal; see e.g. Samei,
Flynn & Reimann, Med. Phys. 25, 102 (1998), and ISO 12233:2014 Annex D), f in cycles per
pixel. The issue asks for agreement within 0.02 up to the Nyquist frequency.

Independent implementation
--------------------------
quickMTF 2023.3.3 (PyPI; ``quickMTF.SFR_MTF.sfr_mtfcal().calc_sfr(image, oversampling=4)``),
a Python ISO 12233 slanted-edge code of the sfrmat / ``sfr.py`` lineage, was run on the
edges below (render_slanted_edge((200, 100), angle_deg=5, sigma_px=σ, low=100, high=900))
outside the test suite, since it is not a test dependency; its MTF, interpolated at
0.05 … 0.50 cycles/pixel, is recorded in ``QUICKMTF``. What the comparison shows:

* σ = 0.5 px: perovx − quickMTF within ±0.006 up to Nyquist (tolerance 0.01).
* σ = 0 (pixel aperture only): quickMTF is 0.073 lower at Nyquist. Its source multiplies
  the MTF by ``(1/sinc(2f/oversampling)).clip(0, 1)``, which is 1 everywhere, so neither
  the central-difference nor the bin-width transfer (sinc(2f/4)·sinc(f/4)) is removed.
  Dividing its numbers by that product, the two agree within 0.006 (tolerance 0.01).
* σ = 1 px: quickMTF is up to 0.026 higher (tolerance 0.03): its Hann LSF window is only
  1.5 × the 10 %-of-peak LSF width, which trims the Gaussian tails; perovx matches the
  analytic curve to 0.001 there.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from perovx.errors import InputError
from perovx.metrics._synthetic import analytic_edge_mtf, render_slanted_edge
from perovx.metrics.mtf import EDGE_ANGLE_RANGE_DEG, MTFResult, slanted_edge_mtf

PITCH_M = 100e-6  # 0.1 mm pixels: Nyquist 5 lp/mm

# quickMTF 2023.3.3 on render_slanted_edge((200, 100), angle 5°, low 100, high 900),
# MTF at 0.05, 0.10, ..., 0.50 cycles/pixel (np.interp on its output), run 2026-11-24.
QUICKMTF_F_CPP = np.round(np.arange(1, 11) * 0.05, 2)
QUICKMTF = {
    0.0: [0.9947, 0.9788, 0.9528, 0.9173, 0.8731, 0.8213, 0.763, 0.6997, 0.6327, 0.5634],
    0.5: [0.9834, 0.9353, 0.8601, 0.7647, 0.657, 0.5454, 0.4372, 0.3382, 0.2522, 0.1812],
    1.0: [0.9516, 0.8197, 0.639, 0.4502, 0.2862, 0.1637, 0.0838, 0.0381, 0.0153, 0.0057],
}


def _edge(angle: float, sigma: float, shape: tuple[int, int] = (256, 160), **kw) -> np.ndarray:
    return render_slanted_edge(shape, angle_deg=angle, sigma_px=sigma, subsamples=32, **kw)


def _f_cpp(result: MTFResult) -> np.ndarray:
    return result.frequency_per_m * result.pixel_pitch_m


@pytest.mark.parametrize("sigma", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("angle", [1.0, 2.5, 5.0, 10.0, -3.0])
def test_mtf_matches_analytic_gaussian_and_box_aperture(sigma: float, angle: float) -> None:
    result = slanted_edge_mtf(_edge(angle, sigma), pixel_pitch_m=PITCH_M)
    f = _f_cpp(result)
    expected = analytic_edge_mtf(f, sigma_px=sigma, angle_deg=angle)
    to_nyquist = f <= 0.5 + 1e-9
    assert np.max(np.abs(result.mtf[to_nyquist] - expected[to_nyquist])) < 0.02
    # and beyond Nyquist, to twice it
    assert np.max(np.abs(result.mtf - expected)) < 0.02
    assert result.edge_angle_deg == pytest.approx(angle, abs=0.01)
    assert result.mtf[0] == pytest.approx(1.0)


def test_mtf50_of_gaussian_edge_in_lp_per_mm() -> None:
    sigma = 1.2
    result = slanted_edge_mtf(_edge(4.0, sigma), pixel_pitch_m=PITCH_M)
    for level, got in ((0.5, result.mtf50_per_m), (0.2, result.mtf20_per_m),
                       (0.1, result.mtf10_per_m)):
        f_level = brentq(lambda f, lv=level: analytic_edge_mtf(f, sigma_px=sigma,
                                                               angle_deg=4.0) - lv, 0.01, 1.0)
        assert got is not None
        assert got * PITCH_M == pytest.approx(f_level, rel=0.01)
    d = result.to_dict()
    assert d["mtf50_lp_per_mm"] == pytest.approx(result.mtf50_per_m * 1e-3)
    assert d["nyquist_lp_per_mm"] == pytest.approx(5.0)


@pytest.mark.parametrize("horizontal", [False, True])
@pytest.mark.parametrize("falling", [False, True])
def test_orientation_and_polarity(horizontal: bool, falling: bool) -> None:
    img = _edge(3.5, 0.8, shape=(220, 200), horizontal=horizontal, falling=falling)
    result = slanted_edge_mtf(img, pixel_pitch_m=PITCH_M)
    assert result.orientation == ("horizontal" if horizontal else "vertical")
    assert result.polarity == ("falling" if falling else "rising")
    f = _f_cpp(result)
    assert np.max(np.abs(result.mtf - analytic_edge_mtf(f, sigma_px=0.8, angle_deg=3.5))) < 0.02


def test_non_square_pixels_use_the_pitch_across_the_edge() -> None:
    # Horizontal edge: the MTF runs along the columns, sampled at the row pitch.
    img = _edge(3.0, 1.0, shape=(200, 220), horizontal=True)
    result = slanted_edge_mtf(img, pixel_pitch_m=(50e-6, 150e-6))
    assert result.pixel_pitch_m == pytest.approx(50e-6)
    assert result.nyquist_per_m == pytest.approx(1e4)


def test_given_roi_and_auto_roi_agree_on_a_plate_frame() -> None:
    # A 1000 x 1000 frame: a dark plate on the left third, its right edge tilted by 3°.
    y, x = np.mgrid[0:1000, 0:1000]
    inside = (x - 330 - np.tan(np.radians(3)) * (y - 500)) < 0
    plate = np.where(inside & (y > 100) & (y < 900), 200.0, 3000.0)
    from scipy.ndimage import gaussian_filter

    img = gaussian_filter(plate, 1.0)
    auto = slanted_edge_mtf(img, pixel_pitch_m=PITCH_M)
    assert auto.roi_source == "auto"
    r0, r1, c0, c1 = auto.roi
    assert r0 >= 100 and r1 <= 900 and c0 < 330 < c1
    given = slanted_edge_mtf(img, pixel_pitch_m=PITCH_M, roi=(300, 700, 250, 420))
    assert given.roi_source == "given"
    assert auto.edge_angle_deg == pytest.approx(3.0, abs=0.02)
    assert auto.mtf50_per_m == pytest.approx(given.mtf50_per_m, rel=0.01)


def test_auto_roi_prefers_the_slanted_edge_over_collimator_borders() -> None:
    from scipy.ndimage import gaussian_filter

    y, x = np.mgrid[0:1024, 0:1024]
    field = (x > 80) & (x < 944) & (y > 80) & (y < 944)  # collimated, axis-aligned
    plate = (y - 512 + np.tan(np.radians(-4.0)) * (x - 512) > 0) & (x > 300) & (x < 700)
    img = gaussian_filter(np.where(field, np.where(plate, 300.0, 5000.0), 20.0), 1.0)
    result = slanted_edge_mtf(img, pixel_pitch_m=PITCH_M)
    assert result.orientation == "horizontal"
    assert result.edge_angle_deg == pytest.approx(4.0, abs=0.05)
    # with the plate removed, the axis-aligned collimator edge is reported as such
    with pytest.raises(InputError, match="outside the usable range"):
        slanted_edge_mtf(gaussian_filter(np.where(field, 5000.0, 20.0), 1.0),
                         pixel_pitch_m=PITCH_M)


def test_noisy_edge_is_unbiased_within_noise() -> None:
    rng = np.random.default_rng(7)
    clean = _edge(2.0, 1.0, shape=(400, 200), low=400.0, high=8000.0)
    result = slanted_edge_mtf(rng.poisson(clean).astype(np.uint16), pixel_pitch_m=PITCH_M)
    f = _f_cpp(result)
    assert result.edge_angle_deg == pytest.approx(2.0, abs=0.05)
    low = f <= 0.3
    assert np.max(np.abs(result.mtf[low] - analytic_edge_mtf(f[low], sigma_px=1.0,
                                                              angle_deg=2.0))) < 0.05
    assert result.edge_cnr > 50


def test_stack_is_averaged() -> None:
    img = _edge(4.0, 1.0, shape=(160, 120))
    result = slanted_edge_mtf(np.stack([img, img]), pixel_pitch_m=PITCH_M)
    assert any("2 frames averaged" in n for n in result.notes)


def test_image_object_carries_its_pitch() -> None:
    from perovx.io.images import read_image

    image = read_image(_edge(4.0, 1.0, shape=(160, 120)), pixel_pitch_m=139e-6)
    result = slanted_edge_mtf(image)
    assert result.pixel_pitch_m == pytest.approx(139e-6)


@pytest.mark.parametrize("sigma", [0.0, 0.5, 1.0])
def test_agrees_with_quickmtf_on_its_edges(sigma: float) -> None:
    img = render_slanted_edge((200, 100), angle_deg=5.0, sigma_px=sigma, low=100.0, high=900.0)
    ours = slanted_edge_mtf(img, pixel_pitch_m=PITCH_M).mtf_at(QUICKMTF_F_CPP / PITCH_M)
    theirs = np.array(QUICKMTF[sigma])
    if sigma == 0.0:
        # quickMTF leaves out the difference and bin transfer (see the module docstring).
        theirs = theirs / (np.sinc(2 * QUICKMTF_F_CPP / 4) * np.sinc(QUICKMTF_F_CPP / 4))
    tolerance = 0.03 if sigma == 1.0 else 0.01
    assert np.max(np.abs(ours - theirs)) < tolerance


def test_result_serialises_and_plots(tmp_path) -> None:
    import json

    result = slanted_edge_mtf(_edge(5.0, 1.0, shape=(160, 120)), pixel_pitch_m=PITCH_M)
    d = result.to_dict(include_profiles=True)
    for key in ("mtf50_lp_per_mm", "mtf20_lp_per_mm", "mtf10_lp_per_mm", "edge_angle_deg",
                "frequency_lp_per_mm", "mtf", "esf", "lsf"):
        assert key in d
    from perovx.io.serialize import jsonable

    json.dumps(jsonable(d), allow_nan=False)
    assert d["frequency_lp_per_mm"][-1] == pytest.approx(10.0)
    fig = result.plot()
    fig.savefig(tmp_path / "mtf.png")
    assert fig.axes[0].get_xlabel() == "spatial frequency (lp/mm)"


def test_level_never_reached_is_none() -> None:
    # A very sharp edge analysed only to 0.6 cycles/pixel never falls to MTF = 0.1.
    result = slanted_edge_mtf(_edge(5.0, 0.0, shape=(160, 120)), pixel_pitch_m=PITCH_M,
                              max_frequency_cycles_per_pixel=0.6)
    assert result.mtf10_per_m is None
    assert result.to_dict()["mtf10_lp_per_mm"] is None


# ------------------------------------------------------------------ bad input


def test_no_edge_in_roi() -> None:
    flat = np.random.default_rng(1).normal(1000.0, 10.0, (200, 200))
    with pytest.raises(InputError, match="no edge found"):
        slanted_edge_mtf(flat, pixel_pitch_m=PITCH_M, roi=(0, 200, 0, 200))
    with pytest.raises(InputError, match="no edge found in the image"):
        slanted_edge_mtf(flat, pixel_pitch_m=PITCH_M)


@pytest.mark.parametrize("angle", [0.0, 30.0])
def test_angle_outside_usable_range(angle: float) -> None:
    img = _edge(angle, 0.8, shape=(200, 200))
    lo, hi = EDGE_ANGLE_RANGE_DEG
    with pytest.raises(InputError, match=rf"outside the usable range {lo:g}–{hi:g}°"):
        slanted_edge_mtf(img, pixel_pitch_m=PITCH_M, roi=(20, 180, 20, 180))


def test_saturated_edge() -> None:
    img = _edge(4.0, 1.0, shape=(200, 160), low=1000.0, high=70000.0)
    clipped = np.clip(img, 0, 65535).astype(np.uint16)
    with pytest.raises(InputError, match=r"saturated edge: .* % of the pixels .* 65535"):
        slanted_edge_mtf(clipped, pixel_pitch_m=PITCH_M)
    # floating-point data: saturation only when the level is given
    with pytest.raises(InputError, match="saturated edge"):
        slanted_edge_mtf(np.minimum(img, 50000.0), pixel_pitch_m=PITCH_M,
                         saturation_level=50000.0)


def test_unknown_pitch_and_bad_roi() -> None:
    img = _edge(4.0, 1.0, shape=(160, 120))
    with pytest.raises(InputError, match="pixel pitch is unknown"):
        slanted_edge_mtf(img)
    with pytest.raises(InputError, match="does not lie inside the image"):
        slanted_edge_mtf(img, pixel_pitch_m=PITCH_M, roi=(0, 500, 0, 120))
    with pytest.raises(InputError, match=r"outside 0\.1 µm – 10 mm"):
        slanted_edge_mtf(img, pixel_pitch_m=0.1)
    with pytest.raises(InputError, match="reaches only"):
        slanted_edge_mtf(img, pixel_pitch_m=PITCH_M, roi=(0, 160, 50, 66))
    with pytest.raises(InputError, match="oversampling"):
        slanted_edge_mtf(img, pixel_pitch_m=PITCH_M, oversampling=50)


def test_too_few_phases() -> None:
    # 1° over 60 rows: the edge moves by one pixel only.
    img = _edge(1.0, 0.8, shape=(60, 120))
    with pytest.raises(InputError, match="shifts by only"):
        slanted_edge_mtf(img, pixel_pitch_m=PITCH_M, roi=(0, 60, 0, 120))
