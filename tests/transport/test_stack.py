"""Device stacks: thermionic-emission dark current, rectification, collection, photons."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.transport.dark import BOLTZMANN_EV_PER_K, dark_current_density
from perovx.transport.stack import (
    RICHARDSON_A_PER_M2_K2,
    DeviceStack,
    StackLayer,
    thermionic_saturation_current,
)

T = 295.0
KT = BOLTZMANN_EV_PER_K * T


def _absorber(rho: float = 1e9, d: float = 500e-6) -> StackLayer:
    return StackLayer("absorber", d, material="MAPbI3", resistivity_ohm_m=rho)


def test_richardson_constant_is_120_A_per_cm2_K2() -> None:
    # Sze & Ng, Physics of Semiconductor Devices, 3rd ed., Eq. 3.3: A* = 120 A cm^-2 K^-2
    # for free electrons (m* = m0).
    assert RICHARDSON_A_PER_M2_K2 * 1e-4 == pytest.approx(120.17, rel=1e-3)


def test_saturation_current_analytic() -> None:
    # J_s = A* T^2 exp(-phi/kT): at phi = 0.8 eV, 295 K, m*/m0 = 0.2
    js = thermionic_saturation_current(0.8, temperature_K=T, effective_mass_ratio=0.2)
    assert js == pytest.approx(0.2 * 1.2017e6 * T**2 * math.exp(-0.8 / KT), rel=1e-3)


def test_blocking_layer_lowers_dark_current_by_boltzmann_factor() -> None:
    # injection-limited (series resistance negligible): the ratio is exp(-dphi/kT)
    contact = StackLayer("contact", barrier_eV=0.7)
    # absorber resistance 0.5 ohm m2: the barrier, not the bulk, limits the current
    plain = DeviceStack((contact, _absorber(rho=1e3), StackLayer("contact", barrier_eV=0.7)))
    blocked = DeviceStack((contact, StackLayer("interlayer", 1e-6, material="C22H10N2O5",
                                               resistivity_ohm_m=1e8, barrier_eV=0.12),
                           _absorber(rho=1e3), StackLayer("contact", barrier_eV=0.7)))
    for v in (-50.0, 50.0):
        ratio = blocked.dark_current_density(v) / plain.dark_current_density(v)
        assert ratio == pytest.approx(math.exp(-0.12 / KT), rel=1e-6)


def test_ohmic_contacts_give_the_bulk_ohmic_current() -> None:
    stack = DeviceStack((StackLayer("contact"), _absorber(rho=1e9, d=1e-3),
                         StackLayer("contact")))
    j = stack.dark_current_density(-100.0)
    assert j == pytest.approx(-dark_current_density(1e9, 1e-3, 100.0), rel=1e-6)


def test_heterojunction_is_rectifying_with_the_implied_ratio() -> None:
    # barrier 0.5 + 0.5 eV, series resistance 0.05 ohm m2 (negligible at 0.1 V)
    stack = DeviceStack((StackLayer("contact", barrier_eV=0.5),
                         StackLayer("heterojunction", 2e-6, barrier_eV=0.5, ideality=1.5,
                                    forward="positive", material="PbI2"),
                         _absorber(rho=1e2), StackLayer("contact", barrier_eV=0.5)))
    # small bias, series resistance negligible: J_F/J_R = exp(qV/nkT) exactly
    v = 0.1
    assert stack.rectification_ratio(v) == pytest.approx(math.exp(v / (1.5 * KT)), rel=1e-4)
    # large bias: forward is limited by the series resistance, reverse saturates at -J_s
    fwd = stack.dark_current_density(50.0)
    rev = stack.dark_current_density(-50.0)
    assert fwd > 0 > rev
    assert rev == pytest.approx(-stack.saturation_current_A_m2(-50.0), rel=1e-6)
    assert fwd <= 50.0 / stack.series_resistance_ohm_m2() * (1 + 1e-9)
    assert fwd / -rev > 1e3


def test_symmetric_stack_is_not_rectifying() -> None:
    stack = DeviceStack((StackLayer("contact", barrier_eV=0.6), _absorber(),
                         StackLayer("contact", barrier_eV=0.6)))
    assert not stack.rectifying
    assert stack.rectification_ratio(20.0) == pytest.approx(1.0)


def test_interface_trapping_and_collection() -> None:
    stack = DeviceStack((StackLayer("contact"), _absorber(),
                         StackLayer("interlayer", 1e-6, trapped_fraction=0.1,
                                    release_time_s=0.5, ghost_per_trapped=0.2),
                         StackLayer("contact")))
    assert stack.interface.fractions == (0.1,)
    assert stack.collection_factor() == pytest.approx(0.9)
    # released within the read: mean over uniform arrival of 1 - exp(-(t-t')/tau)
    t, tau = 0.1, 0.5
    back = 1 - tau / t * (1 - math.exp(-t / tau))
    assert stack.collection_factor(t) == pytest.approx(1 - 0.1 * (1 - back))


def test_entrance_layers_attenuate_and_feed_the_monte_carlo() -> None:
    stack = DeviceStack((StackLayer("contact", 50e-6, material="C22H10N2O5",
                                    density_kg_m3=1420.0), _absorber(),
                         StackLayer("contact")))
    t = stack.entrance_transmission([20.0, 60.0])
    assert np.all((t > 0.9) & (t < 1.0)) and t[0] < t[1]
    mc = stack.monte_carlo_stack("MAPbI3", absorber_density_kg_m3=3800.0)
    assert mc.sensitive_index == 1 and len(mc.layers) == 2


def test_errors() -> None:
    with pytest.raises(InputError, match="exactly one absorber"):
        DeviceStack((StackLayer("contact"),))
    with pytest.raises(InputError, match="role"):
        StackLayer("spacer", 1e-6)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="trapped fraction"):
        StackLayer("interlayer", 1e-6, trapped_fraction=1.5)
    with pytest.raises(InputError, match="barrier"):
        thermionic_saturation_current(-0.1)
