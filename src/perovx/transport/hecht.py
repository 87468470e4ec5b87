"""Charge-collection efficiency: the Hecht equation, planar and depth-resolved.

For a pair created at depth x below the irradiated electrode of a planar detector of
thickness d in a uniform field E = V/d, each carrier drifts towards its electrode with
mean drift length λ = μτE and induces (Shockley–Ramo, planar weighting field 1/d) the
charge (λ/d)(1 − exp(−L/λ)), L being the distance to its electrode (K. Hecht, Z. Phys.
77, 235 (1932)). A carrier drifting towards the irradiated electrode travels x, the other
one d − x. With top electrode *positive*, electrons travel x and holes d − x; with top
*negative*, the reverse.
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
    """Mean drift length λ = μτ|V|/d, m."""
    if not mu_tau_m2_per_V > 0:
        raise InputError(f"mu-tau must be > 0 m2/V, got {mu_tau_m2_per_V!r}")
    if not thickness_m > 0:
        raise InputError(f"thickness must be > 0 m, got {thickness_m!r}")
    if bias_V == 0:
        raise InputError("bias must be non-zero for charge collection")
    return mu_tau_m2_per_V * abs(bias_V) / thickness_m


def _collected(length: np.ndarray | float, distance: np.ndarray | float, d: float) -> np.ndarray:
    """(λ/d)(1 − exp(−L/λ)) with λ possibly infinite."""
    lam = np.asarray(length, dtype=float)
    dist = np.asarray(distance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = lam / d * -np.expm1(-dist / lam)
    return np.where(np.isinf(lam), dist / d, out)


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


def _term_far(mu: np.ndarray, lam: float, d: float) -> np.ndarray:
    """∫₀ᵈ μe^(−μx)(1 − e^(−(d−x)/λ))dx: carrier drifting away from the irradiated side."""
    a = -np.expm1(-mu * d)
    if np.isinf(lam):
        return a - (1 - np.exp(-mu * d) * (1 + mu * d)) / (mu * d) if d > 0 else a
    k = 1.0 / lam
    diff = mu - k
    close = np.abs(diff * d) < 1e-8
    safe = np.where(close, 1.0, diff)
    general = a - mu * (np.exp(-k * d) - np.exp(-mu * d)) / safe
    limit = a - mu * d * np.exp(-mu * d)
    return np.where(close, limit, general)


def _term_near(mu: np.ndarray, lam: float, d: float) -> np.ndarray:
    """∫₀ᵈ μe^(−μx)(1 − e^(−x/λ))dx: carrier drifting towards the irradiated side."""
    a = -np.expm1(-mu * d)
    if np.isinf(lam):
        return (1 - np.exp(-mu * d) * (1 + mu * d)) / (mu * d)
    s = mu + 1.0 / lam
    return a - mu * -np.expm1(-s * d) / s


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
    total = -np.expm1(-mu * d)
    q = np.zeros_like(mu)
    # distance term: which carrier drifts away from the irradiated side?
    far, near = (mu_tau_h_m2_per_V, mu_tau_e_m2_per_V)
    if polarity == "negative":
        far, near = near, far
    elif polarity != "positive":
        raise InputError(f"polarity must be 'positive' or 'negative', got {polarity!r}")
    if far is not None:
        lam = drift_length(far, d, bias_V)
        q = q + lam / d * _term_far(mu, lam, d)
    if near is not None:
        lam = drift_length(near, d, bias_V)
        q = q + lam / d * _term_near(mu, lam, d)
    return q / total
