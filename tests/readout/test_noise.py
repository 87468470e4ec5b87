"""Noise charge and IUPAC limit of detection."""

from __future__ import annotations

import numpy as np
import pytest

from perovx.errors import InputError
from perovx.readout import ELEMENTARY_CHARGE_C, NoiseModel, limit_of_detection, noise_charge


def test_shot_noise_hand_value() -> None:
    # 1 nA cm⁻² on 1 mm² for 1 s: I = 1e-11 A, N = I t / e = 6.24e7 e⁻, σ_N = √N = 7900 e⁻
    model = NoiseModel(area_m2=1e-6, integration_time_s=1.0, electronic_noise_e=0.0)
    sigma = noise_charge(1e-5, model)
    assert sigma / ELEMENTARY_CHARGE_C == pytest.approx(np.sqrt(1e-11 / ELEMENTARY_CHARGE_C))


def test_lod_definition() -> None:
    model = NoiseModel(area_m2=4e-6, integration_time_s=0.5, electronic_noise_e=2000)
    s = 50.0  # C Gy⁻¹ m⁻² = 5000 µC Gy⁻¹ cm⁻²
    lod = limit_of_detection(s, 2e-5, model)
    signal = s * lod * model.area_m2 * model.integration_time_s
    assert signal == pytest.approx(3 * noise_charge(2e-5, model))


def test_zero_sensitivity_never_detects() -> None:
    assert limit_of_detection(0.0, 1e-5, NoiseModel()) == float("inf")


def test_bad_model() -> None:
    with pytest.raises(InputError, match="integration_time_s must be > 0"):
        NoiseModel(integration_time_s=0)
