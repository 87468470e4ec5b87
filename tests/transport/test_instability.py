"""Tests of the ion-migration drift model of the dark current."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.transport.instability import (
    IonMigration,
    ion_diffusion_coefficient,
    ion_transit_time_s,
)

K_B_EV = 8.617333262e-5  # Boltzmann constant, eV/K (CODATA 2018)


def test_diffusion_is_arrhenius():
    # D(T2)/D(T1) = exp[−(Ea/k)(1/T2 − 1/T1)] (Arrhenius law)
    ea = 0.46
    ratio = ion_diffusion_coefficient(ea, temperature_K=330.0) / ion_diffusion_coefficient(
        ea, temperature_K=300.0)
    assert ratio == pytest.approx(math.exp(-ea / K_B_EV * (1 / 330.0 - 1 / 300.0)), rel=1e-12)


def test_prefactor_gives_the_computed_order_of_iodide_vacancy_diffusion():
    # Eames et al., Nat. Commun. 6, 7497 (2015): iodide vacancies in MAPbI3, barrier
    # 0.58 eV, D of order 1e-12 cm² s⁻¹ (1e-16 m² s⁻¹) near room temperature.
    d = ion_diffusion_coefficient(0.58, temperature_K=300.0)
    assert 1e-17 < d < 1e-15


def test_transit_time_ranks_the_review_materials():
    # Review: MAPbI3 single crystals (Ea 0.25 eV) drift, spray-coated MA3Bi2I9 (0.91 eV)
    # does not; 1 mm at 100 V.
    kw = {"thickness_m": 1e-3, "bias_V": 100.0, "temperature_K": 300.0}
    fast = ion_transit_time_s(0.25, **kw)
    slow = ion_transit_time_s(0.91, **kw)
    assert fast < 60.0
    assert slow > 1e9
    # τ = L²/(μ V) with μ = D/(kT/e): halving the bias doubles it
    assert ion_transit_time_s(0.25, **{**kw, "bias_V": 50.0}) == pytest.approx(2 * fast)


def test_dark_factor_limits_and_time_constant():
    m = IonMigration(0.25, thickness_m=1e-3, bias_V=100.0, amplitude=0.8)
    tau = m.time_constant_s
    assert float(m.dark_factor(0.0)) == pytest.approx(1.0)
    assert float(m.dark_factor(tau)) == pytest.approx(1 + 0.8 * (1 - math.exp(-1)))
    assert float(m.dark_factor(1e6 * tau)) == pytest.approx(1.8)


def test_window_mean_equals_the_average_of_the_drift():
    m = IonMigration(0.3, thickness_m=0.5e-3, bias_V=50.0)
    tau = m.time_constant_s
    start, width = 0.3 * tau, 0.7 * tau
    t = np.linspace(start, start + width, 20001)
    numeric = np.trapezoid(m.dark_factor(t), t) / width
    assert float(m.mean_dark_factor(start, width)) == pytest.approx(numeric, rel=1e-8)


def test_no_bias_no_drift():
    m = IonMigration(0.25, thickness_m=1e-3, bias_V=0.0)
    assert math.isinf(m.time_constant_s)
    np.testing.assert_array_equal(m.dark_factor([0.0, 1e3]), [1.0, 1.0])


def test_errors():
    with pytest.raises(InputError, match="activation energy must be >= 0 eV"):
        ion_diffusion_coefficient(-0.1)
    with pytest.raises(InputError, match="drift amplitude must be >= 0"):
        IonMigration(0.3, thickness_m=1e-3, bias_V=10.0, amplitude=-1.0)
    with pytest.raises(InputError, match="time under bias must be >= 0 s"):
        IonMigration(0.3, thickness_m=1e-3, bias_V=10.0).dark_factor(-1.0)
    with pytest.raises(InputError, match="integration time must be > 0 s"):
        IonMigration(0.3, thickness_m=1e-3, bias_V=10.0).mean_dark_factor(0.0, 0.0)
