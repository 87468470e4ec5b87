"""Noise of an integrating readout and the limit of detection it allows.

The noise charge in one integration of length t over an electrode of area A is

    σ_Q² = e·I_d·t + σ_el²

(shot noise of the dark current I_d = J_d·A, plus the stated electronic noise σ_el).
The limit of detection follows the IUPAC convention used across the perovskite
literature: the air-kerma rate whose signal S·Ḋ·A·t equals three times σ_Q.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perovx.errors import InputError

__all__ = ["ELEMENTARY_CHARGE_C", "NoiseModel", "limit_of_detection", "noise_charge"]

#: Elementary charge, C (SI exact).
ELEMENTARY_CHARGE_C = 1.602176634e-19


@dataclass(frozen=True)
class NoiseModel:
    """Readout parameters that set the noise.

    Attributes
    ----------
    area_m2
        Electrode (pixel) area, m².
    integration_time_s
        Integration time of one reading, s.
    electronic_noise_e
        Electronic (amplifier) noise per reading, electrons rms.
    snr_threshold
        Signal-to-noise ratio defining the limit of detection (IUPAC: 3).
    """

    area_m2: float = 1e-6
    integration_time_s: float = 0.1
    electronic_noise_e: float = 1000.0
    snr_threshold: float = 3.0

    def __post_init__(self) -> None:
        for name in ("area_m2", "integration_time_s", "snr_threshold"):
            value = getattr(self, name)
            if not (value > 0 and np.isfinite(value)):
                raise InputError(f"{name} must be > 0, got {value!r}")
        if not 0 <= self.electronic_noise_e < np.inf:
            raise InputError(
                f"electronic_noise_e must be >= 0 and finite, got {self.electronic_noise_e!r}")

    def convention(self) -> str:
        """The LoD convention in words, for reports."""
        return (
            f"IUPAC: dose rate whose signal equals {self.snr_threshold:g} x the noise; noise = "
            f"dark-current shot noise + {self.electronic_noise_e:g} e- rms electronic, "
            f"over {self.integration_time_s:g} s on {self.area_m2 * 1e6:g} mm2"
        )


def noise_charge(dark_current_density_A_m2: float, model: NoiseModel) -> float:
    """Noise charge of one reading, C rms."""
    if not 0 <= dark_current_density_A_m2 < np.inf:
        raise InputError(f"dark-current density must be >= 0 A/m2 and finite, "
                         f"got {dark_current_density_A_m2!r}")
    dark = dark_current_density_A_m2 * model.area_m2
    shot = ELEMENTARY_CHARGE_C * dark * model.integration_time_s
    electronic = (model.electronic_noise_e * ELEMENTARY_CHARGE_C) ** 2
    return float(np.sqrt(shot + electronic))


def limit_of_detection(
    sensitivity_C_per_Gy_m2: float, dark_current_density_A_m2: float, model: NoiseModel
) -> float:
    """Air-kerma rate at the limit of detection, Gy s⁻¹ (finite and > 0).

    Defined only where both the signal per unit dose and the noise are non-zero: a zero
    (or underflowing) sensitivity would give an infinite LoD and a noiseless readout
    (no electronic noise and no dark current) a zero one; both are refused.

    Raises
    ------
    InputError
        If the sensitivity or the noise is zero, or the LoD is not a finite number.
    """
    if not 0 <= sensitivity_C_per_Gy_m2 < np.inf:
        raise InputError(f"sensitivity must be >= 0 and finite, got {sensitivity_C_per_Gy_m2!r}")
    sigma = noise_charge(dark_current_density_A_m2, model)
    if sigma == 0:
        raise InputError("the readout has no noise (electronic noise 0 and no dark current): "
                         "the limit of detection is not defined; give an electronic noise > 0")
    signal = sensitivity_C_per_Gy_m2 * model.area_m2 * model.integration_time_s
    lod = model.snr_threshold * sigma / signal if signal > 0 else np.inf
    if not np.isfinite(lod):
        raise InputError(f"the sensitivity ({sensitivity_C_per_Gy_m2:.3g} C Gy⁻¹ m⁻²) is too "
                         "small for a finite limit of detection (no charge is collected)")
    return float(lod)
