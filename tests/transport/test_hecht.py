"""Hecht charge collection: limits and analytic values (K. Hecht, Z. Phys. 77, 235, 1932)."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.transport import hecht_cce, hecht_cce_at_depth, hecht_cce_exponential


def test_large_mu_tau_collects_everything() -> None:
    # μτE ≫ d: λ = 1e-4 m²/V · 1e5 V/m = 10 m ≫ 1 mm
    assert hecht_cce(1e-4, 1e-3, 100) == pytest.approx(1.0, abs=1e-3)


def test_analytic_value_at_drift_length_equal_thickness() -> None:
    # λ = μτV/d = d gives CCE = 1 − 1/e
    d = 1e-3
    assert hecht_cce(d**2 / 50, d, 50) == pytest.approx(1 - np.exp(-1), rel=1e-12)


def test_two_carrier_uniform_field_sums_to_one_without_trapping() -> None:
    x = np.linspace(0, 1e-3, 11)
    cce = hecht_cce_at_depth(x, thickness_m=1e-3, bias_V=100, mu_tau_e_m2_per_V=1.0,
                             mu_tau_h_m2_per_V=1.0)
    np.testing.assert_allclose(cce, 1.0, atol=1e-5)


def test_polarity_swaps_carriers() -> None:
    x = np.array([0.2e-3])
    kw = dict(thickness_m=1e-3, bias_V=10, mu_tau_e_m2_per_V=1e-8, mu_tau_h_m2_per_V=None)
    neg = hecht_cce_at_depth(x, polarity="negative", **kw)[0]
    pos = hecht_cce_at_depth(x, polarity="positive", **kw)[0]
    lam = 1e-8 * 10 / 1e-3
    assert neg == pytest.approx(lam / 1e-3 * (1 - np.exp(-0.8e-3 / lam)))
    assert pos == pytest.approx(lam / 1e-3 * (1 - np.exp(-0.2e-3 / lam)))


@pytest.mark.parametrize("polarity", ["positive", "negative"])
def test_exponential_profile_matches_numerical_integral(polarity: str) -> None:
    d = 1e-3
    x = np.linspace(0, d, 200_001)
    for mu in (50.0, 1e3, 2e4, 1e3 / 1.0):
        kw = dict(thickness_m=d, bias_V=30, mu_tau_e_m2_per_V=3e-9, mu_tau_h_m2_per_V=8e-9,
                  polarity=polarity)
        weights = mu * np.exp(-mu * x)
        numeric = np.trapezoid(weights * hecht_cce_at_depth(x, **kw), x) / (1 - np.exp(-mu * d))
        analytic = hecht_cce_exponential(np.array([mu]), **kw)[0]
        assert analytic == pytest.approx(numeric, rel=1e-6)


def test_exponential_profile_at_resonance() -> None:
    # μ = 1/λ, where the general formula is 0/0
    d, bias, mt = 1e-3, 10.0, 1e-8
    lam = mt * bias / d
    value = hecht_cce_exponential(np.array([1 / lam]), thickness_m=d, bias_V=bias,
                                  mu_tau_e_m2_per_V=mt, mu_tau_h_m2_per_V=None)[0]
    nearby = hecht_cce_exponential(np.array([1 / lam * (1 + 1e-6)]), thickness_m=d, bias_V=bias,
                                   mu_tau_e_m2_per_V=mt, mu_tau_h_m2_per_V=None)[0]
    assert value == pytest.approx(nearby, rel=1e-5)


def test_errors() -> None:
    with pytest.raises(InputError, match="bias must be non-zero"):
        hecht_cce(1e-7, 1e-3, 0)
    with pytest.raises(InputError, match="mu-tau must be > 0"):
        hecht_cce(-1, 1e-3, 10)
    with pytest.raises(InputError, match="polarity must be"):
        hecht_cce_exponential(np.array([10.0]), thickness_m=1e-3, bias_V=1,
                              mu_tau_e_m2_per_V=1e-8, mu_tau_h_m2_per_V=None, polarity="up")  # type: ignore[arg-type]


# --- Stability of the depth-averaged (exponential-profile) Hecht CCE -----------------
# Analytic references, derived independently of the code: a carrier created at depth x
# and drifting a distance L with drift length λ induces (λ/d)(1 − e^(−L/λ)) (Hecht 1932,
# Shockley–Ramo with the planar weighting field 1/d). Averaged over *uniform* generation
# (μ → 0), for either carrier: η(λ) = (λ/d)[1 − (λ/d)(1 − e^(−d/λ))]; the exponential-
# absorption generalisation is the form of M. Z. Kabir and S. O. Kasap, Appl. Phys. Lett.
# 80, 1664 (2002). Limits: λ ≪ d → η ≈ λ/d = μτV/d²; λ ≫ d → η → 1/2 per carrier, so the
# two carriers together collect everything, 1 − (d/λ_e + d/λ_h)/6 to first order.


def _uniform_one_carrier(lam_over_d: np.ndarray) -> np.ndarray:
    r = np.asarray(lam_over_d, dtype=float)
    return r * (1 - r * -np.expm1(-1 / r))


@pytest.mark.parametrize("lam_over_d", [1e-9, 1e-6, 1e-3, 0.1, 1.0, 10.0])
@pytest.mark.parametrize("polarity", ["positive", "negative"])
def test_uniform_generation_matches_the_analytic_integral(lam_over_d: float, polarity: str) -> None:
    d, bias = 1e-3, 100.0
    mt = lam_over_d * d * d / bias  # λ = μτV/d
    got = hecht_cce_exponential(np.array([1e-6]), thickness_m=d, bias_V=bias,  # μd = 1e-9
                                mu_tau_e_m2_per_V=mt, mu_tau_h_m2_per_V=None, polarity=polarity)
    assert got[0] == pytest.approx(_uniform_one_carrier(lam_over_d), rel=1e-7)


def test_small_mu_tau_limit_is_mu_tau_v_over_d_squared() -> None:
    d, bias, mt_e, mt_h = 1e-3, 10.0, 1e-14, 3e-14  # λ/d = 1e-7 and 3e-7
    got = hecht_cce_exponential(np.array([1e-6]), thickness_m=d, bias_V=bias,
                                mu_tau_e_m2_per_V=mt_e, mu_tau_h_m2_per_V=mt_h)[0]
    assert got == pytest.approx((mt_e + mt_h) * bias / d**2, rel=1e-6)


@pytest.mark.parametrize("thickness", [1e-9, 1e-8, 1e-6])  # the old form gave 197 and 1.353
def test_large_drift_length_limit_is_one_for_thin_layers(thickness: float) -> None:
    mu = np.array([1e2, 1e4, 1e6, 1e8])
    got = hecht_cce_exponential(mu, thickness_m=thickness, bias_V=100.0,
                                mu_tau_e_m2_per_V=1e-7, mu_tau_h_m2_per_V=1e-7)
    d_over_lam = thickness**2 / (1e-7 * 100.0)
    # 1 − d/(6λ)·2 for uniform generation; any profile stays within [1 − d/λ, 1]
    assert np.all(got <= 1.0) and np.all(got >= 1 - d_over_lam)


def test_single_carrier_large_drift_length_is_the_mean_distance() -> None:
    # λ → ∞: the carrier drifting towards the irradiated side collects x/d on average,
    # <x>/d = 1/(μd) − 1/(e^(μd) − 1) for the truncated exponential profile
    for a in (1e-6, 0.3, 3.0, 300.0):
        got = hecht_cce_exponential(np.array([a / 1e-3]), thickness_m=1e-3, bias_V=1e300,
                                    mu_tau_e_m2_per_V=1e-2, mu_tau_h_m2_per_V=None,
                                    polarity="positive")[0]
        assert got == pytest.approx(1 / a - 1 / np.expm1(a), rel=1e-9)


def test_cce_stays_in_unit_interval_for_every_input() -> None:
    import warnings

    mu = np.array([0.0, 1e-3, 1.0, 1e3, 1e5, 1e8])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings either
        for d in (1e-12, 1e-9, 1e-7, 1e-3, 0.1):
            for bias in (-1e300, -1.0, 1e-12, 1e-3, 1e2, 1e300):
                for mt in (1e-20, 1e-12, 1e-7, 1e-2):
                    for pol in ("positive", "negative"):
                        got = hecht_cce_exponential(mu, thickness_m=d, bias_V=bias,
                                                    mu_tau_e_m2_per_V=mt, mu_tau_h_m2_per_V=mt,
                                                    polarity=pol)  # type: ignore[arg-type]
                        assert np.all(np.isfinite(got) & (got >= 0) & (got <= 1)), (d, bias, mt)


def test_unclipped_terms_stay_in_range_and_continuous_at_the_series_switch() -> None:
    from perovx.transport.hecht import _SERIES_BELOW, _far_fraction, _near_fraction

    a = np.array([1e-9, 0.5, 3.0, 1e3])
    for b in (1e-300, 1e-9, 0.1, 1.0, 1e3, 1e12):
        near, far = _near_fraction(a, b), _far_fraction(a, b)
        assert np.all(near >= 0) and np.all(far >= 0) and np.all(near + far <= 1 + 1e-12)
    for frac in (_near_fraction, _far_fraction):
        for edge in (_SERIES_BELOW, _SERIES_BELOW * 1e3):  # the far and near switch points
            below, above = frac(a, edge * (1 - 1e-9)), frac(a, edge * (1 + 1e-9))
            np.testing.assert_allclose(below, above, rtol=1e-8)


def test_collected_at_depth_is_stable_for_huge_drift_lengths() -> None:
    x = np.linspace(0, 1e-8, 5)
    got = hecht_cce_at_depth(x, thickness_m=1e-8, bias_V=1e300, mu_tau_e_m2_per_V=1e-2,
                             mu_tau_h_m2_per_V=1e-2)
    np.testing.assert_allclose(got, 1.0, rtol=1e-12)
