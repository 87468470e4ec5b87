"""Tests of the dark-current drift analysis."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from perovx.errors import InputError
from perovx.metrics.lab import DarkDrift
from perovx.readout import sourcemeter as sm

# 10 readings every 10 s: 10 pA + 0.02 pA/s, readings typed with a ±0.01 pA ripple
T_S = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]
I_PA = [10.01, 10.19, 10.41, 10.59, 10.81, 10.99, 11.21, 11.39, 11.61, 11.79]


def test_hand_file_drift(tmp_path: Path) -> None:
    p = tmp_path / "drift.csv"
    p.write_text(
        "Time/s,Dark current/pA\n" + "".join(f"{t},{i}\n" for t, i in zip(T_S, I_PA, strict=True))
    )
    r = DarkDrift.from_file(p, area_m2=4e-6, thickness_m=1e-3, bias_V=100.0).analyze()
    d = r.results_data().to_dict()
    tm, im = sum(T_S) / 10, sum(I_PA) / 10
    slope = sum((t - tm) * (i - im) for t, i in zip(T_S, I_PA, strict=True)) / sum(
        (t - tm) ** 2 for t in T_S
    )  # pA/s
    assert d["drift_rate_pA_per_s"] == pytest.approx(slope, rel=1e-9)
    # normalised: (dI/dt)/(A·E) with A = 0.04 cm², E = 100 V / 0.1 cm = 1000 V/cm
    assert d["normalised_drift_nA_per_cm_s_V"] == pytest.approx(slope * 1e-3 / (0.04 * 1000))
    assert d["field_V_per_cm"] == pytest.approx(1000.0)


def test_generator_truth_with_settling_skipped() -> None:
    dev = replace(sm.DEMO_DEVICE, settle_fraction=0.05)
    m = sm.drift_measurement(dev, seed=51)
    r = (
        DarkDrift(
            m.column("Time"), m.column("Dark current"), area_m2=4e-6, thickness_m=1e-3, bias_V=100.0
        )
        .analyze(skip_s=300.0)
        .results_data()
    )
    truth = m.truth["normalised_drift_A_per_m_s_V"]
    assert abs(r.normalised_drift.value - truth) < 3 * r.normalised_drift.uncertainty
    # without skipping, the settling transient biases the slope
    biased = (
        DarkDrift(
            m.column("Time"), m.column("Dark current"), area_m2=4e-6, thickness_m=1e-3, bias_V=100.0
        )
        .analyze()
        .results_data()
    )
    assert biased.drift_rate.value < r.drift_rate.value


def test_needs_bias_and_enough_readings() -> None:
    with pytest.raises(InputError, match="non-zero bias"):
        DarkDrift(list(range(20)), [1.0] * 20, area_m2=1e-6, thickness_m=1e-3, bias_V=0.0)
    a = DarkDrift(
        list(range(20)),
        [1.0 + 0.1 * k for k in range(20)],
        area_m2=1e-6,
        thickness_m=1e-3,
        bias_V=10.0,
    )
    with pytest.raises(InputError, match=r"5 readings after skipping 15 s"):
        a.analyze(skip_s=15.0)
