"""Synthetic current traces with the faults of real detectors, for tests and the corpus.

A trace is a dark baseline that drifts (linear plus quadratic in time, as ion migration in
halide perovskites does), photocurrent steps with first-order edges, optionally a decay of
the photocurrent during each pulse and a persistent photocurrent after it, white noise,
readings quantised to the instrument's resolution, uneven sampling and a time column
rounded to a few significant figures. Everything is SI: seconds and amperes.

The truth of each step is its height at the end of the pulse (the level a plateau average
over the last part of the pulse recovers, less the drift), returned with the trace.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SyntheticTrace", "drifting_step_trace", "round_significant"]


@dataclass(frozen=True)
class SyntheticTrace:
    """A generated trace and the truth it was made from.

    Attributes
    ----------
    time_s, current_A
        The readings (time as it would be written to the file).
    true_time_s
        The exact sample times.
    pulses
        ``(t_on_s, t_off_s, height_A)`` of each pulse (height signed with the polarity).
    truth
        Generator parameters and derived truths (SI).
    """

    time_s: np.ndarray
    current_A: np.ndarray
    true_time_s: np.ndarray
    pulses: tuple[tuple[float, float, float], ...]
    truth: dict[str, float] = field(default_factory=dict)


def round_significant(x: np.ndarray, digits: int) -> np.ndarray:
    """``x`` rounded to ``digits`` significant figures, element by element."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    nz = x != 0
    mag = np.floor(np.log10(np.abs(x[nz])))
    scale = 10.0 ** (digits - 1 - mag)
    out[nz] = np.round(x[nz] * scale) / scale
    return out


def drifting_step_trace(
    *,
    seed: int,
    pulses: Sequence[tuple[float, float, float]],
    duration_s: float,
    dt_s: float = 0.5,
    baseline_A: float = 1e-6,
    drift_fraction: float = 0.02,
    drift_curvature: float = 0.3,
    noise_A: float = 1e-9,
    quantum_A: float = 0.0,
    jitter: float = 0.0,
    tau_s: float = 0.5,
    decay_fraction: float = 0.0,
    decay_tau_s: float = 5.0,
    persistent_fraction: float = 0.0,
    persistent_tau_s: float = 30.0,
    time_digits: int | None = None,
) -> SyntheticTrace:
    """A drifting dark baseline with photocurrent pulses.

    Parameters
    ----------
    seed
        Seed of the noise and sampling jitter.
    pulses
        ``(t_on_s, t_off_s, height_A)``; a negative height gives a negative-going step.
    duration_s
        Length of the record, s.
    dt_s
        Mean sample interval, s.
    baseline_A
        Dark current at t = 0, A (either sign).
    drift_fraction
        Change of the dark current over the record, as a fraction of ``|baseline_A|``.
    drift_curvature
        Share of the drift that is quadratic in time (0: straight line).
    noise_A
        Standard deviation of the white reading noise, A.
    quantum_A
        Resolution of the readings, A (0: not quantised).
    jitter
        Sample times vary uniformly by ±``jitter``·dt (0 ≤ jitter < 0.5).
    tau_s
        Time constant of the rise and fall of each step, s.
    decay_fraction
        Fraction of the initial photocurrent lost during a pulse (exponential with
        ``decay_tau_s``); the step height given is the initial one.
    persistent_fraction
        Fraction of the photocurrent that persists after beam off, decaying with
        ``persistent_tau_s`` (persistent photoconductivity).
    time_digits
        Write the time column with this many significant figures (a logger that repeats
        time values); ``None`` keeps full precision.
    """
    rng = np.random.default_rng(seed)
    n = round(duration_s / dt_s)
    t = np.arange(n) * dt_s
    if jitter:
        t = t + rng.uniform(-jitter, jitter, n) * dt_s
        t[0] = 0.0
    drift = baseline_A + abs(baseline_A) * drift_fraction * (
        (1 - drift_curvature) * t / duration_s + drift_curvature * (t / duration_s) ** 2
    )
    signal = np.zeros(n)
    final = []
    for t_on, t_off, h in pulses:
        on = (t >= t_on) & (t < t_off)
        after = t >= t_off
        rise = 1 - np.exp(-(t[on] - t_on) / tau_s)
        decay = 1 - decay_fraction * (1 - np.exp(-(t[on] - t_on) / decay_tau_s))
        signal[on] += h * rise * decay
        level_off = h * (1 - math.exp(-(t_off - t_on) / tau_s)) * (
            1 - decay_fraction * (1 - math.exp(-(t_off - t_on) / decay_tau_s))
        )
        ta = t[after] - t_off
        fast = (1 - persistent_fraction) * np.exp(-ta / tau_s)
        slow = persistent_fraction * np.exp(-ta / persistent_tau_s)
        signal[after] += level_off * (fast + slow)
        final.append((float(t_on), float(t_off), float(level_off)))
    i = drift + signal + rng.normal(0.0, noise_A, n)
    if quantum_A:
        i = np.round(i / quantum_A) * quantum_A
    written = t if time_digits is None else round_significant(t, time_digits)
    truth = {
        "baseline_A": baseline_A,
        "drift_fraction": drift_fraction,
        "noise_A": noise_A,
        "quantum_A": quantum_A,
        "dt_s": dt_s,
        "decay_fraction": decay_fraction,
        "persistent_fraction": persistent_fraction,
    }
    return SyntheticTrace(written, i, t, tuple(final), truth)
