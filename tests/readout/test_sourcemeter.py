"""Tests of the synthetic source-meter measurements (perovx.readout.sourcemeter)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.io.tables import read_table
from perovx.readout import sourcemeter as sm


def test_same_seed_same_trace_different_seed_different() -> None:
    a = sm.xray_response_measurement(seed=3).column("Current")
    b = sm.xray_response_measurement(seed=3).column("Current")
    c = sm.xray_response_measurement(seed=4).column("Current")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_dark_current_is_ohms_law() -> None:
    # I = V·A/(ρ·d) = 50 V × 4e-6 m² / (5.27e9 Ω m × 1e-3 m) = 3.7951e-11 A (by hand)
    assert sm.dark_current(sm.DEMO_DEVICE, 50.0) == pytest.approx(3.79507e-11, rel=1e-5)


def test_dark_current_temperature_dependence_is_arrhenius() -> None:
    # ratio between 330 K and 300 K: exp(−Ea/k·(1/330 − 1/300)), Ea = 0.46 eV,
    # k = 8.617333262e-5 eV/K (CODATA 2018) → exp(5338.07 × 3.03030e-4) = exp(1.617598) = 5.0410
    i300 = sm.dark_current(sm.DEMO_DEVICE, 10.0, temperature_K=300.0)
    i330 = sm.dark_current(sm.DEMO_DEVICE, 10.0, temperature_K=330.0)
    assert i330 / i300 == pytest.approx(5.0410, rel=1e-4)


def test_hecht_efficiency_analytic_points() -> None:
    # x = μτV/d² = 1 → CCE = 1 − e^−1 = 0.6321205588 (Hecht 1932, analytic)
    dev = replace(sm.DEMO_DEVICE, mu_tau_h_m2_per_V=1e-7, thickness_m=1e-3)
    assert sm.charge_collection_efficiency(dev, 10.0) == pytest.approx(0.6321205588, rel=1e-9)
    # Many: s·d/(μV) = 1 halves it
    many = replace(dev, surface_recombination_ratio_V_per_m=1e4)
    assert sm.charge_collection_efficiency(many, 10.0) == pytest.approx(0.6321205588 / 2)


def test_trap_filled_limit_voltage_formula() -> None:
    # V_TFL = e n_t d²/(2 ε_r ε0) = 1.602176634e-19 × 3e16 × 1e-6 / (2 × 28 × 8.8541878128e-12)
    #       = 9.69382 V (by hand)
    assert sm.DEMO_DEVICE.trap_filled_limit_V == pytest.approx(9.69382, rel=1e-5)


def test_white_noise_floor_of_readings() -> None:
    dev = replace(sm.DEMO_DEVICE, flicker_coefficient=0.0, drift_per_s=0.0)
    meter = sm.SourceMeter(sample_interval_s=0.1, noise_floor_A=1e-12, resolution_A=0.0)
    m = sm.drift_measurement(dev, duration_s=2000.0, meter=meter, seed=1)
    i = m.column("Dark current")
    # floor 1 pA plus shot noise sqrt(q I/τ) = sqrt(1.6e-19 × 7.6e-11 / 0.1) = 1.1e-14 A
    assert np.std(i) == pytest.approx(math.hypot(1e-12, 1.1e-14), rel=0.05)


def test_flicker_noise_spectrum_slope_is_minus_one() -> None:
    rng = np.random.default_rng(0)
    x = sm._pink(2**14, 0.01, rng)
    f = np.fft.rfftfreq(x.size, 0.01)[1:]
    p = np.abs(np.fft.rfft(x))[1:] ** 2
    slope = np.polyfit(np.log(f), np.log(p), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.1)


def test_response_truth_single_exponential_is_tau_ln9() -> None:
    # first-order rise: 10–90 % time = τ ln 9 (analytic)
    dev = replace(sm.DEMO_DEVICE, lag_fraction=0.0)
    m = sm.response_measurement(dev, seed=0)
    assert m.truth["rise_time_s"] == pytest.approx(0.03 * math.log(9), rel=0.01)
    assert m.truth["fall_time_s"] == pytest.approx(0.05 * math.log(9), rel=0.01)


def test_stability_truth_is_ninety_percent() -> None:
    m = sm.stability_measurement(doses_Gy=[0.0, 18.0], relative_noise=0.0)
    s = m.column("Sensitivity")
    assert s[1] / s[0] == pytest.approx(0.9, rel=1e-12)


def test_xray_truth_sensitivity_includes_collection() -> None:
    m = sm.xray_response_measurement(seed=0)
    cce = sm.charge_collection_efficiency(sm.DEMO_DEVICE, 50.0)
    assert m.truth["sensitivity_C_per_Gy_m2"] == pytest.approx(21.5 * cce)


def test_csv_round_trip_through_reader(tmp_path: Path) -> None:
    m = sm.xray_response_measurement(seed=0)
    p = m.write_csv(tmp_path / "x.csv", comments=["synthetic"])
    t = read_table(p)
    np.testing.assert_allclose(t.get("current").values, m.column("Current"), rtol=1e-5, atol=1e-17)
    np.testing.assert_allclose(t.get("dose_rate").values, m.column("Dose rate"), rtol=1e-6)


def test_csv_decimal_comma_and_celsius_round_trip(tmp_path: Path) -> None:
    m = sm.arrhenius_measurement(seed=0)
    p = m.write_csv(tmp_path / "a.csv", delimiter=";", decimal=",")
    t = read_table(p)
    np.testing.assert_allclose(t.get("temperature").values, m.column("Temperature"), rtol=1e-6)


def test_xlsx_round_trip_through_reader(tmp_path: Path) -> None:
    m = sm.hecht_measurement(seed=0)
    p = m.write_xlsx(tmp_path / "h.xlsx", preamble=["a note"])
    t = read_table(p)
    np.testing.assert_allclose(t.get("voltage").values, m.column("Bias"))
    np.testing.assert_allclose(t.get("dark_current").values, m.column("Dark current"), rtol=1e-5)


def test_bad_generator_inputs() -> None:
    with pytest.raises(InputError, match=r"dose rates must be > 0"):
        sm.xray_response_measurement(dose_rates_Gy_per_s=(1e-6, 0.0))
    with pytest.raises(InputError, match=r"area_m2 must be > 0"):
        sm.DeviceUnderTest(area_m2=0.0)
    with pytest.raises(InputError, match="decimal separator"):
        sm.stability_measurement().write_csv("unused.csv", delimiter=",", decimal=",")


def test_ohmic_contacts_give_photoconductive_gain() -> None:
    # G = μτV/d² (lifetime over transit time): linear in the bias, above 1 at high bias
    from perovx.readout.sourcemeter import DeviceUnderTest, charge_collection_efficiency

    dut = DeviceUnderTest(contacts="ohmic", mu_tau_h_m2_per_V=2e-8)
    assert float(charge_collection_efficiency(dut, 100.0)) == pytest.approx(2.0)
    assert float(charge_collection_efficiency(dut, 300.0)) == pytest.approx(6.0)
    blocking = DeviceUnderTest(mu_tau_h_m2_per_V=2e-8)
    assert float(charge_collection_efficiency(blocking, 300.0)) < 1.0
    with pytest.raises(InputError, match="contacts"):
        DeviceUnderTest(contacts="schottky")
