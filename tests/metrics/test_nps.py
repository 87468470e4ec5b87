"""Noise power spectrum against noise of known spectrum.

References: for white noise of variance σ² sampled at pitches Δx, Δy the NPS is flat,
NPS = σ²·Δx·Δy; noise filtered by a linear filter of transfer function H has
NPS = |H|²·σ²·Δx·Δy (Wiener–Khinchin; J. T. Dobbins III, Handbook of Medical Imaging
Vol. 1, SPIE 2000, ch. 3, eqs. 3.11–3.14). The [1, 2, 1]/4 binomial filter has
H(f) = cos²(π f Δ).
"""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.metrics.nps import IEC_ANALYSIS_AREA_M, noise_power_spectrum

PITCH_M = 100e-6


def _white(n_frames: int, size: int, sigma: float, seed: int, mean: float = 1000.0):
    rng = np.random.default_rng(seed)
    return [rng.normal(mean, sigma, (size, size)) for _ in range(n_frames)]


def test_white_noise_is_flat_at_the_known_level() -> None:
    sigma = 12.0
    result = noise_power_spectrum(_white(6, 512, sigma, seed=1), pixel_pitch_m=PITCH_M,
                                  roi_size_px=128, area="full")
    level = sigma**2 * PITCH_M**2
    for cut in (result.nps_radial, result.nps_horizontal, result.nps_vertical):
        assert np.mean(cut) == pytest.approx(level, rel=0.03)
        assert np.all(np.abs(cut / level - 1) < 0.25)
    assert np.mean(result.nps_radial[5:] / level) == pytest.approx(1.0, abs=0.02)
    assert result.variance == pytest.approx(sigma**2, rel=0.02)
    assert result.mean_signal == pytest.approx(1000.0, rel=1e-3)
    assert np.mean(result.nnps_radial) == pytest.approx(level / 1000.0**2, rel=0.03)
    assert result.frequency_per_m[-1] == pytest.approx(0.5 / PITCH_M)
    assert result.n_rois == 6 * 7 * 7
    assert not result.single_image


def test_correlated_noise_follows_the_filter() -> None:
    n, sigma = 512, 10.0
    f = np.fft.fftfreq(n)
    h = np.outer(np.cos(np.pi * f) ** 2, np.cos(np.pi * f) ** 2)  # [1,2,1]/4 in x and y
    rng = np.random.default_rng(2)
    frames = [np.real(np.fft.ifft2(np.fft.fft2(rng.normal(0, sigma, (n, n))) * h)) + 500.0
              for _ in range(6)]
    result = noise_power_spectrum(frames, pixel_pitch_m=PITCH_M, roi_size_px=128,
                                  area="full", detrend="mean")
    fv, fu = result.frequency_2d_per_m
    expected = sigma**2 * PITCH_M**2 * np.outer(np.cos(np.pi * fv * PITCH_M) ** 4,
                                                 np.cos(np.pi * fu * PITCH_M) ** 4)
    strong = expected > 0.05 * expected.max()
    ratio = result.nps_2d[strong] / expected[strong]
    assert np.mean(ratio) == pytest.approx(1.0, abs=0.02)
    # radial average of |H|²·σ²ΔxΔy over the same annuli (axes excluded)
    uu, vv = np.meshgrid(fu, fv)
    radius = np.hypot(uu, vv)
    df = result.frequency_per_m[1] - result.frequency_per_m[0]
    off_axis = (uu != 0) & (vv != 0)
    for k in range(2, 40, 6):
        f_k = result.frequency_per_m[k]
        ring = off_axis & (np.rint(radius / df) == np.rint(f_k / df))
        assert result.nps_radial[k] == pytest.approx(expected[ring].mean(), rel=0.1)


def test_poly2_detrending_removes_a_heel_effect() -> None:
    frames = _white(4, 384, 8.0, seed=3)
    y, x = np.mgrid[0:384, 0:384] / 384.0
    trend = 300.0 * x + 150.0 * (y - 0.5) ** 2  # heel effect and fall-off
    tilted = [f + trend for f in frames]
    level = 64.0 * PITCH_M**2
    detrended = noise_power_spectrum(tilted, pixel_pitch_m=PITCH_M, roi_size_px=128,
                                     area="full")
    raw = noise_power_spectrum(tilted, pixel_pitch_m=PITCH_M, roi_size_px=128, area="full",
                               detrend="none")
    assert detrended.nps_horizontal[0] / level == pytest.approx(1.0, abs=0.2)
    assert raw.nps_horizontal[0] / level > 10


def test_single_image_is_flagged() -> None:
    result = noise_power_spectrum(_white(1, 256, 5.0, seed=4)[0], pixel_pitch_m=PITCH_M,
                                  roi_size_px=64, area="full")
    assert result.single_image
    assert any("single image" in n for n in result.notes)
    assert result.to_dict()["single_image"] is True


