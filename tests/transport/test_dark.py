"""Ohmic dark current and its Arrhenius temperature dependence."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.transport import BOLTZMANN_EV_PER_K, dark_current_density, resistivity_at


def test_ohmic_dark_current_of_ma3bi2i9() -> None:
    # review Table 1: MA3Bi2I9 SC ρ = 5.27e11 Ω cm; 1 mm at 100 V: J = V/(ρ d)
    # = 100 / (5.27e9 Ω m · 1e-3 m) = 1.898e-5 A/m² = 1.898 nA/cm²
    j = dark_current_density(5.27e9, 1e-3, 100)
    assert j * 1e5 == pytest.approx(1.8975, rel=1e-4)


def test_arrhenius() -> None:
    # ρ(T) = ρ0 exp[(Ea/k)(1/T − 1/T0)]: 10 K warmer with Ea = 0.46 eV
    rho = resistivity_at(1e9, 305.0, activation_energy_eV=0.46)
    assert rho == pytest.approx(1e9 * np.exp(0.46 / BOLTZMANN_EV_PER_K * (1 / 305 - 1 / 295)))
    j = dark_current_density(1e9, 1e-3, 10, temperature_K=305.0, activation_energy_eV=0.46)
    assert j == pytest.approx(10 / (rho * 1e-3))


def test_errors() -> None:
    with pytest.raises(InputError, match="needs the activation energy"):
        dark_current_density(1e9, 1e-3, 10, temperature_K=310)
    with pytest.raises(InputError, match="resistivity must be > 0"):
        dark_current_density(0, 1e-3, 10)
