"""Dark current of a biased photoconductor and its temperature dependence."""

from __future__ import annotations

import numpy as np

from perovx.errors import InputError

__all__ = ["BOLTZMANN_EV_PER_K", "ROOM_TEMPERATURE_K", "dark_current_density", "resistivity_at"]

#: Boltzmann constant, eV K⁻¹ (CODATA 2018).
BOLTZMANN_EV_PER_K = 8.617333262e-5
#: Temperature at which resistivities are taken to be measured, K.
ROOM_TEMPERATURE_K = 295.0


def resistivity_at(
    resistivity_ohm_m: float,
    temperature_K: float,
    *,
    activation_energy_eV: float,
    reference_temperature_K: float = ROOM_TEMPERATURE_K,
) -> float:
    """Resistivity at ``temperature_K`` from its value at the reference temperature, Ω m.

    Thermally activated conduction, ρ(T) = ρ(T0) exp[(Ea/k)(1/T − 1/T0)].
    """
    if not (0 < temperature_K < np.inf and 0 < reference_temperature_K < np.inf):
        raise InputError("temperatures must be > 0 K and finite")
    if not (0 <= activation_energy_eV < np.inf):
        raise InputError(f"activation energy must be >= 0 eV, got {activation_energy_eV!r}")
    exponent = activation_energy_eV / BOLTZMANN_EV_PER_K * (
        1.0 / temperature_K - 1.0 / reference_temperature_K)
    # Far below room temperature the factor exceeds the float range: the resistivity is
    # then infinite for every purpose (dark current 0), not an overflow warning.
    return resistivity_ohm_m * (float(np.exp(exponent)) if exponent < 700.0 else np.inf)


def dark_current_density(
    resistivity_ohm_m: float,
    thickness_m: float,
    bias_V: float,
    *,
    temperature_K: float = ROOM_TEMPERATURE_K,
    activation_energy_eV: float | None = None,
) -> float:
    """Ohmic dark-current density J = |V| / (ρ d), A m⁻².

    Parameters
    ----------
    resistivity_ohm_m
        Bulk resistivity at :data:`ROOM_TEMPERATURE_K`, Ω m (1 Ω cm = 0.01 Ω m).
    thickness_m
        Layer thickness, m.
    bias_V
        Applied bias, V (either sign).
    temperature_K
        Operating temperature, K; differs from room temperature only through
        ``activation_energy_eV``.
    activation_energy_eV
        Activation energy of the dark conductivity (ion migration), eV; required when
        ``temperature_K`` is not room temperature.
    """
    if not resistivity_ohm_m > 0:
        raise InputError(f"resistivity must be > 0 ohm m, got {resistivity_ohm_m!r}")
    if not thickness_m > 0:
        raise InputError(f"thickness must be > 0 m, got {thickness_m!r}")
    rho = resistivity_ohm_m
    if temperature_K != ROOM_TEMPERATURE_K:
        if activation_energy_eV is None:
            raise InputError(
                f"dark current at {temperature_K:g} K needs the activation energy Ea"
            )
        rho = resistivity_at(rho, temperature_K, activation_energy_eV=activation_energy_eV)
    return abs(bias_V) / (rho * thickness_m)
