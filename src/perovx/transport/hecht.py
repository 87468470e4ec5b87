"""Charge-collection efficiency: the Hecht equation, planar and depth-resolved.

For a pair created at depth x below the irradiated electrode of a planar detector of
thickness d in a uniform field E = V/d, each carrier drifts towards its electrode with
mean drift length λ = μτE and induces (Shockley–Ramo, planar weighting field 1/d) the
charge (λ/d)(1 − exp(−L/λ)), L being the distance to its electrode (K. Hecht, Z. Phys.
77, 235 (1932)). A carrier drifting towards the irradiated electrode travels x, the other
one d − x. With top electrode *positive*, electrons travel x and holes d − x; with top
*negative*, the reverse.

Validity: uniform field (no space charge), trapping without detrapping, carriers created
along the beam axis. Numerically every function here holds for any thickness > 0, any
non-zero bias and any μτ > 0 that are finite: drift lengths up to infinity, down to
underflow, with no cancellation (the depth-averaged form switches to its Taylor series in
d/λ where the closed form would cancel), so every CCE lies in [0, 1].
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from perovx.errors import InputError

__all__ = [
    "Polarity",
    "carrier_distances",
    "drift_length",
    "hecht_cce",
    "hecht_cce_at_depth",
    "hecht_cce_exponential",
]

Polarity = Literal["positive", "negative"]


def drift_length(mu_tau_m2_per_V: float, thickness_m: float, bias_V: float) -> float:
    """Mean drift length λ = μτ|V|/d, m (may be +inf when the product overflows)."""
    if not 0 < mu_tau_m2_per_V < np.inf:
        raise InputError(f"mu-tau must be > 0 m2/V and finite, got {mu_tau_m2_per_V!r}")
    if not 0 < thickness_m < np.inf:
        raise InputError(f"thickness must be > 0 m and finite, got {thickness_m!r}")
    if bias_V == 0:
        raise InputError("bias must be non-zero for charge collection")
    if not np.isfinite(bias_V):
        raise InputError(f"bias must be finite, got {bias_V!r}")
    return mu_tau_m2_per_V * abs(bias_V) / thickness_m


def _f(z: np.ndarray | float) -> np.ndarray:
    """f(z) = (1 − e^(−z))/z = ∫₀¹ e^(−zt) dt, stable for every real z (f(0) = 1).

    z may be +inf (f = 0); a negative z must not be large (e^(−z) overflows): callers only
    pass z ≥ 0.
    """
    z = np.asarray(z, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = -np.expm1(-z) / z
    small = np.abs(z) < 1e-8
    out = np.where(small, 1.0 - z / 2.0, out)
    return np.where(np.isposinf(z), 0.0, out)


def _collected(length: np.ndarray | float, distance: np.ndarray | float, d: float) -> np.ndarray:
    """(λ/d)(1 − exp(−L/λ)) = (L/d)·f(L/λ), λ possibly infinite (then L/d). In [0, L/d]."""
    lam = np.asarray(length, dtype=float)
    dist = np.asarray(distance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isinf(lam), 0.0, dist / lam)
    return dist / d * _f(ratio)


def hecht_cce(mu_tau_m2_per_V: float, thickness_m: float, bias_V: float) -> float:
    """Classical single-carrier Hecht CCE: pairs created at the irradiated electrode.

    CCE = (λ/d)(1 − exp(−d/λ)), λ = μτV/d. At λ = d this is 1 − 1/e.
    """
    lam = drift_length(mu_tau_m2_per_V, thickness_m, bias_V)
    return float(_collected(lam, thickness_m, thickness_m))


def carrier_distances(
    depth_m: np.ndarray, thickness_m: float, polarity: Polarity
) -> tuple[np.ndarray, np.ndarray]:
    """Drift distances (electron, hole) for pairs at ``depth_m`` below the irradiated electrode."""
    if polarity not in ("positive", "negative"):
        raise InputError(f"polarity must be 'positive' or 'negative', got {polarity!r}")
    x = np.asarray(depth_m, dtype=float)
    if polarity == "positive":
        return x, thickness_m - x
    return thickness_m - x, x


def hecht_cce_at_depth(
    depth_m: np.ndarray,
    *,
    thickness_m: float,
    bias_V: float,
    mu_tau_e_m2_per_V: float | None,
    mu_tau_h_m2_per_V: float | None,
    polarity: Polarity = "negative",
) -> np.ndarray:
    """Two-carrier Hecht CCE of pairs created at ``depth_m`` (m below the irradiated electrode).

    A carrier with unknown mu-tau (``None``) is taken as not collected.
    """
    d = float(thickness_m)
    de, dh = carrier_distances(depth_m, d, polarity)
    out = np.zeros_like(np.asarray(depth_m, dtype=float))
    if mu_tau_e_m2_per_V is not None:
        out = out + _collected(drift_length(mu_tau_e_m2_per_V, d, bias_V), de, d)
    if mu_tau_h_m2_per_V is not None:
        out = out + _collected(drift_length(mu_tau_h_m2_per_V, d, bias_V), dh, d)
    return out


def _moment(n: int, a: np.ndarray) -> np.ndarray:
    """Mₙ(a) = ∫₀¹ tⁿ e^(−at) dt for n = 0, 1, 2 and a ≥ 0, without cancellation.

    Closed forms for a > 1 (there 1 − e^(−a)·poly(a) ≥ 1 − 5/e > 0); the power series
    Σₖ (−a)ᵏ / (k! (n+k+1)) for a ≤ 1, where 25 terms reach double precision.
    """
    a = np.asarray(a, dtype=float)
    big = np.maximum(a, 1.0)  # keeps the closed form finite where it is not used
    e = np.exp(-big)
    if n == 0:
        closed = -np.expm1(-big) / big
    elif n == 1:
        closed = (1.0 - e * (1.0 + big)) / big**2
    else:
        closed = (2.0 - e * (big**2 + 2.0 * big + 2.0)) / big**3
    small = np.minimum(a, 1.0)
    series = np.zeros_like(small)
    term = np.ones_like(small)
    for k in range(25):
        series = series + term / (n + k + 1)
        term = term * (-small) / (k + 1)
    return np.where(a > 1.0, closed, series)


#: Below this d/λ the exponential-profile CCE is taken from its Taylor series in d/λ: the
#: closed form loses ~eps·max(1, μd)/(d/λ) (near carrier; ~eps/(d/λ) for the far one) to
#: cancellation, the two-term series ~(d/λ)²; the switch keeps both below ~1e-10.
_SERIES_BELOW = 1e-5


def _near_fraction(a: np.ndarray, b: float) -> np.ndarray:
    """CCE of the carrier drifting *towards* the irradiated side, exponential generation.

    With a = μd and b = d/λ (λ the drift length) the depth-averaged Hecht term is
    (1/(b f(a))) ∫₀¹ a e^(−au)(1 − e^(−bu)) du · (1/a) = (f(a) − f(a+b)) / (b f(a)),
    f(z) = (1 − e^(−z))/z. For small b it is (M₁(a) − b M₂(a)/2) / f(a) + O(b²).
    """
    fa = _f(a)
    series = (_moment(1, a) - 0.5 * b * _moment(2, a)) / fa
    if b == 0.0:
        return series
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = (fa - _f(a + b)) / (b * fa)
    use_series = b < _SERIES_BELOW * np.maximum(1.0, a)
    return np.where(use_series, series, closed)


def _far_fraction(a: np.ndarray, b: float) -> np.ndarray:
    """CCE of the carrier drifting *away from* the irradiated side, exponential generation.

    (f(a) − E(a, b)) / (b f(a)) with E(a, b) = ∫₀¹ e^(−au − b(1−u)) du
    = e^(−min(a,b)) f(|a − b|) (finite for every a, b ≥ 0, including a = b). For small b
    it is (N₁(a) − b N₂(a)/2) / f(a), Nₖ(a) = ∫₀¹ (1−u)ᵏ e^(−au) du.
    """
    fa = _f(a)
    m0, m1, m2 = _moment(0, a), _moment(1, a), _moment(2, a)
    series = ((m0 - m1) - 0.5 * b * (m0 - 2.0 * m1 + m2)) / fa
    if b == 0.0:
        return series
    e = np.exp(-np.minimum(a, b)) * _f(np.abs(a - b))
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = (fa - e) / (b * fa)
    # here the cancellation is ~eps/b whatever a is (f(a) − E ≈ (1 − e^(−b)) f(a))
    use_series = np.broadcast_to(b < _SERIES_BELOW, np.shape(a))
    return np.where(use_series, series, closed)


def hecht_cce_exponential(
    mu_per_m: np.ndarray,
    *,
    thickness_m: float,
    bias_V: float,
    mu_tau_e_m2_per_V: float | None,
    mu_tau_h_m2_per_V: float | None,
    polarity: Polarity = "negative",
) -> np.ndarray:
    """CCE for pairs distributed as exp(−μx) in depth (absorption of a beam), per μ.

    Integrates :func:`hecht_cce_at_depth` analytically over the depth profile of each
    energy's absorption. In the limit μτE ≫ d it is 1; for μ → 0 (uniform generation)
    it tends to the uniform-generation Hecht value.

    Parameters
    ----------
    mu_per_m
        Linear attenuation coefficients, m⁻¹ (one per energy).
    """
    d = float(thickness_m)
    mu = np.asarray(mu_per_m, dtype=float)
    if not (np.isfinite(d) and d > 0):
        raise InputError(f"thickness must be > 0 m and finite, got {thickness_m!r}")
    if not np.all(np.isfinite(mu) & (mu >= 0)):
        raise InputError("attenuation coefficients must be finite and >= 0 m⁻¹")
    a = mu * d
    q = np.zeros_like(mu)
    # distance term: which carrier drifts away from the irradiated side?
    far, near = (mu_tau_h_m2_per_V, mu_tau_e_m2_per_V)
    if polarity == "negative":
        far, near = near, far
    elif polarity != "positive":
        raise InputError(f"polarity must be 'positive' or 'negative', got {polarity!r}")
    if far is not None:
        q = q + _far_fraction(a, d / drift_length(far, d, bias_V))
    if near is not None:
        q = q + _near_fraction(a, d / drift_length(near, d, bias_V))
    # Each term is a mean of (L/d)·f(L/λ) ≤ L/d over depth, the two L summing to d: the
    # clip only removes rounding (|excess| < 1e-12), never a modelling error.
    return np.clip(q, 0.0, 1.0)
