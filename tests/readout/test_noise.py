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


def test_zero_sensitivity_has_no_finite_lod() -> None:
    with pytest.raises(InputError, match="too small for a finite limit of detection"):
        limit_of_detection(0.0, 1e-5, NoiseModel())
    with pytest.raises(InputError, match="too small for a finite limit of detection"):
        limit_of_detection(1e-320, 1e-5, NoiseModel())  # a denormal S: LoD overflows


def test_noiseless_readout_is_refused_not_zero() -> None:
    with pytest.raises(InputError, match="no noise"):
        limit_of_detection(1e-2, 0.0, NoiseModel(electronic_noise_e=0.0))
    # dark-current shot noise alone is enough for a finite LoD
    assert 0 < limit_of_detection(1e-2, 1e-5, NoiseModel(electronic_noise_e=0.0)) < 1


@pytest.mark.parametrize("noise", [float("inf"), float("nan"), -1.0])
def test_non_finite_electronic_noise_is_refused(noise: float) -> None:
    with pytest.raises(InputError, match="electronic_noise_e"):
        NoiseModel(electronic_noise_e=noise)


def test_bad_model() -> None:
    with pytest.raises(InputError, match="integration_time_s must be > 0"):
        NoiseModel(integration_time_s=0)
