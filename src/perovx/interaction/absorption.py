"""Attenuation and energy absorption of a beam in a detector layer (Beer–Lambert).

The energy absorbed locally is approximated by μen/μ of the energy removed from the
primary beam, which neglects fluorescence and scatter that re-enter the layer; the Monte
Carlo engine (:mod:`perovx.interaction.montecarlo`) includes them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.materials.coefficients import mass_attenuation, mass_energy_absorption
from perovx.spectra.beam import Beam

__all__ = [
    "LayerCoefficients",
    "absorbed_energy_fraction",
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
    if not rho > 0:
        raise InputError(f"density must be > 0 kg/m3, got {rho}")
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


def absorbed_energy_fraction(
    material: Any,
    thickness_m: float,
    beam: Beam,
    *,
    density_kg_m3: float | None = None,
    coefficients: LayerCoefficients | None = None,
) -> float:
    """Fraction of the beam's incident energy absorbed in the layer, (μen/μ)(1 − e^(−μt)).

    Parameters
    ----------
    material
        Formula, Composition or Material.
    thickness_m
        Layer thickness, m.
    beam
        The incident beam.
    coefficients
        Precomputed :func:`layer_coefficients` on ``beam.energy_keV`` (for speed).
    """
    c = coefficients or layer_coefficients(material, beam.energy_keV, density_kg_m3=density_kg_m3)
    energy_weight = beam.fluence_per_Gy * beam.energy_keV
    eta = c.muen_per_m / c.mu_per_m * -np.expm1(-c.mu_per_m * _thickness(thickness_m))
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
    from scipy.optimize import brentq

    if not 0 < fraction < 1:
        raise InputError(f"fraction must be in (0, 1), got {fraction}")
    c = layer_coefficients(material, beam.energy_keV, density_kg_m3=density_kg_m3)
    p = beam.photon_probabilities
    if quantity == "photons":
        def stopped(t: float) -> float:
            return float(np.sum(p * -np.expm1(-c.mu_per_m * t)))
        limit = 1.0
    elif quantity == "energy":
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
    upper = 1e-6
    while stopped(upper) < fraction:
        upper *= 2
        if upper > 100:
            raise InputError("thickness for absorption exceeds 100 m")
    return float(brentq(lambda t: stopped(t) - fraction, 0.0, upper, xtol=1e-12, rtol=1e-10))
