"""Tests of the Arrhenius activation-energy analysis."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from perovx.errors import FitError, InputError
from perovx.metrics.lab import Arrhenius, ion_migration_reading
from perovx.readout import sourcemeter as sm

K_B = 8.617333262e-5  # eV/K, CODATA 2018
# conductivity typed to 5 digits (S/cm) at five temperatures
T_K = [300.0, 320.0, 340.0, 360.0, 380.0]
SIGMA = [1.0000e-10, 3.3495e-10, 9.7318e-10, 2.5115e-09, 5.8660e-09]


def test_hand_file_activation_energy(tmp_path: Path) -> None:
    p = tmp_path / "arr.csv"
    p.write_text(
        "T (K)\tConductivity (S/cm)\n"
        + "".join(f"{t:g}\t{s}\n" for t, s in zip(T_K, SIGMA, strict=True))
    )
    r = Arrhenius.from_file(p).analyze().results_data()
    x = [1 / t for t in T_K]
    y = [math.log(s) for s in SIGMA]
    xm, ym = sum(x) / 5, sum(y) / 5
    slope = sum((a - xm) * (b - ym) for a, b in zip(x, y, strict=True)) / sum(
        (a - xm) ** 2 for a in x
    )
    assert r.activation_energy.value == pytest.approx(-K_B * slope, rel=1e-9)
    # two-point check: Ea = k ln(σ5/σ1)/(1/T1 − 1/T5) = 0.5000 eV to the typed precision
    two_point = K_B * math.log(SIGMA[-1] / SIGMA[0]) / (1 / T_K[0] - 1 / T_K[-1])
    assert two_point == pytest.approx(0.5, abs=2e-4)
    assert r.activation_energy.value == pytest.approx(0.5, abs=2e-4)


def test_resistance_gives_the_same_energy(tmp_path: Path) -> None:
    p = tmp_path / "res.csv"
    p.write_text(
        "Temperature (K),Resistance (ohm)\n"
        + "".join(f"{t:g},{1 / s}\n" for t, s in zip(T_K, SIGMA, strict=True))
    )
    r = Arrhenius.from_file(p).analyze().results_data()
    assert r.activation_energy.value == pytest.approx(0.5, abs=2e-4)
    assert r.quantity == "resistance"


def test_generator_truth_and_reading() -> None:
    m = sm.arrhenius_measurement(seed=41)
    r = (
        Arrhenius(
            m.column("Temperature"), m.column("Dark current"), quantity="dark_current", si_unit="A"
        )
        .analyze()
        .results_data()
    )
    assert abs(r.activation_energy.value - 0.46) < 3 * r.activation_energy.uncertainty


def test_ion_migration_reading_follows_the_review() -> None:
    # review: 3D MAPbI3/MAPbBr3 typically below 0.19 eV; MA3Bi2I9 0.46 eV
    assert "3D lead halides" in ion_migration_reading(0.15)
    assert "between" in ion_migration_reading(0.3)
    assert "suppressed" in ion_migration_reading(0.5)


def test_temperature_range_selection() -> None:
    a = Arrhenius(T_K, SIGMA).analyze(t_min_K=310.0)
    assert a.results_data().n_points == 4
    with pytest.raises(FitError, match=r"1 distinct temperature"):
        Arrhenius(T_K, SIGMA).analyze(t_min_K=370.0)


def test_bad_values() -> None:
    with pytest.raises(InputError, match=r"arrays\[1\]: temperature -5 K.*--unit temperature=degC"):
        Arrhenius([20.0, -5.0, 30.0], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="changes sign"):
        Arrhenius([300.0, 310.0, 320.0], [1.0, -2.0, 3.0])
