"""Slanted-edge MTF on the images labs really have: colour, 8–16-bit integers, saturation
and gamma-encoded values linearised by a conversion function.

Truth, as in test_mtf.py: edges rendered by :mod:`perovx.metrics._synthetic` (exact pixel
average of a Gaussian-blurred step) have the presampled MTF exp(−2π²σ²f²)·|sinc(f cos α)
sinc(f sin α)| (Samei, Flynn & Reimann, Med. Phys. 25, 102 (1998)). The luminance of an
RGB edge whose channels share the step but not the blur is Y = Σ wᵢ·channelᵢ, so its LSF is
Σ wᵢ·LSFᵢ and its MTF Σ wᵢ·MTFᵢ (equal steps, weights summing to 1; ISO 12233 weights
0.213, 0.715, 0.072). A gamma-encoded edge v = 255·E^(1/2.2) read through the table
E = (v/255)^2.2 gives back the linear MTF.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from perovx.errors import InputError
from perovx.io.images import LUMINANCE_WEIGHTS, read_image
from perovx.metrics._synthetic import analytic_edge_mtf, render_slanted_edge
from perovx.metrics.conversion import ConversionFunction
from perovx.metrics.mtf import slanted_edge_mtf

PITCH_M = 100e-6
F_CPP = np.linspace(0.05, 0.5, 10)  # up to Nyquist, cycles per pixel
ANGLE = 4.0


def _edge(sigma: float, low: float, high: float, shape=(200, 160)) -> np.ndarray:
    return render_slanted_edge(shape, angle_deg=ANGLE, sigma_px=sigma, low=low, high=high,
                               subsamples=24)


def _true_mtf50(sigma: float) -> float:
    return brentq(lambda f: analytic_edge_mtf(np.array([f]), sigma_px=sigma,
                                              angle_deg=ANGLE)[0] - 0.5, 0.01, 0.9)


def _gamma_conversion() -> ConversionFunction:
    pv = np.arange(256.0)
    return ConversionFunction(pv, (pv / 255.0) ** 2.2, source="gamma-2.2 table")


# ------------------------------------------------------------------ colour


def test_rgb_tiff_is_one_luminance_frame_not_a_stack(tmp_path) -> None:
    import tifffile

    grey = np.rint(_edge(1.0, 20.0, 230.0, shape=(300, 125))).astype(np.uint8)
    rgb = np.stack([grey, (grey * 0.8).astype(np.uint8), (grey * 0.5).astype(np.uint8)], -1)
    tifffile.imwrite(tmp_path / "edge_rgb.tif", rgb, photometric="rgb")
    img = read_image(tmp_path / "edge_rgb.tif")
    assert img.shape == (300, 125) and img.n_frames == 1
    w = LUMINANCE_WEIGHTS
    expected = w[0] * rgb[..., 0] + w[1] * rgb[..., 1] + w[2] * rgb[..., 2].astype(float)
    np.testing.assert_allclose(img.data, expected, rtol=1e-12)
    assert img.metadata["bit_depth"] == 8 and img.metadata["saturation_level"] == 255.0
    assert "0.213 R + 0.715 G + 0.072 B" in img.metadata["read_notes"][0]
    r = slanted_edge_mtf(img, pixel_pitch_m=PITCH_M)
    assert any("0.213 R + 0.715 G + 0.072 B" in n for n in r.notes)


def test_rgb_edge_whose_luminance_equals_a_grey_edge(tmp_path) -> None:
    """Channels 1.2·g, 0.9·g, 1.5·g: luminance (0.213·1.2 + 0.715·0.9 + 0.072·1.5)·g."""
    g = _edge(1.0, 10.0, 150.0)
    rgba = np.stack([1.2 * g, 0.9 * g, 1.5 * g, np.full_like(g, 255.0)], -1)
    np.save(tmp_path / "rgba.npy", rgba)
    img = read_image(tmp_path / "rgba.npy", pixel_pitch_m=PITCH_M)
    assert img.metadata["colour"] == "RGBA"
    scale = 0.213 * 1.2 + 0.715 * 0.9 + 0.072 * 1.5
    np.testing.assert_allclose(img.data, scale * g, rtol=1e-12)
    mc = slanted_edge_mtf(img)
    mg = slanted_edge_mtf(g, pixel_pitch_m=PITCH_M, roi=mc.roi)
    np.testing.assert_allclose(mc.mtf, mg.mtf, atol=1e-9)


def test_rgb_channels_with_different_blur_give_the_weighted_mtf() -> None:
    sigmas = (0.5, 1.0, 2.0)
    rgb = np.stack([_edge(s, 100.0, 900.0) for s in sigmas], axis=-1)
    r = slanted_edge_mtf(read_image(rgb, pixel_pitch_m=PITCH_M))
    expected = sum(w * analytic_edge_mtf(F_CPP, sigma_px=s, angle_deg=ANGLE)
                   for w, s in zip(LUMINANCE_WEIGHTS, sigmas, strict=True))
    np.testing.assert_allclose(r.mtf_at(F_CPP / PITCH_M), expected, atol=0.02)


def test_one_clipped_colour_channel_counts_as_saturated(tmp_path) -> None:
    """Red clipped at 255 on the bright side while the luminance stays below 255."""
    import tifffile

    g = _edge(1.0, 20.0, 300.0)
    rgb = np.stack([np.minimum(g, 255.0), 0.6 * g, 0.5 * g], axis=-1)
    tifffile.imwrite(tmp_path / "red.tif", np.rint(rgb).astype(np.uint8), photometric="rgb")
    img = read_image(tmp_path / "red.tif", pixel_pitch_m=PITCH_M)
    assert img.data.max() < 255.0
    assert img.saturated is not None and img.saturated.mean() > 0.3
    with pytest.raises(InputError, match=r"saturation level 255 \(in at least one colour "
                                         r"channel\)"):
        slanted_edge_mtf(img)
    r = slanted_edge_mtf(img, allow_saturation=True)
    assert any("in at least one colour channel" in w for w in r.warnings)
    grey = read_image(np.rint(g[..., None] * [0.8, 0.8, 0.8]).astype(np.uint8))
    assert grey.saturated is None


# ------------------------------------------------------------------ bit depth, saturation


def test_12_bit_edge_in_16_bit_container() -> None:
    unsat = np.rint(_edge(1.0, 200.0, 3500.0)).astype(np.uint16)
    r = slanted_edge_mtf(read_image(unsat, pixel_pitch_m=PITCH_M, bit_depth=12))
    assert r.warnings == ()
    assert r.mtf50_per_m * PITCH_M == pytest.approx(_true_mtf50(1.0), rel=0.02)
    clipped = np.minimum(np.rint(_edge(1.0, 200.0, 6000.0)), 4095).astype(np.uint16)
    # bit depth from the container (16): runs, but says the data look like saturated 12 bits
    r16 = slanted_edge_mtf(read_image(clipped, pixel_pitch_m=PITCH_M))
    assert any("= 2^12 − 1" in w and "--bit-depth 12" in w for w in r16.warnings)
    img12 = read_image(clipped, pixel_pitch_m=PITCH_M, bit_depth=12)
    assert img12.metadata["saturation_level"] == 4095.0
    with pytest.raises(InputError, match=r"saturated edge: .* % of the pixels are at or above "
                                         r"the saturation level 4095 .*--allow-saturation"):
        slanted_edge_mtf(img12)
    ok = slanted_edge_mtf(img12, allow_saturation=True)
    assert any(w.startswith("saturated edge:") for w in ok.warnings)
    assert "warnings" in ok.to_dict() and ok.to_dict()["warnings"] == list(ok.warnings)
    with pytest.raises(InputError, match=r"pixel values reach 4500, above 4095, the largest "
                                         r"value of 12-bit data"):
        read_image(np.full((20, 20), 4500, np.uint16), bit_depth=12)
    for bits in (8, 14):
        top = 2**bits - 1
        img = read_image(np.full((20, 20), top, np.uint16), bit_depth=bits)
        assert img.metadata["saturation_level"] == float(top)
    with pytest.raises(InputError, match="bit depth must be a whole number of bits 1–32"):
        read_image(unsat, bit_depth=0)


def test_saturated_rows_left_out_and_far_saturation_cut_from_the_esf() -> None:
    edge = np.rint(_edge(1.0, 200.0, 3000.0)).astype(np.uint16)
    hot = edge.copy()
    hot[40:60, 70:90] = 4095  # a saturated blob on the edge in 20 of the rows
    r = slanted_edge_mtf(read_image(hot, pixel_pitch_m=PITCH_M, bit_depth=12),
                         roi=(20, 180, 0, 160))
    assert any("20 of 160 ROI rows left out" in n for n in r.notes)
    assert r.warnings == ()
    np.testing.assert_allclose(r.mtf_at(F_CPP / PITCH_M),
                               analytic_edge_mtf(F_CPP, sigma_px=1.0, angle_deg=ANGLE),
                               atol=0.02)
    far = edge.copy()
    far[:, 140:] = 4095  # the open side saturates ≥ 50 px from the edge, in every row
    r2 = slanted_edge_mtf(read_image(far, pixel_pitch_m=PITCH_M, bit_depth=12),
                          roi=(20, 180, 0, 160))
    assert any("ESF shortened to ±" in n for n in r2.notes)
    np.testing.assert_allclose(r2.mtf_at(F_CPP / PITCH_M),
                               analytic_edge_mtf(F_CPP, sigma_px=1.0, angle_deg=ANGLE),
                               atol=0.02)


# ------------------------------------------------------------------ gamma, conversion


def test_conversion_function_linearises_a_gamma_encoded_edge() -> None:
    e = _edge(1.0, 0.05, 0.9)
    v = np.rint(255.0 * e ** (1 / 2.2)).astype(np.uint8)
    truth = _true_mtf50(1.0)
    raw = slanted_edge_mtf(v, pixel_pitch_m=PITCH_M)
    lin = slanted_edge_mtf(v, pixel_pitch_m=PITCH_M, conversion=_gamma_conversion())
    # gamma encoding steepens the dark half of the ESF and bends the MTF: 6 % low at MTF50
    assert raw.mtf50_per_m * PITCH_M < 0.96 * truth
    assert lin.mtf50_per_m * PITCH_M == pytest.approx(truth, rel=0.01)
    np.testing.assert_allclose(lin.mtf_at(F_CPP / PITCH_M),
                               analytic_edge_mtf(F_CPP, sigma_px=1.0, angle_deg=ANGLE),
                               atol=0.01)
    assert any("gamma-2.2 table" in n and "piecewise-linear" in n for n in lin.notes)


def test_saturated_gamma_encoded_8_bit_edge_with_and_without_allow_saturation() -> None:
    e = _edge(1.0, 0.05, 1.4)  # the open side is overexposed: clipped at 255
    v = np.rint(255.0 * np.minimum(e, 1.0) ** (1 / 2.2)).astype(np.uint8)
    conv = _gamma_conversion()
    with pytest.raises(InputError, match=r"saturated edge: .*level 255 .*allow_saturation"):
        slanted_edge_mtf(v, pixel_pitch_m=PITCH_M, conversion=conv)
    r = slanted_edge_mtf(v, pixel_pitch_m=PITCH_M, conversion=conv, allow_saturation=True)
    assert len(r.warnings) == 1 and "raises the MTF" in r.warnings[0]
    # the warning is borne out: the clipped transition looks sharper than the true edge
    assert r.mtf50_per_m * PITCH_M > 1.2 * _true_mtf50(1.0)


def test_same_clipped_edge_as_floats_is_warned_not_silent() -> None:
    # the issue: the 8-bit edge that touches 255 was refused while the same pixels as
    # floats were accepted without a word
    e = _edge(1.0, 0.05, 1.4)
    v = np.rint(255.0 * np.minimum(e, 1.0) ** (1 / 2.2)).astype(np.float64)
    r = slanted_edge_mtf(v, pixel_pitch_m=PITCH_M, conversion=_gamma_conversion())
    assert any("share the largest value 255" in w and "--bit-depth" in w for w in r.warnings)
    # with the bit depth the floats are judged like the integers: refused
    with pytest.raises(InputError, match="saturated edge"):
        slanted_edge_mtf(v, pixel_pitch_m=PITCH_M, conversion=_gamma_conversion(),
                         saturation_level=255.0)
    # an unclipped float edge gets no such warning
    clean = slanted_edge_mtf(_edge(1.0, 0.05, 0.9), pixel_pitch_m=PITCH_M)
    assert not any("largest value" in w for w in clean.warnings)


def test_low_clipping_warned() -> None:
    v = np.clip(np.rint(_edge(1.0, -20.0, 200.0)), 0, 255).astype(np.uint8)
    r = slanted_edge_mtf(v, pixel_pitch_m=PITCH_M)
    assert any("clipped at 0 (low clipping)" in w for w in r.warnings)


def test_conversion_range_error_in_mtf() -> None:
    v = np.rint(_edge(1.0, 20.0, 200.0)).astype(np.uint8)
    conv = ConversionFunction(np.array([30.0, 255.0]), np.array([0.0, 1.0]), source="t.csv")
    with pytest.raises(InputError, match=r"ROI rows .*: pixel values 20–200 reach outside the "
                                         r"conversion function t.csv, which covers 30–255"):
        slanted_edge_mtf(v, pixel_pitch_m=PITCH_M, conversion=conv)
