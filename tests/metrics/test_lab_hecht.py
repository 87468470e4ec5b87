"""Tests of the Hecht / Many mobility–lifetime analysis."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from perovx.errors import FitError, InputError
from perovx.metrics.lab import HechtAnalysis, hecht_current
from perovx.readout import sourcemeter as sm

# Hecht (1932): Q/Q0 = x(1 − e^(−1/x)), x = μτV/d². With μτ = 1e-3 cm²/V and d = 0.1 cm,
# x = 0.1·V; the values below were worked out by hand from tables of e^−y:
#   V = 5:   0.5·(1 − e^−2)    = 0.5 × 0.8646647 = 0.4323324
#   V = 10:  1·(1 − e^−1)      = 0.6321206
#   V = 20:  2·(1 − e^−0.5)    = 2 × 0.3934693 = 0.7869387
#   V = 40:  4·(1 − e^−0.25)   = 4 × 0.2211992 = 0.8847969
#   V = 100: 10·(1 − e^−0.1)   = 10 × 0.0951626 = 0.9516258
HAND = [(5, 0.4323324), (10, 0.6321206), (20, 0.7869387), (40, 0.8847969), (100, 0.9516258)]


def test_hecht_function_matches_hand_values() -> None:
    for v, q in HAND:
        assert hecht_current(v, i0=1.0, mu_tau_m2_per_V=1e-7, thickness_m=1e-3) == pytest.approx(
            q, abs=2e-7
        )


def test_hand_file_recovers_mu_tau(tmp_path: Path) -> None:
    p = tmp_path / "hecht.csv"
    p.write_text("Bias (V),Photocurrent (nA)\n" + "".join(f"{v},{q}\n" for v, q in HAND))
    r = HechtAnalysis.from_file(p, thickness_m=1e-3).analyze().results_data()
    d = r.to_dict()
    assert d["mu_tau_cm2_per_V"] == pytest.approx(1e-3, rel=1e-5)
    assert d["saturation_photocurrent_positive_bias_nA"] == pytest.approx(1.0, rel=1e-5)
    assert d["mu_tau_negative_bias_cm2_per_V"] is None
    assert any("no dark-current column" in n for n in r.notes)


def test_generator_both_polarities() -> None:
    m = sm.hecht_measurement(seed=31)
    r = (
        HechtAnalysis(
            m.column("Bias"),
            m.column("Current under X-rays"),
            dark_A=m.column("Dark current"),
            thickness_m=1e-3,
        )
        .analyze()
        .results_data()
    )
    for pol in ("positive", "negative"):
        got = getattr(r, f"mu_tau_{pol}_bias")
        truth = m.truth[f"mu_tau_{pol}_m2_per_V"]
        assert abs(got.value - truth) < max(3 * got.uncertainty, 0.03 * truth)


def test_many_model_recovers_surface_term() -> None:
    dev = replace(sm.DEMO_DEVICE, surface_recombination_ratio_V_per_m=2e3)
    m = sm.hecht_measurement(dev, relative_noise=0.002, seed=32)
    r = (
        HechtAnalysis(
            m.column("Bias"),
            m.column("Current under X-rays"),
            dark_A=m.column("Dark current"),
            thickness_m=1e-3,
        )
        .analyze(model="many", polarity="positive")
        .results_data()
    )
    assert r.mu_tau_positive_bias.value == pytest.approx(1e-7, rel=0.1)
    # s/μ = 2e3 V/m = 20 V/cm
    assert r.s_over_mu_positive_bias.field_value == pytest.approx(20.0, rel=0.25)
    assert r.mu_tau_negative_bias is None


def test_linear_curve_does_not_determine_mu_tau(tmp_path: Path) -> None:
    p = tmp_path / "lin.csv"
    p.write_text(
        "Bias (V),Photocurrent (nA)\n" + "".join(f"{v},{0.01 * v}\n" for v in (1, 2, 3, 4, 5, 6))
    )
    with pytest.raises(FitError, match=r"lin\.csv, positive bias: μτ is not determined"):
        HechtAnalysis.from_file(p, thickness_m=1e-3).analyze()


def test_unknown_model() -> None:
    with pytest.raises(InputError, match="unknown model 'mani'"):
        HechtAnalysis.from_demo().analyze(model="mani")
