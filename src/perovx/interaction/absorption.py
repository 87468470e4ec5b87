"""Attenuation and energy absorption of a beam in a detector layer (Beer–Lambert).

Two models of the energy a layer keeps:

``"local"``
    μen/μ of the energy removed from the primary beam: every fluorescence and scattered
    photon is taken to leave. Exact for thin layers, pessimistic for thick ones (0.5 mm
    of MA3Bi2I9 keeps far more of the iodine K fluorescence than μen/μ says).
``"slab"``
    The first generation of fluorescence (every K, L, M line) and of Compton and
    Rayleigh scattered photons is followed analytically: emitted isotropically at the
    depth of the primary interaction, it escapes through the front or back face with
    probability ½[E₂(μ′z) + E₂(μ′(d − z))] (E₂ the exponential integral, μ′ the
    attenuation at the secondary energy), and deposits μen/μ of its energy where it is
    absorbed. Scattered photons are taken at their mean energy. It agrees with the Monte
    Carlo engine (:mod:`perovx.interaction.montecarlo`), which follows every generation
    and the real angular distributions, to about 0.01 of the incident energy.

Validity: photon energies inside the interaction-data range (outside it
:mod:`perovx.materials.coefficients` raises :class:`~perovx.errors.DataRangeError`),
any finite thickness and density > 0. Every returned fraction is in [0, 1]: it is
checked, so a numerical slip raises :class:`~perovx.errors.DomainError` instead of
reaching a sensitivity.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

import numpy as np

from perovx.errors import InputError
from perovx.materials.coefficients import (
    ENERGY_MIN_KEV,
    mass_attenuation,
    mass_energy_absorption,
    mass_fractions_by_z,
)
from perovx.spectra.beam import Beam

__all__ = [
    "ABSORPTION_MODELS",
    "AbsorptionModel",
    "LayerCoefficients",
    "absorbed_energy_fraction",
    "absorbed_fraction_per_energy",
    "attenuated_fraction",
    "layer_coefficients",
    "thickness_for_absorption",
]


class LayerCoefficients:
    """Linear coefficients of one material on one energy grid (cached per call site).

    Attributes
    ----------
    mu_per_m
        Linear attenuation coefficient μ, m⁻¹.
    muen_per_m
        Linear energy-absorption coefficient μen, m⁻¹.
    """

    __slots__ = ("mu_per_m", "muen_per_m")

    def __init__(self, material: Any, energy_keV: np.ndarray, density_kg_m3: float) -> None:
        self.mu_per_m = mass_attenuation(material, energy_keV) * density_kg_m3
        self.muen_per_m = mass_energy_absorption(material, energy_keV) * density_kg_m3


def _density(material: Any, density_kg_m3: float | None) -> float:
    if density_kg_m3 is not None:
        rho = float(density_kg_m3)
    elif hasattr(material, "density"):
        rho = material.density()
    else:
        raise InputError(f"{material!r}: a density is needed (density_kg_m3)")
    if not 0 < rho < np.inf:
        raise InputError(f"density must be > 0 kg/m3 and finite, got {rho}")
    return rho


def _thickness(thickness_m: float) -> float:
    if not (thickness_m > 0 and np.isfinite(thickness_m)):
        raise InputError(f"thickness must be > 0 m, got {thickness_m!r}")
    return float(thickness_m)


def layer_coefficients(
    material: Any, energy_keV: np.ndarray, *, density_kg_m3: float | None = None
) -> LayerCoefficients:
    """μ and μen (m⁻¹) of ``material`` (formula, Composition or Material) at ``energy_keV``."""
    return LayerCoefficients(material, np.atleast_1d(energy_keV), _density(material, density_kg_m3))


def attenuated_fraction(
    material: Any,
    thickness_m: float,
    energy_keV: float | np.ndarray,
    *,
    density_kg_m3: float | None = None,
) -> np.ndarray:
    """Fraction of photons that interact in the layer, 1 − exp(−μ t), per energy.

    Parameters
    ----------
    material
        Formula, Composition or Material (its density is used unless ``density_kg_m3``).
    thickness_m
        Layer thickness, m (> 0).
    energy_keV
        Photon energies, keV.
    density_kg_m3
        Density, kg m⁻³ (overrides the material's).
    """
    coeffs = layer_coefficients(material, np.atleast_1d(energy_keV), density_kg_m3=density_kg_m3)
    return -np.expm1(-coeffs.mu_per_m * _thickness(thickness_m))


AbsorptionModel = Literal["local", "slab"]
ABSORPTION_MODELS: tuple[str, ...] = ("local", "slab")

# Gauss–Legendre nodes on (0, 1) for the depth average of the escape probability.
_U, _W = np.polynomial.legendre.leggauss(24)
_U, _W = 0.5 * (_U + 1.0), 0.5 * _W
# E₂ tabulated on a log grid: interpolating ln E₂ is accurate to ~1e-5 and ~20× faster
# than evaluating E₂ itself on the large arrays the escape average needs.
_E2_X = np.geomspace(1e-8, 60.0, 4000)
_E2_LOG: np.ndarray | None = None
_EULER_GAMMA = 0.57721566490153286


def _expn2(x: np.ndarray) -> np.ndarray:
    """Exponential integral E₂(x) for x > 0, to ~1e-14 relative (numpy only).

    Power series for x ≤ 1, E₂(x) = 1 + x(ln x + γ − 1) − Σ_{k≥2} (−x)^k / ((k − 1) k!)
    (Abramowitz & Stegun 5.1.12), and the continued fraction of A&S 5.1.22 evaluated
    by the modified Lentz method for x > 1. Kept here so the ``evaluate`` path does not
    import scipy (checked against ``scipy.special.expn`` in the tests).
    """
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    small = x <= 1.0
    xs = x[small]
    term = np.ones_like(xs)
    tail = np.zeros_like(xs)
    for k in range(1, 30):
        term = term * -xs / k  # (−x)^k / k!
        if k >= 2:
            tail += term / (k - 1)
    out[small] = 1.0 + xs * (np.log(xs) + _EULER_GAMMA - 1.0) - tail
    xl = x[~small]
    b = xl + 2.0
    c = np.full_like(xl, 1e300)
    d = 1.0 / b
    h = d.copy()
    for i in range(1, 80):
        a = -i * (i + 1.0)
        b = b + 2.0
        d = 1.0 / (a * d + b)
        c = b + a / c
        h = h * c * d
    out[~small] = h * np.exp(-xl)
    return out


def _e2(x: np.ndarray) -> np.ndarray:
    """Exponential integral E₂(x) for x ≥ 0."""
    global _E2_LOG
    if _E2_LOG is None:
        _E2_LOG = np.log(_expn2(_E2_X))
    out = np.exp(np.interp(np.log(np.maximum(x, _E2_X[0])), np.log(_E2_X), _E2_LOG))
    return np.where(x > _E2_X[-1], 0.0, out)


def _mean_escape(mu_primary: np.ndarray, mu_secondary: np.ndarray, d: float) -> np.ndarray:
    """Mean escape probability of isotropic secondaries born along exp(−μp z) in a slab.

    ``mu_primary`` has shape (n,), ``mu_secondary`` shape (m, n) or (n,); returns the
    shape of ``mu_secondary``. Depths are sampled by inverting the primary's depth CDF so
    steep profiles are integrated as accurately as flat ones.
    """
    mp = np.asarray(mu_primary, dtype=float)
    total = -np.expm1(-mp * d)
    z = -np.log1p(-_U[:, None] * total[None, :]) / mp[None, :]  # (k, n)
    ms = np.asarray(mu_secondary, dtype=float)[..., None, :]
    return np.einsum("k,...kn->...n", _W, 0.5 * (_e2(ms * z) + _e2(ms * (d - z))))


def _slab_kept_per_interaction(
    material: Any, energy_keV: np.ndarray, rho: float, d: float, c: LayerCoefficients
) -> np.ndarray:
    """Energy kept per unit energy of an interacting primary photon, per energy (slab model).

    Secondaries (fluorescence lines; Compton photons at their mean energy; Rayleigh
    photons) escape with the slab escape probability; a reabsorbed secondary keeps its
    energy except the fluorescence it makes in turn that escapes (third generation,
    escape from the primary depth profile).
    """
    from perovx.materials.coefficients import compton_transfer, fluorescence_emission

    mu, muen = c.mu_per_m, c.muen_per_m
    kept = muen / mu
    line_e, radiated = fluorescence_emission(material, energy_keV)  # (l,), (l, n)
    if line_e.size:
        mu_l = mass_attenuation(material, line_e) * rho
        esc_l = _mean_escape(mu, np.broadcast_to(mu_l[:, None], (line_e.size, mu.size)), d)
    else:
        esc_l = np.zeros((0, mu.size))

    def tertiary_share(secondary_keV: np.ndarray) -> np.ndarray:
        """(l, m): energy share of a reabsorbed secondary re-radiated in each line."""
        return fluorescence_emission(material, secondary_keV)[1] / mass_attenuation(
            material, secondary_keV)[None, :]

    if line_e.size:
        stays = 1.0 - tertiary_share(line_e).T @ esc_l  # (line, primary energy)
        kept = kept + np.sum(radiated * rho / mu * (1 - esc_l) * stays, axis=0)
    incoherent = mass_attenuation(material, energy_keV, kind="compton") * rho
    transfer = compton_transfer(material, energy_keV) * rho
    coherent = mass_attenuation(material, energy_keV, kind="rayleigh") * rho
    for share, e_sec in (
        ((incoherent - transfer) / mu,
         np.maximum(energy_keV * (1 - transfer / incoherent), ENERGY_MIN_KEV)),
        (coherent / mu, energy_keV),
    ):
        mu_sec = mass_attenuation(material, e_sec) * rho
        stays_sec = 1.0 - np.sum(tertiary_share(e_sec) * esc_l, axis=0)  # same energy index
        kept = kept + share * (1 - _mean_escape(mu, mu_sec, d)) * stays_sec
    return kept


@lru_cache(maxsize=2048)
def _slab_kept_cached(
    fractions: tuple[tuple[int, float], ...], energies: tuple[float, ...], rho: float, d: float
) -> np.ndarray:
    absorber = dict(fractions)
    e = np.asarray(energies)
    out = _slab_kept_per_interaction(absorber, e, rho, d, LayerCoefficients(absorber, e, rho))
    out.flags.writeable = False
    return out


def absorbed_fraction_per_energy(
    material: Any,
    thickness_m: float,
    energy_keV: np.ndarray,
    *,
    model: AbsorptionModel = "slab",
    density_kg_m3: float | None = None,
    coefficients: LayerCoefficients | None = None,
) -> np.ndarray:
    """Fraction of the incident energy absorbed in the layer, per photon energy.

    Parameters
    ----------
    material
        Formula, Composition or Material.
    thickness_m
        Layer thickness, m.
    energy_keV
        Photon energies, keV.
    model
        ``"slab"`` (first-generation fluorescence and scatter followed; default) or
        ``"local"`` ((μen/μ)(1 − e^(−μt))); see the module notes.
    density_kg_m3
        Density override, kg m⁻³.
    coefficients
        Precomputed :func:`layer_coefficients` on ``energy_keV`` (for speed).
    """
    if model not in ABSORPTION_MODELS:
        raise InputError(f"absorption model must be one of {', '.join(ABSORPTION_MODELS)}, "
                         f"got {model!r}")
    e = np.atleast_1d(np.asarray(energy_keV, dtype=float))
    rho = _density(material, density_kg_m3)
    d = _thickness(thickness_m)
    c = coefficients or LayerCoefficients(material, e, rho)
    interacting = -np.expm1(-c.mu_per_m * d)
    if model == "local":
        out = c.muen_per_m / c.mu_per_m * interacting
    else:
        out = _slab_kept_cached(mass_fractions_by_z(material), tuple(e.tolist()), rho, d)
        out = out * interacting
    return _in_unit_interval(out, "absorbed energy fraction")


def _in_unit_interval(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` clipped to [0, 1] if within 1e-9 of it (rounding); DomainError if not."""
    from perovx.errors import DomainError

    if not np.all(np.isfinite(values) & (values >= -1e-9) & (values <= 1 + 1e-9)):
        bad = values[~(np.isfinite(values) & (values >= -1e-9) & (values <= 1 + 1e-9))]
        raise DomainError(f"{what} {bad.flat[0]!r} is outside [0, 1]")
    return np.clip(values, 0.0, 1.0)


def absorbed_energy_fraction(
    material: Any,
    thickness_m: float,
    beam: Beam,
    *,
    model: AbsorptionModel = "slab",
    density_kg_m3: float | None = None,
    coefficients: LayerCoefficients | None = None,
) -> float:
    """Fraction of the beam's incident energy absorbed in the layer.

    Parameters
    ----------
    material
        Formula, Composition or Material.
    thickness_m
        Layer thickness, m.
    beam
        The incident beam.
    model
        ``"slab"`` (default) or ``"local"``; see :func:`absorbed_fraction_per_energy`.
    coefficients
        Precomputed :func:`layer_coefficients` on ``beam.energy_keV`` (for speed).
    """
    eta = absorbed_fraction_per_energy(
        material, thickness_m, beam.energy_keV, model=model, density_kg_m3=density_kg_m3,
        coefficients=coefficients,
    )
    energy_weight = beam.fluence_per_Gy * beam.energy_keV
    return float(np.sum(energy_weight * eta) / np.sum(energy_weight))


def thickness_for_absorption(
    material: Any,
    beam: Beam,
    fraction: float,
    *,
    quantity: str = "photons",
    density_kg_m3: float | None = None,
) -> float:
    """Layer thickness that stops ``fraction`` of the beam, m.

    Parameters
    ----------
    fraction
        Target fraction in (0, 1), e.g. 0.9 or 0.99.
    quantity
        ``"photons"`` (fraction of photons that interact) or ``"energy"`` (fraction of
        incident energy absorbed; may be unreachable when fluorescence escapes, which
        raises :class:`InputError`).
    """
    if not 0 < fraction < 1:
        raise InputError(f"fraction must be in (0, 1), got {fraction}")
    c = layer_coefficients(material, beam.energy_keV, density_kg_m3=density_kg_m3)
    p = beam.photon_probabilities
    if quantity == "photons":
        return _thickness_for_photons(p, c.mu_per_m, fraction)
    if quantity == "energy":
        def stopped(t: float) -> float:
            return absorbed_energy_fraction(material, t, beam, coefficients=c)
        w = beam.fluence_per_Gy * beam.energy_keV
        limit = float(np.sum(w * c.muen_per_m / c.mu_per_m) / np.sum(w))
    else:
        raise InputError(f"quantity must be 'photons' or 'energy', got {quantity!r}")
    if fraction >= limit:
        raise InputError(
            f"no thickness absorbs {fraction:.3g} of the beam's {quantity}: "
            f"the limit is {limit:.3g} (energy escapes as fluorescence and scatter)"
        )
    from scipy.optimize import brentq

    upper = 1e-6
    while stopped(upper) < fraction:
        upper *= 2
        if upper > 100:
            raise InputError("thickness for absorption exceeds 100 m")
    return float(brentq(lambda t: stopped(t) - fraction, 0.0, upper, xtol=1e-12, rtol=1e-10))


def _thickness_for_photons(p: np.ndarray, mu_per_m: np.ndarray, fraction: float) -> float:
    """Root of Σ p (1 − e^(−μt)) = fraction by Newton's method from t = 0, m.

    The stopped fraction is increasing and concave in t, so every Newton step from the
    left stays left of the root and the iteration converges monotonically (no bracket
    needed, and no scipy import on the ``evaluate`` path).
    """
    t = 0.0
    for _ in range(200):
        attenuated = p * np.exp(-mu_per_m * t)
        missing = fraction - (1.0 - float(np.sum(attenuated)))
        slope = float(np.sum(mu_per_m * attenuated))
        if slope <= 0.0:
            break
        step = missing / slope
        t += step
        if t > 100:
            raise InputError("thickness for absorption exceeds 100 m")
        if step <= 1e-12 + 1e-10 * t:
            return t
    raise InputError(f"no thickness found that stops {fraction:.3g} of the photons")
