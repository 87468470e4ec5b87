"""Bar-pattern CTF against Coltman's square-wave series.

Reference: J. W. Coltman, J. Opt. Soc. Am. 44, 468 (1954): the peak-to-trough modulation
of an endless 50 % duty square wave imaged by a system of transfer function MTF is
CTF(f) = 4/π · Σ_{k odd} (−1)^((k−1)/2) MTF(k f) / k. The bars are rendered by exact
pixel-aperture integrals of blurred step edges (perovx.metrics._synthetic), independently
of that series; MTF(f) = exp(−2π²σ²f²)·sinc(f) for a Gaussian blur σ and square pixels,
and bars and gaps centred on pixel centres (even periods) so the extremes are sampled.
"""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.metrics._synthetic import render_bar_pattern
from perovx.metrics.linepairs import LinePairGroup, line_pair_ctf

PITCH_M = 100e-6
SIGMA_PX = 0.8
PERIODS_PX = (20, 12, 8, 6, 4)  # 0.5, 0.83, 1.25, 1.67, 2.5 lp/mm
OPEN, BAR = 1000.0, 100.0


def coltman_ctf(f_cpp: float, sigma_px: float, terms: int = 2001) -> float:
    k = np.arange(1, terms, 2)
    mtf = np.exp(-2 * np.pi**2 * sigma_px**2 * (k * f_cpp) ** 2) * np.sinc(k * f_cpp)
    return float(4 / np.pi * np.sum((-1.0) ** ((k - 1) // 2) * mtf / k))


def phantom(sigma_px: float = SIGMA_PX):
    """Five groups of 12 bars stacked in bands of 30 rows, then open and bar areas."""
    width, band = 400, 30
    rows = []
    groups = []
    for i, period in enumerate(PERIODS_PX):
        centre = 40  # a bar centred on pixel 40: it starts at 40 − P/4
        start = centre - period / 4
        rows.append(render_bar_pattern((band, width), period_px=period, n_bars=12,
                                       start_px=start, sigma_px=sigma_px,
                                       open_level=OPEN, bar_level=BAR))
        # the ROI holds bars 2 … 9 and their gaps only
        c0 = round(start + 2 * period - 0.5 * period / 2)
        c1 = c0 + 7 * period
        groups.append(LinePairGroup(1.0 / (period * PITCH_M), (band * i, band * (i + 1), c0,
                                                               c1)))
    rows.append(np.full((20, width), OPEN))
    rows.append(np.full((20, width), BAR))
    n = band * len(PERIODS_PX)
    return np.vstack(rows), groups, (n, n + 20, 0, width), (n + 20, n + 40, 0, width)


def test_ctf_matches_coltman_series() -> None:
    img, groups, open_roi, bar_roi = phantom()
    result = line_pair_ctf(img, groups, pixel_pitch_m=PITCH_M, open_roi=open_roi,
                           bar_roi=bar_roi)
    assert result.reference == "open/bar regions"
    for f, ctf in zip(result.frequency_per_m, result.ctf_relative, strict=True):
        assert ctf == pytest.approx(coltman_ctf(f * PITCH_M, SIGMA_PX), abs=0.01)
    assert result.ctf[0] == pytest.approx((OPEN - BAR) / (OPEN + BAR), abs=0.01)


def test_highest_resolved_group() -> None:
    sigma = 1.6  # CTF(2.5 lp/mm) ≈ 0.05, CTF(1.67 lp/mm) ≈ 0.30 (Coltman)
    img, groups, open_roi, bar_roi = phantom(sigma)
    result = line_pair_ctf(img, groups, pixel_pitch_m=PITCH_M, open_roi=open_roi,
                           bar_roi=bar_roi)
    expected = [coltman_ctf(f * PITCH_M, sigma) >= 0.1 for f in result.frequency_per_m]
    assert list(result.resolved) == expected
    assert result.highest_resolved_per_m == pytest.approx(1.0 / (6 * PITCH_M))
    d = result.to_dict()
    assert d["highest_resolved_group"] == 4
    assert d["highest_resolved_lp_per_mm"] == pytest.approx(1 / 0.6)


def test_relative_to_lowest_group_without_reference(tmp_path) -> None:
    img, groups, _, _ = phantom()
    result = line_pair_ctf(img, [(g.frequency_per_m, g.roi) for g in groups[::-1]],
                           pixel_pitch_m=PITCH_M)
    assert result.reference == "lowest-frequency group"
    assert result.ctf_relative[0] == pytest.approx(1.0)
    assert np.all(np.diff(result.frequency_per_m) > 0)
    result.plot().savefig(tmp_path / "ctf.png")


def test_bad_input() -> None:
    img, groups, open_roi, _ = phantom()
    with pytest.raises(InputError, match="no bar groups"):
        line_pair_ctf(img, [], pixel_pitch_m=PITCH_M)
    with pytest.raises(InputError, match="less than one period"):
        line_pair_ctf(img, [(100.0, (0, 30, 0, 50))], pixel_pitch_m=PITCH_M)
    with pytest.raises(InputError, match="give both open_roi and bar_roi"):
        line_pair_ctf(img, groups, pixel_pitch_m=PITCH_M, open_roi=open_roi)
    with pytest.raises(InputError, match="lies outside"):
        line_pair_ctf(img, [(1000.0, (0, 30, 0, 5000))], pixel_pitch_m=PITCH_M)
    with pytest.raises(InputError, match="threshold"):
        line_pair_ctf(img, groups, pixel_pitch_m=PITCH_M, threshold=1.5)


def test_conversion_function_linearises_gamma_encoded_bars() -> None:
    """Bars stored as v = 4095·(E/E_max)^(1/2.2) and read back through the exact inverse
    table give the linear CTF again (Coltman's series); without it the CTF is distorted."""
    from perovx.metrics.conversion import ConversionFunction

    img, groups, open_roi, bar_roi = phantom()
    encoded = 4095.0 * (img / 1200.0) ** (1 / 2.2)
    table_v = np.linspace(0.0, 4095.0, 4096)
    conv = ConversionFunction(table_v, 1200.0 * (table_v / 4095.0) ** 2.2,
                              interpolation="pchip", source="gamma table")
    lin = line_pair_ctf(encoded, groups, pixel_pitch_m=PITCH_M, open_roi=open_roi,
                        bar_roi=bar_roi, conversion=conv)
    raw = line_pair_ctf(encoded, groups, pixel_pitch_m=PITCH_M, open_roi=open_roi,
                        bar_roi=bar_roi)
    expected = [coltman_ctf(f * PITCH_M, SIGMA_PX) for f in lin.frequency_per_m]
    np.testing.assert_allclose(lin.ctf_relative, expected, atol=0.01)
    assert np.max(np.abs(raw.ctf_relative - np.asarray(expected))) > 0.03
    assert any("gamma table" in n for n in lin.notes)
