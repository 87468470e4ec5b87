"""The device model's equations (SI units), shared by the fit, the plots and the panel.

* Dark conductance ``G(T) = k/ρ(T)``, ``ρ(T) = ρ(T_ref)·exp(Ea/k_B·(1/T − 1/T_ref))``, with
  ``k`` the geometry's conduction factor (area/thickness for a sandwich), so the dark
  current is ``I = V·G``.
* Collected charge per generated pair ``η(V)``: blocking contacts, Hecht
  ``x·(1 − exp(−1/x))``; ohmic (injecting) contacts, the photoconductive gain ``x``
  (carrier lifetime over transit time); ``x = μτ·|V|/L²``, L the drift length, μτ of
  holes at positive bias on the irradiated electrode and of electrons at negative bias.
* Sensitivity ``S(V) = S_abs·η(V)``, ``S_abs = S0·(absorbed energy fraction)`` from the
  interaction stage for the material, thickness and beam.
* Noise of a reading integrated over τ: ``σ² = e·I_d/τ + σ_excess²`` (shot noise plus
  the excess measured on the device); LoD = 3σ/(A·S).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

__all__ = [
    "BOLTZMANN_EV_PER_K",
    "ELEMENTARY_CHARGE_C",
    "absorption_limited_sensitivity",
    "collection",
    "conductance",
]

#: Boltzmann constant, eV K⁻¹ (CODATA 2018 exact).
BOLTZMANN_EV_PER_K = 8.617333262e-5
#: Elementary charge, C (SI exact).
ELEMENTARY_CHARGE_C = 1.602176634e-19


def conductance(
    rho_ohm_m: float, ea_eV: float, temperature_K: Any, *, reference_K: float, factor_m: float
) -> Any:
    """Dark conductance, S: ``factor/ρ(T)`` with an Arrhenius ρ (ρ in Ω m, Ea in eV, T in K)."""
    import numpy as np

    t = np.asarray(temperature_K, dtype=float)
    return (
        factor_m / rho_ohm_m * np.exp(-ea_eV / BOLTZMANN_EV_PER_K * (1.0 / t - 1.0 / reference_K))
    )


def collection(mu_tau_m2_per_V: Any, bias_V: Any, *, drift_length_m: float, contacts: str) -> Any:
    """Collected charge per generated pair (dimensionless): Hecht or photoconductive gain.

    Parameters
    ----------
    mu_tau_m2_per_V
        μτ of the carrier crossing the layer, m² V⁻¹.
    bias_V
        Bias, V (its magnitude is used).
    drift_length_m
        Distance between the electrodes, m.
    contacts
        ``"blocking"`` (Hecht, ≤ 1) or ``"ohmic"`` (gain ``μτ|V|/L²``, unbounded).
    """
    import numpy as np

    x = np.asarray(mu_tau_m2_per_V, float) * np.maximum(np.abs(np.asarray(bias_V, float)), 1e-300)
    x = x / drift_length_m**2
    if contacts == "ohmic":
        return x
    return x * -np.expm1(-1.0 / x)


@cache
def _absorption(material_name: str, thickness_m: float, beam_spec: str) -> tuple[float, float, str]:
    from perovx.interaction.absorption import absorbed_fraction_per_energy
    from perovx.interaction.sensitivity import theoretical_sensitivity
    from perovx.materials import get_material
    from perovx.spectra import get_beam

    material = get_material(material_name)
    beam = get_beam(beam_spec)
    absorbed = absorbed_fraction_per_energy(material, thickness_m, beam.energy_keV)
    weight = beam.fluence_per_Gy * beam.energy_keV
    fraction = float((weight * absorbed).sum() / weight.sum())
    s0 = float(theoretical_sensitivity(beam, material.w_pair()))
    return s0, fraction, str(beam.name)


def absorption_limited_sensitivity(
    material_name: str, thickness_m: float, beam_spec: str
) -> tuple[float, float, str]:
    """``(S0, absorbed energy fraction, beam name)`` of a layer, S0 in C Gy⁻¹ m⁻².

    ``S_abs = S0 × fraction`` is the sensitivity with every pair collected once.
    """
    if not (thickness_m > 0 and math.isfinite(thickness_m)):
        raise ValueError(f"thickness must be > 0 m, got {thickness_m!r}")
    return _absorption(material_name, float(thickness_m), str(beam_spec))
