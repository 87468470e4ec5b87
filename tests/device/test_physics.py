"""The device model's equations against their analytic limits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perovx.device.physics import (
    BOLTZMANN_EV_PER_K,
    absorption_limited_sensitivity,
    collection,
    conductance,
)
from perovx.device.response import two_component
from perovx.readout.sourcemeter import DeviceUnderTest, charge_collection_efficiency


def test_hecht_limits() -> None:
    # x ≫ 1: every pair collected; x ≪ 1: η → x (Hecht, Z. Phys. 77, 235 (1932))
    assert collection(1.0, 1e6, drift_length_m=1e-3, contacts="blocking") == pytest.approx(
        1.0, rel=1e-6
    )
    x = 1e-3
    assert collection(x * 1e-6, 1.0, drift_length_m=1e-3, contacts="blocking") == pytest.approx(
        x, rel=1e-9
    )


def test_ohmic_gain_is_lifetime_over_transit_time() -> None:
    # G = τ/t_tr with t_tr = d²/(μV): μτV/d² exactly
    mt, v, d = 2e-8, 100.0, 1e-3
    assert collection(mt, v, drift_length_m=d, contacts="ohmic") == pytest.approx(mt * v / d**2)
    assert collection(mt, -v, drift_length_m=d, contacts="ohmic") == pytest.approx(2.0)


def test_source_meter_uses_the_same_collection() -> None:
    for contacts in ("blocking", "ohmic"):
        dut = DeviceUnderTest(contacts=contacts, mu_tau_h_m2_per_V=2e-8, mu_tau_e_m2_per_V=5e-9)
        for v in (-300.0, -10.0, 5.0, 100.0):
            mt = 2e-8 if v > 0 else 5e-9
            assert float(charge_collection_efficiency(dut, v)) == pytest.approx(
                float(collection(mt, v, drift_length_m=1e-3, contacts=contacts))
            )


def test_conductance_arrhenius() -> None:
    g300 = conductance(1e8, 0.5, 300.0, reference_K=300.0, factor_m=4e-3)
    assert g300 == pytest.approx(4e-11)
    g350 = conductance(1e8, 0.5, 350.0, reference_K=300.0, factor_m=4e-3)
    assert math.log(g350 / g300) == pytest.approx(0.5 / BOLTZMANN_EV_PER_K * (1 / 300 - 1 / 350))


def test_absorption_limited_sensitivity_below_s0() -> None:
    _s0, frac, name = absorption_limited_sensitivity("Cs3Bi2I9", 1e-3, "RQA5")
    assert name == "RQA5"
    assert 0.5 < frac < 1.0
    thin = absorption_limited_sensitivity("Cs3Bi2I9", 1e-5, "RQA5")[1]
    assert thin < frac


def test_two_component_step() -> None:
    t = np.linspace(0.0, 3.0, 3001)
    y = two_component(t, [(1.0, 2.0)], 0.05, 0.1, 0.2, 0.5)
    on = (t >= 1.0) & (t < 2.0)
    expected = 0.8 * -np.expm1(-(t[on] - 1.0) / 0.05) + 0.2 * -np.expm1(-(t[on] - 1.0) / 0.5)
    assert np.allclose(y[on], expected)
    assert np.all(y[t < 1.0] == 0.0)
    top_fast, top_slow = -math.expm1(-1 / 0.05), -math.expm1(-1 / 0.5)
    off = t >= 2.0
    expected_off = 0.8 * top_fast * np.exp(-(t[off] - 2.0) / 0.1) + 0.2 * top_slow * np.exp(
        -(t[off] - 2.0) / 0.5
    )
    assert np.allclose(y[off], expected_off)