def test_mean_image_subtraction_removes_fixed_pattern() -> None:
    rng = np.random.default_rng(5)
    pattern = rng.normal(0.0, 20.0, (256, 256))
    frames = [pattern + f for f in _white(8, 256, 5.0, seed=6)]
    with_fp = noise_power_spectrum(frames, pixel_pitch_m=PITCH_M, roi_size_px=64, area="full")
    without = noise_power_spectrum(frames, pixel_pitch_m=PITCH_M, roi_size_px=64, area="full",
                                   subtract_mean_image=True)
    assert with_fp.variance == pytest.approx(425.0, rel=0.05)
    assert without.variance == pytest.approx(25.0, rel=0.05)


def test_iec_area_is_the_central_125_mm_square() -> None:
    frames = _white(1, 800, 3.0, seed=8)
    result = noise_power_spectrum(frames, pixel_pitch_m=200e-6, roi_size_px=64)
    r0, r1, c0, c1 = result.analysis_area
    side = round(IEC_ANALYSIS_AREA_M / 200e-6)
    assert (r1 - r0, c1 - c0) == (side, side)
    assert r0 == (800 - side) // 2


def test_stack_and_image_objects(tmp_path) -> None:
    from perovx.io.images import read_image

    stack = np.stack(_white(3, 256, 4.0, seed=9))
    image = read_image(stack, pixel_pitch_m=PITCH_M)
    result = noise_power_spectrum(image, roi_size_px=64, area="full")
    assert result.n_images == 3
    d = result.to_dict()
    assert {"frequency_lp_per_mm", "nnps_horizontal_mm2", "nps_radial_signal2_mm2"} <= set(d)
    fig = result.plot()
    fig.savefig(tmp_path / "nps.png")


# ------------------------------------------------------------------ bad input


def test_different_shapes_are_refused() -> None:
    frames = [np.zeros((256, 256)), np.zeros((256, 300))]
    with pytest.raises(InputError, match=r"differ in shape \(256×256, 256×300\)"):
        noise_power_spectrum(frames, pixel_pitch_m=PITCH_M)


def test_bad_options() -> None:
    frames = _white(1, 100, 1.0, seed=10)
    with pytest.raises(InputError, match="smaller than one ROI"):
        noise_power_spectrum(frames, pixel_pitch_m=PITCH_M, roi_size_px=128, area="full")
    with pytest.raises(InputError, match="pixel pitch is unknown"):
        noise_power_spectrum(frames)
    with pytest.raises(InputError, match="roi_size_px"):
        noise_power_spectrum(frames, pixel_pitch_m=PITCH_M, roi_size_px=8)
    with pytest.raises(InputError, match="needs at least 2 frames"):
        noise_power_spectrum(frames, pixel_pitch_m=PITCH_M, roi_size_px=64,
                             subtract_mean_image=True)
    with pytest.raises(InputError, match="no images"):
        noise_power_spectrum([], pixel_pitch_m=PITCH_M)


def test_conversion_function_applied_before_the_nps() -> None:
    """Pixel = 3·E + 150 (gain and offset) read back through the table E = (pixel − 150)/3
    gives exactly the NNPS of E itself; without it the offset biases the NNPS by
    (mean E · 3 / (3·mean E + 150))² = (2700/2850)²."""
    from perovx.metrics.conversion import ConversionFunction

    rng = np.random.default_rng(11)
    e = rng.poisson(900.0, (2, 256, 256)).astype(np.float64)
    pixels = (3.0 * e + 150.0).astype(np.uint16)
    conv = ConversionFunction(np.array([150.0, 4650.0]), np.array([0.0, 1500.0]),
                              source="gain table")
    ref = noise_power_spectrum(e, pixel_pitch_m=1e-4, roi_size_px=64, area="full")
    lin = noise_power_spectrum(pixels, pixel_pitch_m=1e-4, roi_size_px=64, area="full",
                               conversion=conv)
    raw = noise_power_spectrum(pixels, pixel_pitch_m=1e-4, roi_size_px=64, area="full")
    np.testing.assert_allclose(lin.nnps_radial, ref.nnps_radial, rtol=1e-5)
    assert lin.mean_signal == pytest.approx(ref.mean_signal, rel=1e-6)
    ratio = np.mean(raw.nnps_radial / ref.nnps_radial)
    assert ratio == pytest.approx((3 * ref.mean_signal / (3 * ref.mean_signal + 150)) ** 2,
                                  rel=1e-3)
    assert any("gain table" in n for n in lin.notes)
    bad = ConversionFunction(np.array([200.0, 3150.0]), np.array([0.0, 1.0]), source="short")
    with pytest.raises(InputError, match=r"NPS frame 1.*reach outside the conversion function "
                                         r"short"):
        noise_power_spectrum(pixels, pixel_pitch_m=1e-4, roi_size_px=64, area="full",
                             conversion=bad)


def test_colour_flat_fields_say_they_were_turned_into_luminance() -> None:
    from perovx.io.images import read_image

    rng = np.random.default_rng(2)
    rgb = rng.normal(100.0, 3.0, (128, 128, 3))
    r = noise_power_spectrum([read_image(rgb, pixel_pitch_m=PITCH_M)], roi_size_px=64,
                             area="full")
    assert any("0.213 R + 0.715 G + 0.072 B" in n for n in r.notes)
