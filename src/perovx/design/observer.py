"""Model observers: the detectability index d′ of a detection task from MTF and NPS.

For a task whose signal (the difference between the two hypotheses, as a fraction of the
background) has Fourier transform ΔS(u, v) (m²), a detector of presampling MTF T(u, v)
and normalised NPS W(u, v) (NNPS, m²) gives (ICRU Report 54, 1996, sec. 2 and app. A)

* the ideal (prewhitening) observer:  d′² = ∫∫ |ΔS|² T² / W du dv;
* the non-prewhitening matched filter (NPW):
  d′² = [∫∫ |ΔS|² T² du dv]² / ∫∫ |ΔS|² T² W du dv;
* the non-prewhitening observer with an eye filter E (NPWE):
  d′² = [∫∫ |ΔS|² T² E² du dv]² / ∫∫ |ΔS|² T² E⁴ W du dv.

The integrals run over the band of the sampled image (|u|, |v| ≤ Nyquist), where the
NPS is the aliased digital NPS. Since W ∝ 1/(q·DQE) and T enters both numerator and
denominator, blur never raises d′: a detector that smooths its noise away loses the
task's high frequencies with it.

The eye filter is E(ρ) = ρⁿ exp(−cρ²) in cycles per degree of visual angle, with
n = 1.3 and its peak at 4 cycles per degree, the form used with the NPWE observer since
Burgess (J. Opt. Soc. Am. A 11, 1237 (1994)); the image is taken as viewed at 0.5 m
at unit magnification. These are stated assumptions of the observer, not of the detector.

A disc of diameter D and contrast C has ΔS(ρ) = C·πD²/4 · 2J₁(πDρ)/(πDρ).

References
----------
ICRU Report 54, "Medical Imaging — The Assessment of Image Quality", International
Commission on Radiation Units and Measurements, Bethesda 1996.
A. E. Burgess, "Statistically defined backgrounds: performance of a modified
nonprewhitening observer model", J. Opt. Soc. Am. A 11, 1237 (1994).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from perovx.errors import InputError

if TYPE_CHECKING:
    from perovx.design.csa import CSAResult

__all__ = ["DEFAULT_TASKS", "OBSERVERS", "Task", "detectability", "eye_filter"]

OBSERVERS = ("ideal", "npw", "npwe")
#: Eye-filter exponent and peak frequency (cycles per degree), viewing distance (m).
EYE_EXPONENT = 1.3
EYE_PEAK_CYCLES_PER_DEGREE = 4.0
VIEWING_DISTANCE_M = 0.5
#: Frequency samples per axis of the integration grid: at least _GRID_MIN, and at least
#: _PER_LOBE per width 1/D of the disc spectrum, at most _GRID_MAX.
_GRID_MIN = 96
_PER_LOBE = 4
_GRID_MAX = 400


@dataclass(frozen=True)
class Task:
    """Detection of a disc: diameter (m) and contrast (fraction of the background)."""

    diameter_m: float
    contrast: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.diameter_m) and self.diameter_m > 0):
            raise InputError(f"task disc diameter must be > 0 m, got {self.diameter_m!r}")
        if not (math.isfinite(self.contrast) and 0 < self.contrast <= 1):
            raise InputError(f"task contrast must be in (0, 1], got {self.contrast!r}")

    @property
    def label(self) -> str:
        """E.g. ``0.5 mm disc, 2 %``."""
        return f"{self.diameter_m * 1e3:g} mm disc, {self.contrast * 100:g} %"

    def transform(self, rho_per_m: np.ndarray) -> np.ndarray:
        """ΔS(ρ), m² (contrast × Fourier transform of the disc)."""
        from scipy.special import j1

        d = self.diameter_m
        x = np.pi * d * np.asarray(rho_per_m, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            airy = np.where(x > 1e-9, 2.0 * j1(x) / np.where(x > 1e-9, x, 1.0), 1.0)
        return self.contrast * np.pi * d * d / 4.0 * airy


#: Tasks of the comparison table: a small, low-contrast detail and a larger one.
DEFAULT_TASKS = (Task(0.5e-3, 0.02), Task(2e-3, 0.01))


def eye_filter(rho_per_m: np.ndarray, *, viewing_distance_m: float = VIEWING_DISTANCE_M
               ) -> np.ndarray:
    """Eye filter E(ρ) = ρⁿ exp(−cρ²), ρ in cycles per degree, peak 1 at 4 c/deg."""
    rho_deg = np.asarray(rho_per_m, dtype=float) * viewing_distance_m * math.pi / 180.0
    n = EYE_EXPONENT
    c = n / (2.0 * EYE_PEAK_CYCLES_PER_DEGREE**2)
    peak = EYE_PEAK_CYCLES_PER_DEGREE**n * math.exp(-c * EYE_PEAK_CYCLES_PER_DEGREE**2)
    return rho_deg**n * np.exp(-c * rho_deg**2) / peak


def detectability(result: CSAResult | Any, task: Task, *, observer: str = "npw",
                  viewing_distance_m: float = VIEWING_DISTANCE_M) -> float:
    """Detectability index d′ of ``task`` for the detector of ``result``.

    Parameters
    ----------
    result
        A :class:`~perovx.design.csa.CSAResult` (anything with ``design.pitch_m``,
        ``mtf_2d(u, v)`` and ``nnps_2d(u, v)`` in SI units).
    task
        The disc to detect.
    observer
        ``"ideal"`` (prewhitening), ``"npw"`` or ``"npwe"`` (with the eye filter).
    viewing_distance_m
        Viewing distance of the NPWE eye filter, m.

    Returns
    -------
    float
        d′ (dimensionless).
    """
    if observer not in OBSERVERS:
        raise InputError(f"observer must be one of {', '.join(OBSERVERS)}; got {observer!r}")
    nyq = 0.5 / result.design.pitch_m
    n = int(min(_GRID_MAX, max(_GRID_MIN, math.ceil(2 * nyq * task.diameter_m * _PER_LOBE))))
    # cell-centred grid over the band (avoids the singular zero of the eye filter)
    axis = (np.arange(n) + 0.5) / n * 2 * nyq - nyq
    u, v = np.meshgrid(axis, axis)
    du = (axis[1] - axis[0]) ** 2
    rho = np.hypot(u, v)
    s2 = task.transform(rho) ** 2 * result.mtf_2d(u, v) ** 2
    w = result.nnps_2d(u, v)
    if observer == "ideal":
        return float(math.sqrt(np.sum(s2 / w) * du))
    if observer == "npw":
        num = np.sum(s2) * du
        den = np.sum(s2 * w) * du
    else:
        e2 = eye_filter(rho, viewing_distance_m=viewing_distance_m) ** 2
        num = np.sum(s2 * e2) * du
        den = np.sum(s2 * e2 * e2 * w) * du
    return float(num / math.sqrt(den)) if den > 0 else 0.0
