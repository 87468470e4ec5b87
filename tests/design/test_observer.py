"""Tests of the model observers (perovx.design.observer)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from perovx.design.observer import Task, detectability, eye_filter
from perovx.errors import InputError


@dataclass
class _White:
    """A detector with MTF T(ρ) = exp(−(ρ/ρ0)²) and white NNPS 1/q (q photons per m²)."""

    q: float
    pitch: float
    rho0: float = math.inf
    post_filter: float = math.inf  # Gaussian smoothing applied after the noise

    @property
    def design(self) -> Any:
        return type("D", (), {"pitch_m": self.pitch})()

    def _h(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.exp(-(np.hypot(u, v) / self.post_filter) ** 2)

    def mtf_2d(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.exp(-(np.hypot(u, v) / self.rho0) ** 2) * self._h(u, v)

    def nnps_2d(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.ones(np.broadcast_shapes(u.shape, v.shape)) / self.q * self._h(u, v) ** 2


def test_rose_model_for_an_ideal_detector():
    """White noise, MTF 1, band much wider than the disc spectrum: d′ = C √(q A)
    for both the ideal and the NPW observer (Rose; ICRU Report 54, app. A)."""
    task = Task(1e-3, 0.02)
    det = _White(q=1e10, pitch=25e-6)  # 10⁴ photons/mm², 20 lp/mm Nyquist
    expected = 0.02 * math.sqrt(1e10 * math.pi * (0.5e-3) ** 2)
    assert detectability(det, task, observer="ideal") == pytest.approx(expected, rel=0.02)
    assert detectability(det, task, observer="npw") == pytest.approx(expected, rel=0.02)


def test_ideal_observer_is_never_beaten_and_ignores_post_filtering():
    task = Task(0.5e-3, 0.02)
    det = _White(q=3e10, pitch=100e-6, rho0=3e3)
    smoothed = _White(q=3e10, pitch=100e-6, rho0=3e3, post_filter=1.5e3)
    ideal = detectability(det, task, observer="ideal")
    for obs in ("npw", "npwe"):
        assert detectability(det, task, observer=obs) <= ideal * (1 + 1e-9)
    # smoothing after detection raises the per-pixel SNR but not the ideal observer's d′
    assert detectability(smoothed, task, observer="ideal") == pytest.approx(ideal, rel=1e-9)
    u = np.linspace(-5e3, 5e3, 101)
    uu, vv = np.meshgrid(u, u)
    assert smoothed.nnps_2d(uu, vv).sum() < 0.5 * det.nnps_2d(uu, vv).sum()


def test_detector_blur_lowers_every_observer():
    task = Task(0.5e-3, 0.02)
    sharp = _White(q=3e10, pitch=100e-6, rho0=5e3)
    blurred = _White(q=3e10, pitch=100e-6, rho0=1.5e3)  # blur before the noise
    for obs in ("ideal", "npw", "npwe"):
        assert detectability(blurred, task, observer=obs) < detectability(sharp, task,
                                                                          observer=obs)


def test_eye_filter_peaks_at_four_cycles_per_degree():
    # 4 cycles/degree at 0.5 m: 4 / (500 mm · π/180) ≈ 0.458 cycles/mm
    peak = 4.0 / (0.5 * math.pi / 180.0)
    rho = np.linspace(1.0, 3 * peak, 2001)
    assert rho[np.argmax(eye_filter(rho))] == pytest.approx(peak, rel=2e-3)
    assert float(eye_filter(np.array([peak]))[0]) == pytest.approx(1.0)


def test_task_errors():
    with pytest.raises(InputError, match="diameter must be > 0 m"):
        Task(0.0, 0.01)
    with pytest.raises(InputError, match=r"contrast must be in \(0, 1\]"):
        Task(1e-3, 2.0)
    with pytest.raises(InputError, match="observer must be one of"):
        detectability(_White(1e10, 1e-4), Task(1e-3, 0.1), observer="human")
