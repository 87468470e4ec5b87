"""Frame lag from a detector's measured photocurrent response time (derived, analytic).

A detector whose photocurrent follows the X-ray intensity as a first-order system —
after the beam is switched on it rises as 1 − e^(−t/τ), after it is switched off it falls
as e^(−t/τ) — read in contiguous frames of period Δ (integration window = frame period,
no dead time), with an exposure spread evenly over frame 0, collects

* in frame 0: Q₀ = I₀ [Δ − τ (1 − a)], a = e^(−Δ/τ),
* in frame n ≥ 1: Qₙ = I₀ τ (1 − a)² aⁿ⁻¹,

so the lag of frame n after a single exposure is

    lagₙ = Qₙ / Q₀ = τ (1 − a)² aⁿ⁻¹ / (Δ − τ (1 − a))        (:func:`first_order_lag`).

This is exactly the one-reservoir lag model of :mod:`perovx.imaging.sequence`
(lagₙ = f (1 − a) aⁿ⁻¹ / (1 − f), reservoir released with time constant τ) with the
trapped fraction

    f = (τ / Δ) (1 − e^(−Δ/τ))                                  (:func:`first_order_lag_fraction`),

which keeps all the charge: Σₙ Qₙ = I₀ Δ. A published "response time" t_r gives τ by its
definition: τ = t_r / ln 9 for a 10–90 % rise or fall time of a first-order response,
τ = t_r for a 1/e time constant (:func:`time_constant_s`). When the paper does not say
which, perovx takes the 10–90 % reading (the usual one for X-ray on/off photocurrent
steps) and reports the 1/e reading as the upper bound.

What this does not hold: a response time measures the fast part of the response
(carrier transit, contact RC); slow trap release (seconds) and ghosting need their own
measured tails, which a single response time does not give. Lag derived here is
therefore the lag of the measured fast component only.

Units: seconds; lag is a fraction of the exposed frame's signal (1).
"""

from __future__ import annotations

import math

import numpy as np

from perovx.errors import InputError
from perovx.imaging.sequence import TemporalResponse

__all__ = [
    "TEN_NINETY_FACTOR",
    "first_order_lag",
    "first_order_lag_fraction",
    "first_order_response",
    "time_constant_s",
]

#: t(10→90 %) / τ of a first-order response: ln 9.
TEN_NINETY_FACTOR = math.log(9.0)


def _check_positive(name: str, value: float, unit: str = "s") -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{name} must be a finite number > 0 {unit}, got {value!r}")
    return v


def time_constant_s(response_time_s: float, definition: str = "10-90") -> float:
    """First-order time constant τ, s, of a published response time.

    Parameters
    ----------
    response_time_s
        The response time, s (> 0).
    definition
        ``"10-90"`` (10–90 % rise or fall time: τ = t / ln 9), ``"1/e"`` (τ = t) or
        ``"unspecified"`` (read as 10–90 %; see the module notes).
    """
    t = _check_positive("response time", response_time_s)
    if definition in ("10-90", "unspecified"):
        return t / TEN_NINETY_FACTOR
    if definition == "1/e":
        return t
    raise InputError(f"response-time definition {definition!r} is not one of "
                     "'10-90', '1/e', 'unspecified'")


def first_order_lag_fraction(tau_s: float, frame_period_s: float) -> float:
    """Trapped fraction f = (τ/Δ)(1 − e^(−Δ/τ)) of the one-reservoir lag model.

    Parameters
    ----------
    tau_s
        First-order time constant τ, s (> 0).
    frame_period_s
        Frame period Δ, s (> 0).

    Returns
    -------
    float
        f in (0, 1).
    """
    tau = _check_positive("time constant", tau_s)
    period = _check_positive("frame period", frame_period_s)
    return tau / period * -math.expm1(-period / tau)


def first_order_lag(n: np.ndarray | int, tau_s: float, frame_period_s: float) -> np.ndarray:
    """Lag of the n-th frame (n ≥ 1) after one exposure, closed form (see module notes).

    lagₙ = τ (1 − a)² aⁿ⁻¹ / (Δ − τ (1 − a)), a = e^(−Δ/τ).

    Parameters
    ----------
    n
        Frame number(s) after the exposed frame (≥ 1).
    tau_s, frame_period_s
        τ and Δ, s (> 0).

    Returns
    -------
    numpy.ndarray
        Lag, fraction of the exposed frame's signal (1).
    """
    tau = _check_positive("time constant", tau_s)
    period = _check_positive("frame period", frame_period_s)
    nn = np.atleast_1d(np.asarray(n, dtype=float))
    if np.any(nn < 1):
        raise InputError("lag is defined for frames n >= 1 after the exposure")
    one_minus_a = -math.expm1(-period / tau)
    first = tau * one_minus_a**2 / (period - tau * one_minus_a)
    return first * np.exp(-(nn - 1) * period / tau)


def first_order_response(tau_s: float, frame_period_s: float, *,
                         source: str) -> TemporalResponse:
    """The sequence model's lag terms for a first-order detector (derived, exact).

    Parameters
    ----------
    tau_s, frame_period_s
        τ and Δ, s (> 0).
    source
        Where τ comes from; recorded in :attr:`TemporalResponse.sources` with the
        derivation.

    Returns
    -------
    TemporalResponse
        One reservoir: fraction :func:`first_order_lag_fraction`, time constant τ; no
        ghost.
    """
    f = first_order_lag_fraction(tau_s, frame_period_s)
    return TemporalResponse(
        lag_fractions=(f,), lag_time_constants_s=(float(tau_s),),
        sources=(f"lag: derived from a measured response time ({source}): τ = {tau_s:.4g} s, "
                 f"f = (τ/Δ)(1 − e^(−Δ/τ)) = {f:.4g} at Δ = {frame_period_s:.4g} s",),
    )
