"""Tests of offset/gain calibration, correction and defect interpolation."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.readout.correction import calibrate, correct, interpolate_defects


def _panel_frames(seed: int = 0):
    rng = np.random.default_rng(seed)
    shape = (64, 64)
    offset = 1000 + 30 * rng.standard_normal(shape)
    gain = 1 + 0.05 * rng.standard_normal(shape)
    dead = np.zeros(shape, dtype=bool)
    dead[10, 10] = dead[30:33, 40:42] = True
    gain[dead] = 0.0
    return offset, gain, dead


def test_flat_field_correction_removes_offset_and_gain_patterns():
    offset, gain, dead = _panel_frames()
    flat_level = 5000.0
    dark = offset
    flat = offset + gain * flat_level
    cal = calibrate(dark, flat)
    assert cal.flat_level_dn == pytest.approx(flat_level, rel=0.01)
    np.testing.assert_array_equal(cal.defects, dead)
    # an object: a linear ramp of transmission
    truth = np.tile(np.linspace(0.2, 1.0, 64), (64, 1)) * 3000.0
    raw = offset + gain * truth
    out = correct(raw, cal)
    expected = truth * float(np.median(gain[~dead]))
    good = ~dead
    np.testing.assert_allclose(out[good], expected[good], rtol=1e-9)
    # dead pixels are replaced by the mean of their neighbours (exact for a linear ramp
    # along x when the neighbours are symmetric)
    assert out[10, 10] == pytest.approx(expected[10, 10], rel=1e-9)
    assert np.all(np.isfinite(out))


def test_hot_pixel_is_flagged_from_the_dark_frames():
    offset, gain, _ = _panel_frames(1)
    offset[5, 7] += 5000
    cal = calibrate(offset, offset + 1000 * gain)
    assert cal.defects[5, 7]


def test_stack_of_frames_is_averaged():
    offset, gain, _ = _panel_frames(2)
    darks = np.stack([offset + d for d in (-1.0, 0.0, 1.0)])
    flats = np.stack([offset + gain * 2000 + d for d in (-2.0, 2.0)])
    cal = calibrate(darks, flats)
    np.testing.assert_allclose(cal.offset_dn, offset)


def test_interpolation_fills_clusters_from_the_edges():
    img = np.arange(100.0).reshape(10, 10)
    bad = np.zeros((10, 10), dtype=bool)
    bad[3:7, 3:7] = True
    out = interpolate_defects(img, bad)
    assert np.all(np.isfinite(out))
    # a plane is reproduced exactly by neighbour means on its symmetric ring
    assert out[3, 3] == pytest.approx(img[3, 3], abs=6.0)


def test_saturated_panel_gives_an_invalid_calibration_when_not_strict():
    dark = np.full((8, 8), 65535.0)
    cal = calibrate(dark, dark.copy(), strict=False)
    assert not cal.valid
    np.testing.assert_array_equal(cal.gain, 1.0)
    with pytest.raises(InputError, match="no brighter than the dark frames"):
        calibrate(dark, dark.copy())


def test_errors():
    with pytest.raises(InputError, match="must be 2-D with the same shape"):
        calibrate(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(InputError, match="gain_limits must satisfy"):
        calibrate(np.zeros((4, 4)), np.ones((4, 4)), gain_limits=(1.2, 2.0))
    with pytest.raises(InputError, match="every pixel is flagged defective"):
        interpolate_defects(np.zeros((3, 3)), np.ones((3, 3), dtype=bool))
    cal = calibrate(np.zeros((4, 4)), np.ones((4, 4)))
    with pytest.raises(InputError, match="differ in shape"):
        correct(np.zeros((5, 5)), cal)


def test_calibration_is_the_same_on_one_or_two_threads(monkeypatch):
    offset, gain, _ = _panel_frames(3)
    rng = np.random.default_rng(4)
    dark = offset + rng.standard_normal(offset.shape)
    flat = offset + gain * 4000.0
    cals = []
    for threads in ("1", "2"):
        monkeypatch.setenv("PEROVX_THREADS", threads)
        cals.append(calibrate(dark.copy(), flat.copy()))
    a, b = cals
    assert a.flat_level_dn == b.flat_level_dn
    for name in ("offset_dn", "gain", "defects"):
        assert np.array_equal(getattr(a, name), getattr(b, name))


def test_exact_median_is_numpys_median_bit_for_bit():
    from perovx.readout.correction import exact_median

    rng = np.random.default_rng(11)
    cases = [
        rng.normal(1000.0, 30.0, (700, 701)),  # odd size
        rng.normal(1000.0, 30.0, (512, 512)),  # even size: the mean of the middle two
        np.round(rng.normal(200.0, 2.0, 300_001) * 16) / 16,  # dark means: heavy ties
        np.full(100_000, 3.25),
        rng.exponential(1.0, 200_000) * 1e12,
        np.concatenate([rng.normal(0, 1, 150_000), [np.inf, -np.inf]]),
        rng.normal(0, 1, 1000),  # small: numpy's own
        np.tile(np.arange(16.0), 8192),  # periodic with the sample's stride
    ]
    for x in cases:
        assert exact_median(x) == np.median(x)
    with_nan = rng.normal(0, 1, 200_000)
    with_nan[123_457] = np.nan
    assert np.isnan(exact_median(with_nan))
