"""Tests of the rise/fall time and lag analysis."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.metrics.lab import ResponseTime
from perovx.readout import sourcemeter as sm


def _hand_file(tmp_path: Path) -> Path:
    """Dark 1.0 nA; beam on at 0.50 s: a linear ramp to 2.0 nA by 0.60 s; beam off at
    1.50 s: a linear ramp down to 1.0 nA by 1.70 s; readings every 10 ms."""
    rows = ["Time (s),Current (nA),Dose rate (uGy/s)"]
    for k in range(300):
        t = k / 100
        if t < 0.5:
            i = 1.0
        elif t < 0.6:
            i = 1.0 + (t - 0.5) * 10
        elif t < 1.5:
            i = 2.0
        elif t < 1.7:
            i = 2.0 - (t - 1.5) * 5
        else:
            i = 1.0
        rows.append(f"{t:.2f},{i:.4f},{5 if 0.5 <= t < 1.5 else 0}")
    p = tmp_path / "edges.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


def test_hand_file_rise_and_fall(tmp_path: Path) -> None:
    r = ResponseTime.from_file(_hand_file(tmp_path)).analyze(lag_after_s=0.5).results_data()
    # 10 % / 90 % of the 1 nA step: 1.1 nA at 0.51 s and 1.9 nA at 0.59 s → 0.08 s;
    # down: 1.9 nA at 1.52 s and 1.1 nA at 1.68 s → 0.16 s
    assert r.rise_time.value == pytest.approx(0.08, abs=1e-9)
    assert r.fall_time.value == pytest.approx(0.16, abs=1e-9)
    assert r.lag.value == pytest.approx(0.0, abs=1e-12)
    # one pulse: the uncertainty is the sampling term, 0.01 s/√6
    assert r.rise_time.uncertainty == pytest.approx(0.01 / math.sqrt(6))


def test_generator_first_order_edges() -> None:
    dev = replace(sm.DEMO_DEVICE, lag_fraction=0.0)
    m = sm.response_measurement(dev, seed=61)
    r = ResponseTime(m.column("Time"), m.column("Current")).analyze().results_data()
    # first-order response: 10–90 % = τ ln 9 (τ = 30 ms rise, 50 ms fall)
    assert r.rise_time.value == pytest.approx(0.03 * math.log(9), abs=2 * r.rise_time.uncertainty)
    assert r.fall_time.value == pytest.approx(0.05 * math.log(9), abs=2 * r.fall_time.uncertainty)


def test_generator_lag() -> None:
    m = sm.response_measurement(seed=62)
    r = ResponseTime(m.column("Time"), m.column("Current")).analyze(lag_after_s=1.0)
    lag = r.results_data().lag
    # slow component 3 % with τ = 0.4 s: about 0.03 × e^(−2.5) ≈ 0.25 % left after 1 s
    assert lag.value == pytest.approx(m.truth["lag"], abs=0.001)


def test_lag_after_longer_than_dark_period(tmp_path: Path) -> None:
    r = ResponseTime.from_file(_hand_file(tmp_path)).analyze(lag_after_s=5.0).results_data()
    assert r.lag is None
    assert any("lag not measured" in n for n in r.notes)


def test_no_pulse(tmp_path: Path) -> None:
    p = tmp_path / "flat.csv"
    p.write_text(
        "Time (s),Current (nA)\n" + "".join(f"{k / 10},{1 + 0.001 * (k % 3)}\n" for k in range(100))
    )
    with pytest.raises(InputError, match=r"no beam pulse found.*--schedule"):
        ResponseTime.from_file(p)


# --- drifting and decaying traces ---------------------------------------------------------


def _pulses(seed: int, **kw):
    from perovx.metrics.lab._synthetic import drifting_step_trace

    h = kw.pop("height", 20e-9)
    pulses = [(20 + k * 40, 40 + k * 40, h) for k in range(5)]
    opts = {"duration_s": 215.0, "dt_s": 0.1, "baseline_A": 1e-6, "noise_A": 0.3e-9,
            "tau_s": 0.5}
    opts.update(kw)
    return drifting_step_trace(seed=seed, pulses=pulses, **opts)


def test_drifting_baseline_keeps_rise_time_and_warns() -> None:
    # first-order edges, τ = 0.5 s: 10–90 % = τ·ln 9; the baseline drifts 1.5 steps
    tr = _pulses(1, drift_fraction=0.03)
    r = ResponseTime(tr.time_s, tr.current_A).analyze().results_data()
    assert r.rise_time.value == pytest.approx(0.5 * np.log(9), rel=0.08)
    assert r.fall_time.value == pytest.approx(0.5 * np.log(9), rel=0.08)
    assert abs(r.lag.value) < 0.2  # e^{-2} of the step at 1 s, not a drift artefact
    assert any("drifts" in w for w in r.warnings)


def test_negative_pulses() -> None:
    tr = _pulses(2, baseline_A=-1e-6, height=-20e-9, drift_fraction=0.02)
    r = ResponseTime(tr.time_s, tr.current_A).analyze().results_data()
    assert r.rise_time.value == pytest.approx(0.5 * np.log(9), rel=0.08)
    assert any("negative" in n for n in r.notes)


def test_decaying_photocurrent_withholds_edges_and_reports_persistence() -> None:
    tr = _pulses(3, decay_fraction=0.4, decay_tau_s=5.0, persistent_fraction=0.3,
                 persistent_tau_s=20.0, drift_fraction=0.0)
    r = ResponseTime(tr.time_s, tr.current_A).analyze().results_data()
    assert r.rise_time is None and r.fall_time is None and r.lag is None
    assert r.decay_in_pulse.value > 0.1
    assert r.persistent_photocurrent is not None and r.persistent_photocurrent.value > 0.1
    w = " ".join(r.warnings)
    assert "decays by" in w and "persistent-photoconductivity ratio" in w
    d = r.to_dict()
    assert d["rise_time_s"] is None and d["warnings"]
    r.plot()  # a figure without edges


def test_schedule_of_times_only(tmp_path: Path) -> None:
    tr = _pulses(4, drift_fraction=0.0)
    p = tmp_path / "trace.csv"
    p.write_text("Time (s),Current (A)\n" + "".join(
        f"{a:.4f},{b:.6e}\n" for a, b in zip(tr.time_s, tr.current_A, strict=True)))
    s = tmp_path / "sched.csv"
    s.write_text("time_on (s),time_off (s)\n" + "".join(
        f"{20 + 40 * k},{40 + 40 * k}\n" for k in range(5)))
    r = ResponseTime.from_file(p, schedule_path=s).analyze().results_data()
    assert r.rise_time.value == pytest.approx(0.5 * np.log(9), rel=0.08)
