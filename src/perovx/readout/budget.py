"""The flat-field noise budget of the cascaded linear-systems model (:class:`NoiseBudget`).

:func:`flat_field_noise_budget` gives the variance of a flat-field pixel predicted for the
parameters that :mod:`perovx.readout.frame` draws its reads from; its names are
importable from there too.

References
----------
I. A. Cunningham, "Applied linear-systems theory", in Handbook of Medical Imaging vol. 1,
SPIE Press 2000, ch. 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from perovx.errors import InputError
from perovx.readout.panel import Panel
from perovx.transport.charge import SpreadFunction

__all__ = ["NoiseBudget", "flat_field_noise_budget"]


@dataclass(frozen=True)
class NoiseBudget:
    """Predicted mean and variance of a flat-field pixel (cascaded linear-systems model).

    All in electrons (variances electrons²) at the pixel, before the ADC gain.

    Attributes
    ----------
    mean_signal_e, mean_dark_e
        Mean signal and dark charge.
    quantum_e2
        Poisson noise of the depositing photons with the mean gain.
    swank_e2
        Excess from the spread of the charge per photon (absorbed energy, depth,
        Fano): quantum × (1/I − 1).
    dark_shot_e2, electronic_e2, quantisation_e2
        Dark-current shot noise, electronic noise, ADC quantisation (1/12 DN²).
    """

    mean_signal_e: float
    mean_dark_e: float
    quantum_e2: float
    swank_e2: float
    dark_shot_e2: float
    electronic_e2: float
    quantisation_e2: float

    @property
    def total_e2(self) -> float:
        """Total variance, electrons²."""
        return (self.quantum_e2 + self.swank_e2 + self.dark_shot_e2 + self.electronic_e2
                + self.quantisation_e2)

    def to_dict(self) -> dict[str, float]:
        """JSON-ready dictionary (electrons, electrons²)."""
        return {
            "mean_signal_e": self.mean_signal_e,
            "mean_dark_e": self.mean_dark_e,
            "quantum_e2": self.quantum_e2,
            "swank_e2": self.swank_e2,
            "dark_shot_e2": self.dark_shot_e2,
            "electronic_e2": self.electronic_e2,
            "quantisation_e2": self.quantisation_e2,
            "total_e2": self.total_e2,
        }


def flat_field_noise_budget(
    photons_per_cell: Sequence[float],
    spreads: Sequence[SpreadFunction],
    panel: Panel,
    *,
    dark_e: float = 0.0,
    lag: str = "first",
) -> NoiseBudget:
    """Mean and variance of a flat-field pixel predicted by the cascaded model.

    For group g with q_g photons per cell, depositing fraction M0, mean charge m and
    second moment ⟨Q²⟩ per depositing photon, and presampling MTF T_g(u, v) (spread
    function including the pixel aperture, normalised to 1 at zero frequency),

        σ²_quantum = Σ_g q_g M0 m² · A_cell ∫∫ |T_g|² du dv,
        σ²_Swank   = Σ_g q_g M0 (⟨Q²⟩ − m²) · A_cell ∫∫ |T_g|² du dv

    (Cunningham 2000, eqs. for a Poisson process through a random gain and a
    deterministic blur, sampled by the pixel; the integral is taken over the cell
    grid's Nyquist band), plus the dark shot noise (= dark charge), the electronic noise
    and the quantisation noise (1/12 DN²). Lag with trapped fraction f scales the X-ray
    variance by (1 − f)² for the first read after rest (``lag="first"``) or by
    (1 − f)² + f²(1 − a)/(1 + a) in a steady sequence (``lag="steady"``).

    Parameters
    ----------
    photons_per_cell
        Incident photons per cell in each group.
    spreads
        Spread functions, one per group.
    panel
        Readout (electronic noise, ADC, lag).
    dark_e
        Mean dark charge per read, electrons.
    lag
        ``"first"`` or ``"steady"``.
    """
    import scipy.fft as sfft

    if len(photons_per_cell) != len(spreads):
        raise InputError("give one photon count per energy group")
    if lag not in ("first", "steady"):
        raise InputError(f"lag must be 'first' or 'steady', got {lag!r}")
    mean = 0.0
    quantum = 0.0
    swank = 0.0
    for q, s in zip(photons_per_cell, spreads, strict=True):
        if s.depositing_fraction <= 0 or s.mean_electrons <= 0 or q <= 0:
            continue
        rate = q * s.depositing_fraction
        mean += rate * s.mean_electrons * s.oversample**2
        # presampling MTF on the cell grid; ∫|T|² over the band = Σ|DFT|²/N (Parseval)
        h = s.psf / s.psf.sum()
        spec = sfft.fft2(h)
        integral = float(np.sum(np.abs(spec) ** 2)) / h.size
        quantum += rate * s.mean_electrons**2 * s.oversample**4 * integral
        swank += rate * (s.mean_square_electrons2 - s.mean_electrons**2) * s.oversample**4 \
            * integral
    f, a = panel.lag_release()
    scale = (1 - f) ** 2 + (f * f * (1 - a) / (1 + a) if lag == "steady" else 0.0)
    signal = mean * ((1 - f) if lag == "first" else 1.0)
    return NoiseBudget(
        mean_signal_e=signal,
        mean_dark_e=dark_e,
        quantum_e2=quantum * scale,
        swank_e2=swank * scale,
        dark_shot_e2=dark_e,
        electronic_e2=panel.electronic_noise_e**2,
        quantisation_e2=1.0 / (12.0 * panel.dn_per_electron**2),
    )
