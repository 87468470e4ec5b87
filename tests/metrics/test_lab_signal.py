"""Tests of the shared trace tools: reading noise, step detection, baseline, time axes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.metrics.lab._signal import (
    PENALTY_PER_LN_N,
    detect_steps,
    fit_baseline,
    reading_noise,
    rebuild_time,
)
from perovx.metrics.lab._synthetic import drifting_step_trace

# seven steps of 0.5–1.5 % of the dark current (the drifting photoconductor)
HEIGHTS = [0.005, 0.008, 0.006, 0.010, 0.012, 0.015, 0.007]


def _trace(seed: int, polarity: int, **kw):
    base = 1e-6
    pulses = [(30 + k * 40, 50 + k * 40, polarity * h * base) for k, h in enumerate(HEIGHTS)]
    opts = {"duration_s": 320.0, "dt_s": 0.25, "baseline_A": polarity * base,
            "drift_fraction": 0.03, "noise_A": 0.6e-9, "jitter": 0.3, "tau_s": 0.5}
    opts.update(kw)
    return pulses, drifting_step_trace(seed=seed, pulses=pulses, **opts)


def _found(pulses, periods) -> int:
    return sum(
        any(abs(a - p[0]) < 1.5 and abs(b - p[1]) < 1.5 for a, b in periods) for p in pulses
    )


@pytest.mark.parametrize("polarity", [1, -1])
@pytest.mark.parametrize("quantum_A", [0.0, 1e-9])
def test_every_step_is_found_on_a_drifting_baseline(polarity: int, quantum_A: float) -> None:
    # 3 % drift over the record, steps 0.5–1.5 %, σ 0.6 nA, 1 nA resolution, ±30 % jitter
    found = total = 0
    for seed in range(6):
        pulses, tr = _trace(seed, polarity, quantum_A=quantum_A)
        st = detect_steps(tr.time_s, tr.current_A)
        assert st.polarity == polarity
        found += _found(pulses, st.on_periods(tr.time_s))
        total += len(pulses)
    assert found == total


def test_decaying_pulses_stay_one_period_each() -> None:
    pulses, tr = _trace(3, 1, decay_fraction=0.4, decay_tau_s=5.0, drift_fraction=0.01)
    st = detect_steps(tr.time_s, tr.current_A)
    assert _found(pulses, st.on_periods(tr.time_s)) == len(pulses)
    assert len(st.on_periods(tr.time_s)) == len(pulses)


def test_a_flat_trace_has_no_step() -> None:
    t = np.arange(200) * 0.1
    y = 1e-9 + np.random.default_rng(0).normal(0, 1e-12, t.size)
    st = detect_steps(t, y)
    assert st.steps == ()
    assert st.on_periods(t) == []


def test_penalty_is_the_documented_constant() -> None:
    assert PENALTY_PER_LN_N == 3.0  # BIC: 2 parameters per change point, plus one


def test_reading_noise_and_resolution() -> None:
    rng = np.random.default_rng(1)
    y = np.round((1e-6 + rng.normal(0, 4e-9, 5000)) / 1e-8) * 1e-8
    rn = reading_noise(y)
    assert rn.resolution_A == pytest.approx(1e-8, rel=1e-6)
    # white noise 4 nA quantised in 10 nA: σ² ≈ 4² + 10²/12 (dithered)
    assert rn.sigma_A == pytest.approx(math.sqrt(16 + 100 / 12) * 1e-9, rel=0.1)
    assert "quantised in steps of 10 nA" in rn.note()
    assert reading_noise(1e-6 + rng.normal(0, 4e-9, 500)).note() is None


def test_baseline_covers_a_known_parabola() -> None:
    # a parabola through dark windows: the fitted baseline's 1σ band covers the truth
    # about 68 % of the time over many seeds
    t = np.linspace(0, 100, 1001)
    truth = 1e-6 * (1 + 0.02 * (t / 100) ** 2)
    wins = [(a, a + 10) for a in range(0, 100, 20)]
    hits = 0
    for seed in range(60):
        y = truth + np.random.default_rng(seed).normal(0, 1e-9, t.size)
        b = fit_baseline(t, y, wins)
        m, v = b.mean_over(t[(t >= 45) & (t < 55)])
        hits += abs(m - truth[(t >= 45) & (t < 55)].mean()) <= math.sqrt(v)
    assert 0.5 <= hits / 60 <= 0.9


def test_rebuild_time_from_the_index() -> None:
    t = np.arange(400) * 3.0 + 1000.0
    written = np.array([float(f"{x:.3g}") for x in t])
    rebuilt, note = rebuild_time(written, where="log.csv, column 'Time (s)'")
    assert note is not None and "repeated time values" in note and "log.csv" in note
    assert np.allclose(rebuilt, t, atol=5.0)
    assert np.all(np.diff(rebuilt) > 0)
    same, none = rebuild_time(t)
    assert (none is None and same is t) or np.array_equal(same, t)


def test_rebuild_time_refuses_times_that_go_back_or_uneven_repeats() -> None:
    with pytest.raises(InputError, match="is before"):
        rebuild_time(np.array([0.0, 1.0, 2.0, 1.5, 3.0]), where="f.csv")
    t = np.r_[np.zeros(5), np.arange(1, 50) * 10.0]
    with pytest.raises(InputError, match="not evenly spaced"):
        rebuild_time(t, where="f.csv")
