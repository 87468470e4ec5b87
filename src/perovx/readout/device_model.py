"""The small physical model of a detector read by an instrument, behind the synthetic
source-meter files of :mod:`perovx.readout.sourcemeter`: the instrument
(:class:`SourceMeter`: noise floor, resolution, integration time), the device under test
(:class:`DeviceUnderTest`), its dark current (ohmic with an Arrhenius resistivity, drift
and settling, space-charge-limited above the trap-filled limit) and its Hecht charge
collection. SI units throughout (V, A, m, s, K)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from perovx.errors import InputError

__all__ = [
    "CONTACTS",
    "DEMO_DEVICE",
    "DeviceUnderTest",
    "SourceMeter",
    "charge_collection_efficiency",
    "dark_current",
]

_Q = 1.602176634e-19  # elementary charge, C (SI 2019 exact)
_EPS0 = 8.8541878128e-12  # vacuum permittivity, F/m (CODATA 2018)
_K_EV = 8.617333262e-5  # Boltzmann constant, eV/K (CODATA 2018)


@dataclass(frozen=True)
class SourceMeter:
    """The instrument: sampling, noise floor and resolution.

    Attributes
    ----------
    sample_interval_s
        Time between readings, s; each reading integrates the current over this time.
    noise_floor_A
        RMS white noise of one reading on the range used, A.
    resolution_A
        Resolution (least significant digit) of a reading, A.
    """

    sample_interval_s: float = 0.1
    noise_floor_A: float = 1.0e-13
    resolution_A: float = 1.0e-16


@dataclass(frozen=True)
class DeviceUnderTest:
    """Physical model of a two-electrode detector (SI units).

    Attributes
    ----------
    area_m2
        Electrode area, m² (4e-6 m² = 0.04 cm²).
    thickness_m
        Thickness between the electrodes, m.
    resistivity_ohm_m
        Dark resistivity at ``reference_temperature_K``, Ω m. Default 5.27e9 Ω m
        (5.27e11 Ω cm, MA3Bi2I9 single crystal, out of plane, as quoted in the review).
    activation_energy_eV
        Activation energy of the dark conductivity, eV. Default 0.46 eV (MA3Bi2I9 ion
        migration, as quoted in the review).
    reference_temperature_K
        Temperature of ``resistivity_ohm_m``, K.
    full_sensitivity_C_per_Gy_m2
        Sensitivity with every generated pair collected, C Gy⁻¹ m⁻² (21.5 = 2150 µC
        Gy⁻¹ cm⁻²); the measured sensitivity is this times the collection efficiency.
    mu_tau_h_m2_per_V, mu_tau_e_m2_per_V
        Mobility–lifetime products, m² V⁻¹, of the carrier crossing the sample at
        positive (holes: the irradiated electrode is the anode) and negative bias.
    surface_recombination_ratio_V_per_m
        Many's ratio s/μ of surface recombination velocity to mobility, V m⁻¹ (0: none).
    mobility_m2_per_Vs
        Mobility in the space-charge-limited (Child) regime, m² V⁻¹ s⁻¹.
    trap_density_per_m3
        Trap density setting the trap-filled-limit voltage, m⁻³.
    relative_permittivity
        Static relative permittivity.
    rise_time_constant_s, fall_time_constant_s
        First-order time constants of the fast photocurrent component, s.
    lag_fraction, lag_time_constant_s
        Fraction of the photocurrent in a slow component and its time constant, s.
    flicker_coefficient
        1/f noise coefficient K in ``S_I(f) = K·I²/f`` (dimensionless).
    drift_per_s
        Relative linear drift of the dark current, s⁻¹.
    settle_fraction, settle_time_s
        Relative amplitude and time constant, s, of the dark-current transient after
        the bias is applied (0: none).
    saturation_current_A
        Photocurrent at which the response saturates, ``I/(1 + I/I_sat)``, A (``None``:
        linear).
    contacts
        ``"blocking"`` (each pair is collected at most once: Hecht) or ``"ohmic"``
        (injecting contacts replace the carrier that leaves, so it circulates for its
        lifetime: photoconductive gain ``G = τ/t_tr = μτ·|V|/d²``, which exceeds 1 above
        ``|V| = d²/μτ``).
    """

    area_m2: float = 4.0e-6
    thickness_m: float = 1.0e-3
    resistivity_ohm_m: float = 5.27e9
    activation_energy_eV: float = 0.46
    reference_temperature_K: float = 300.0
    full_sensitivity_C_per_Gy_m2: float = 21.5
    mu_tau_h_m2_per_V: float = 1.0e-7
    mu_tau_e_m2_per_V: float = 4.0e-8
    surface_recombination_ratio_V_per_m: float = 0.0
    mobility_m2_per_Vs: float = 1.0e-4
    trap_density_per_m3: float = 3.0e16
    relative_permittivity: float = 28.0
    rise_time_constant_s: float = 0.03
    fall_time_constant_s: float = 0.05
    lag_fraction: float = 0.03
    lag_time_constant_s: float = 0.4
    flicker_coefficient: float = 5.0e-7
    drift_per_s: float = 1.0e-5
    settle_fraction: float = 0.0
    settle_time_s: float = 60.0
    saturation_current_A: float | None = None
    contacts: str = "blocking"

    def __post_init__(self) -> None:
        if self.contacts not in CONTACTS:
            raise InputError(
                f"DeviceUnderTest.contacts must be one of {', '.join(CONTACTS)}, "
                f"got {self.contacts!r}"
            )
        for name in (
            "area_m2",
            "thickness_m",
            "resistivity_ohm_m",
            "full_sensitivity_C_per_Gy_m2",
            "mu_tau_h_m2_per_V",
            "mu_tau_e_m2_per_V",
            "mobility_m2_per_Vs",
            "relative_permittivity",
            "rise_time_constant_s",
            "fall_time_constant_s",
            "lag_time_constant_s",
            "settle_time_s",
        ):
            if not getattr(self, name) > 0:
                raise InputError(f"DeviceUnderTest.{name} must be > 0, got {getattr(self, name)!r}")

    @property
    def permittivity_F_per_m(self) -> float:
        """Absolute permittivity ε = ε_r·ε₀, F m⁻¹."""
        return self.relative_permittivity * _EPS0

    @property
    def trap_filled_limit_V(self) -> float:
        """Trap-filled-limit voltage ``V_TFL = e·n_t·d²/(2ε)``, V."""
        return _Q * self.trap_density_per_m3 * self.thickness_m**2 / (2 * self.permittivity_F_per_m)


#: Contact types of :class:`DeviceUnderTest`.
CONTACTS = ("blocking", "ohmic")

#: The default device of the demos and examples.
DEMO_DEVICE = DeviceUnderTest()


def dark_current(device: DeviceUnderTest, bias_V: Any, *, temperature_K: Any = None) -> Any:
    """Ohmic dark current ``V·A/(ρ(T)·d)``, A (sign of the bias).

    Parameters
    ----------
    device
        The detector.
    bias_V
        Bias, V (scalar or array).
    temperature_K
        Temperature, K (default: the device's reference temperature).
    """
    import numpy as np

    t = device.reference_temperature_K if temperature_K is None else np.asarray(temperature_K)
    rho = device.resistivity_ohm_m * np.exp(
        device.activation_energy_eV / _K_EV * (1.0 / t - 1.0 / device.reference_temperature_K)
    )
    return np.asarray(bias_V) * device.area_m2 / (rho * device.thickness_m)


def charge_collection_efficiency(device: DeviceUnderTest, bias_V: Any) -> Any:
    """Collected charge per generated pair: Hecht, or photoconductive gain for ohmic contacts.

    Blocking contacts: ``CCE = x·(1 − exp(−1/x))/(1 + (s/μ)·d/|V|)`` with ``x = μτ·|V|/d²``
    (Hecht, with Many's surface term when ``s/μ`` > 0). Ohmic (injecting) contacts: the
    photoconductive gain ``G = x/(1 + (s/μ)·d/|V|)``, carrier lifetime over transit time,
    which is not bounded by 1. μτ is that of holes at positive bias and of electrons at
    negative bias.
    """
    import numpy as np

    v = np.asarray(bias_V, dtype=float)
    mt = np.where(v >= 0, device.mu_tau_h_m2_per_V, device.mu_tau_e_m2_per_V)
    av = np.maximum(np.abs(v), 1e-300)
    x = mt * av / device.thickness_m**2
    hecht = x if device.contacts == "ohmic" else x * -np.expm1(-1.0 / x)
    many = 1.0 + device.surface_recombination_ratio_V_per_m * device.thickness_m / av
    return hecht / many
