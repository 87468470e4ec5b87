"""Theoretical (S0) and absorption-limited X-ray sensitivity.

S0 is the review's *theoretical sensitivity*: the charge per unit air kerma and area if
every incident photon deposited all its energy and every pair were collected,
S0 = (Ψ/K) / W±, with Ψ/K the beam's energy fluence per air kerma. The
absorption-limited sensitivity replaces "all energy" by the energy absorbed in a layer.
Sensitivities are in C Gy⁻¹ m⁻² (1 µC Gy⁻¹ cm⁻² = 0.01 C Gy⁻¹ m⁻²).
"""

from __future__ import annotations

from typing import Any

from perovx.errors import InputError
from perovx.interaction.absorption import (
    AbsorptionModel,
    LayerCoefficients,
    absorbed_energy_fraction,
)
from perovx.spectra.beam import Beam

__all__ = [
    "UC_PER_GY_CM2",
    "absorption_limited_sensitivity",
    "theoretical_sensitivity",
]

#: One µC Gy⁻¹ cm⁻² in C Gy⁻¹ m⁻².
UC_PER_GY_CM2 = 1e-2


def theoretical_sensitivity(beam: Beam, w_pair_eV: float) -> float:
    """Theoretical sensitivity S0 = (Ψ/K)/W±, C Gy⁻¹ m⁻².

    Parameters
    ----------
    beam
        The incident beam (its energy fluence per air kerma, J m⁻² Gy⁻¹).
    w_pair_eV
        Pair-creation energy W±, eV.
    """
    if not 0 < w_pair_eV < float("inf"):
        raise InputError(f"pair-creation energy must be > 0 eV and finite, got {w_pair_eV!r}")
    # (J m⁻² Gy⁻¹) / (W eV · e J/eV) pairs → × e C per pair: the e cancels.
    s0 = beam.energy_fluence_per_Gy / w_pair_eV
    if not 0 < s0 < float("inf"):
        raise InputError(f"beam {beam.name!r}: S0 = {s0!r} is not a finite positive number "
                         "(W± too small or the beam carries no energy per air kerma)")
    return s0


def absorption_limited_sensitivity(
    material: Any,
    thickness_m: float,
    beam: Beam,
    *,
    w_pair_eV: float | None = None,
    density_kg_m3: float | None = None,
    coefficients: LayerCoefficients | None = None,
    model: AbsorptionModel = "slab",
) -> float:
    """Sensitivity if every pair created by the energy absorbed in the layer is collected.

    Returns S0 × absorbed energy fraction, C Gy⁻¹ m⁻², in [0, S0] (the fraction is
    checked to lie in [0, 1]). ``w_pair_eV`` defaults to the
    material's W± (:meth:`Material.w_pair`); ``model`` is the absorption model of
    :func:`perovx.interaction.absorption.absorbed_fraction_per_energy`.
    """
    w = w_pair_eV if w_pair_eV is not None else material.w_pair()
    fraction = absorbed_energy_fraction(
        material, thickness_m, beam, density_kg_m3=density_kg_m3, coefficients=coefficients,
        model=model,
    )
    return theoretical_sensitivity(beam, w) * fraction
