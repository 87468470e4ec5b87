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
