"""Air kerma and half-value layers of a photon spectrum.

Air kerma uses the NIST Hubbell–Seltzer μen/ρ of dry air
(:func:`perovx.materials.air_mass_energy_absorption`); attenuation in the HVL filter uses
:func:`perovx.materials.mass_attenuation`.
"""

from __future__ import annotations

import numpy as np

from perovx.errors import InputError
from perovx.materials.coefficients import (
    air_mass_energy_absorption,
    mass_attenuation,
)

__all__ = ["AL_DENSITY_KG_M3", "KEV_TO_J", "air_kerma", "half_value_layer"]

#: Joules per keV.
KEV_TO_J = 1.602176634e-16
#: Density of aluminium used for half-value layers, kg m⁻³ (CRC Handbook, 2.699 g cm⁻³).
AL_DENSITY_KG_M3 = 2699.0


def air_kerma(energy_keV: np.ndarray, fluence_per_m2: np.ndarray) -> float:
    """Air kerma of a photon fluence spectrum, Gy.

    Parameters
    ----------
    energy_keV
        Bin energies, keV.
    fluence_per_m2
        Photon fluence in each bin, photons m⁻².
    """
    muen = air_mass_energy_absorption(energy_keV)
    return float(np.sum(fluence_per_m2 * energy_keV * KEV_TO_J * muen))


def half_value_layer(
    energy_keV: np.ndarray,
    fluence_per_m2: np.ndarray,
    *,
    material: str = "Al",
    density_kg_m3: float = AL_DENSITY_KG_M3,
    fraction: float = 0.5,
) -> float:
    """Thickness of ``material`` that reduces the air kerma of a narrow beam to ``fraction``, m.

    The first HVL in Al is ``half_value_layer(E, phi)``; the second is found by calling it
    with ``fraction=0.25`` and subtracting the first.
    """
    from scipy.optimize import brentq

    if not 0 < fraction < 1:
        raise InputError(f"fraction must be in (0, 1), got {fraction}")
    kerma_weight = fluence_per_m2 * energy_keV * air_mass_energy_absorption(energy_keV)
    mu = mass_attenuation(material, energy_keV) * density_kg_m3
    k0 = kerma_weight.sum()
    if k0 <= 0:
        raise InputError("spectrum has no air kerma; cannot compute a half-value layer")

    def remaining(t: float) -> float:
        return float(np.sum(kerma_weight * np.exp(-mu * t)) / k0 - fraction)

    upper = 1e-3
    while remaining(upper) > 0:
        upper *= 2
        if upper > 10:
            raise InputError("half-value layer exceeds 10 m of filter")
    return float(brentq(remaining, 0.0, upper, xtol=1e-9, rtol=1e-10))
