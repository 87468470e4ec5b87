"""Tests of the radiation-stability analysis."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from perovx.errors import InputError
from perovx.metrics.lab import RadiationStability
from perovx.readout import sourcemeter as sm


def test_hand_file_interpolated_dose(tmp_path: Path) -> None:
    p = tmp_path / "stab.csv"
    p.write_text("Dose (mGy),Sensitivity (uC Gy-1 cm-2)\n0,100\n100,98\n200,94\n300,86\n")
    r = RadiationStability.from_file(p).analyze().results_data()
    # 90 % = 90 lies between 94 (200 mGy) and 86 (300 mGy): 200 + 4/8 × 100 = 250 mGy
    assert r.radiation_stability.field_value == pytest.approx(250.0)
    # σ_r from second differences: (−0.02, −0.04) → √((4e-4 + 16e-4)/2/6) = 0.012910;
    # slope (0.86 − 0.94)/0.1 Gy = −0.8 /Gy → u = √2 × 0.012910/0.8 = 22.82 mGy
    assert r.radiation_stability.field_uncertainty == pytest.approx(
        math.sqrt(2) * math.sqrt(0.002 / 12) / 0.8 * 1e3, rel=1e-9
    )
    assert r.initial_sensitivity.field_value == pytest.approx(100.0)
    assert r.loss_reached


def test_no_loss_is_a_lower_bound(tmp_path: Path) -> None:
    p = tmp_path / "ok.csv"
    p.write_text(
        "Accumulated dose (Gy),Relative sensitivity (%)\n0,100\n5,99.5\n10,100.2\n23.8,99.1\n"
    )
    r = RadiationStability.from_file(p).analyze().results_data()
    d = r.to_dict()
    assert d["radiation_stability_mGy"] == pytest.approx(23800.0)
    assert d["radiation_stability_is_lower_bound"] is True
    assert "no loss to 90%" in r.statement


def test_generator_truth() -> None:
    m = sm.stability_measurement(seed=71)
    r = (
        RadiationStability(m.column("Accumulated dose"), m.column("Sensitivity"), absolute=True)
        .analyze()
        .results_data()
    )
    truth = m.truth["dose_to_90_percent_Gy"]
    assert abs(r.radiation_stability.value - truth) < 3 * r.radiation_stability.uncertainty


def test_other_fraction() -> None:
    r = RadiationStability([0, 1, 2], [100, 80, 60]).analyze(fraction=0.7).results_data()
    assert r.radiation_stability.value == pytest.approx(1.5)


def test_bad_series() -> None:
    with pytest.raises(InputError, match=r"arrays\[2\]: accumulated dose 1 Gy is below"):
        RadiationStability([0, 2, 1], [1, 1, 1])
    with pytest.raises(InputError, match="not positive"):
        RadiationStability([0, 1, 2], [1, 0, 1])
    with pytest.raises(InputError, match="fraction must be between 0 and 1"):
        RadiationStability([0, 1], [1, 1]).analyze(fraction=90)
