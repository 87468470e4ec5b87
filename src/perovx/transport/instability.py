"""Baseline (dark-current) drift from ion migration: a phenomenological model.

Under bias, mobile ions (in halide perovskites mainly halide vacancies) drift towards the
electrodes, pile up there, lower the injection barriers and make the dark current creep
upwards until the ions have redistributed (review: "serious baseline drift caused by
ionic migration" in MAPbI₃ wafers; Bi-based 0D perovskites with E_a ≈ 0.46–0.91 eV are
stable). perovx describes this with the smallest model that carries the material's
ion-migration activation energy E_a:

* ion diffusion coefficient (Arrhenius): D_ion(T) = D₀ exp(−E_a / kT);
* ion mobility (Einstein): μ_ion = D_ion e / kT;
* time for the ions to cross the layer in the applied field, which sets the drift time
  constant: τ_ion = L² / (μ_ion |V|);
* dark current after a time t under bias:
  J(t) = J₀ [1 + A (1 − exp(−t / τ_ion))],
  with A the relative rise once the ions have redistributed.

Parameters and where they come from (stated assumptions; no measured drift curve of the
review's materials gives them directly):

* D₀ = 10⁻⁶ m² s⁻¹ (:data:`ION_DIFFUSION_PREFACTOR_M2_PER_S`): with E_a = 0.58 eV, the
  computed iodide-vacancy barrier in MAPbI₃, it gives D ≈ 2 × 10⁻¹⁶ m² s⁻¹
  (2 × 10⁻¹² cm² s⁻¹) at 300 K, the order of magnitude computed by C. Eames et al.,
  Nat. Commun. 6, 7497 (2015). With the review's E_a = 0.25 eV for MAPbI₃ single
  crystals, a 1 mm layer at 100 V drifts within seconds; with E_a = 0.46 eV (MA₃Bi₂I₉
  single crystal) in a few hours; with 0.91 eV (spray-coated MA₃Bi₂I₉) never on the time
  scale of an acquisition.
* A = 1 (:data:`DEFAULT_DRIFT_AMPLITUDE`): the dark current doubles once the ions have
  redistributed; the shape of the drift, not A, is what the model claims.

The drift is a baseline that the offset correction, taken before the acquisition, does
not follow: over a long scan (line or point scan) it appears as a gradient along the
scan, and a large drift can saturate the readout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from perovx.errors import InputError
from perovx.transport.dark import BOLTZMANN_EV_PER_K, ROOM_TEMPERATURE_K

__all__ = [
    "DEFAULT_DRIFT_AMPLITUDE",
    "ION_DIFFUSION_PREFACTOR_M2_PER_S",
    "IonMigration",
    "ion_diffusion_coefficient",
    "ion_transit_time_s",
]

#: Pre-exponential factor of the ion diffusion coefficient, m² s⁻¹ (stated assumption,
#: see the module notes).
ION_DIFFUSION_PREFACTOR_M2_PER_S = 1e-6

#: Relative rise of the dark current once the ions have redistributed (stated assumption).
DEFAULT_DRIFT_AMPLITUDE = 1.0


def ion_diffusion_coefficient(
    activation_energy_eV: float,
    *,
    temperature_K: float = ROOM_TEMPERATURE_K,
    prefactor_m2_per_s: float = ION_DIFFUSION_PREFACTOR_M2_PER_S,
) -> float:
    """Ion diffusion coefficient D₀ exp(−E_a/kT), m² s⁻¹.

    Parameters
    ----------
    activation_energy_eV
        Ion-migration activation energy E_a, eV (≥ 0).
    temperature_K
        Temperature, K (> 0).
    prefactor_m2_per_s
        D₀, m² s⁻¹ (> 0).
    """
    if not activation_energy_eV >= 0:
        raise InputError(
            f"ion-migration activation energy must be >= 0 eV, got {activation_energy_eV!r}"
        )
    if not temperature_K > 0:
        raise InputError(f"temperature must be > 0 K, got {temperature_K!r}")
    if not prefactor_m2_per_s > 0:
        raise InputError(f"diffusion prefactor must be > 0 m2/s, got {prefactor_m2_per_s!r}")
    return prefactor_m2_per_s * math.exp(
        -activation_energy_eV / (BOLTZMANN_EV_PER_K * temperature_K)
    )


def ion_transit_time_s(
    activation_energy_eV: float,
    *,
    thickness_m: float,
    bias_V: float,
    temperature_K: float = ROOM_TEMPERATURE_K,
    prefactor_m2_per_s: float = ION_DIFFUSION_PREFACTOR_M2_PER_S,
) -> float:
    """Time for mobile ions to cross the layer, L²/(μ_ion|V|), s.

    μ_ion = D_ion/(kT/e) (Einstein relation). Infinite at zero bias.
    """
    if not thickness_m > 0:
        raise InputError(f"thickness must be > 0 m, got {thickness_m!r}")
    if bias_V == 0:
        return math.inf
    d = ion_diffusion_coefficient(
        activation_energy_eV, temperature_K=temperature_K, prefactor_m2_per_s=prefactor_m2_per_s
    )
    mobility = d / (BOLTZMANN_EV_PER_K * temperature_K)
    if mobility == 0:
        return math.inf
    return thickness_m**2 / (mobility * abs(bias_V))


@dataclass(frozen=True)
class IonMigration:
    """Ion-migration drift of the dark current of one biased layer.

    Attributes
    ----------
    activation_energy_eV
        Ion-migration activation energy E_a, eV.
    thickness_m
        Layer thickness, m.
    bias_V
        Applied bias, V.
    temperature_K
        Temperature, K.
    amplitude
        Relative rise A of the dark current at saturation (≥ 0).
    prefactor_m2_per_s
        Pre-exponential factor D₀ of the ion diffusion coefficient, m² s⁻¹.
    """

    activation_energy_eV: float
    thickness_m: float
    bias_V: float
    temperature_K: float = ROOM_TEMPERATURE_K
    amplitude: float = DEFAULT_DRIFT_AMPLITUDE
    prefactor_m2_per_s: float = ION_DIFFUSION_PREFACTOR_M2_PER_S

    def __post_init__(self) -> None:
        if not (self.amplitude >= 0 and math.isfinite(self.amplitude)):
            raise InputError(f"drift amplitude must be >= 0, got {self.amplitude!r}")
        # validates E_a, T, D₀ and thickness
        ion_transit_time_s(
            self.activation_energy_eV,
            thickness_m=self.thickness_m,
            bias_V=self.bias_V,
            temperature_K=self.temperature_K,
            prefactor_m2_per_s=self.prefactor_m2_per_s,
        )

    @property
    def time_constant_s(self) -> float:
        """Drift time constant τ_ion (ion transit time), s."""
        return ion_transit_time_s(
            self.activation_energy_eV,
            thickness_m=self.thickness_m,
            bias_V=self.bias_V,
            temperature_K=self.temperature_K,
            prefactor_m2_per_s=self.prefactor_m2_per_s,
        )

    def dark_factor(self, time_s: np.ndarray | float) -> np.ndarray:
        """J(t)/J₀ = 1 + A(1 − exp(−t/τ_ion)) after ``time_s`` seconds under bias.

        Parameters
        ----------
        time_s
            Time since the bias was applied, s (≥ 0).
        """
        t = np.asarray(time_s, dtype=float)
        if np.any(t < 0):
            raise InputError("time under bias must be >= 0 s")
        tau = self.time_constant_s
        if math.isinf(tau):
            return np.ones_like(t)
        return 1.0 + self.amplitude * -np.expm1(-t / tau)

    def mean_dark_factor(self, start_s: np.ndarray | float, duration_s: float) -> np.ndarray:
        """Mean of :meth:`dark_factor` over integration windows [start, start + duration].

        Parameters
        ----------
        start_s
            Start of each window, s after the bias was applied (≥ 0).
        duration_s
            Window length, s (> 0).
        """
        t0 = np.asarray(start_s, dtype=float)
        if not duration_s > 0:
            raise InputError(f"integration time must be > 0 s, got {duration_s!r}")
        if np.any(t0 < 0):
            raise InputError("time under bias must be >= 0 s")
        tau = self.time_constant_s
        if math.isinf(tau):
            return np.ones_like(t0)
        # (1/Δ)∫ e^{−t/τ} dt over the window = e^{−t0/τ} τ(1 − e^{−Δ/τ})/Δ
        mean_exp = np.exp(-t0 / tau) * tau * -np.expm1(-duration_s / tau) / duration_s
        return 1.0 + self.amplitude * (1.0 - mean_exp)
