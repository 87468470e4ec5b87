"""Figures of merit of a detector predicted from material properties (``perovx evaluate``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from perovx.errors import DomainError, InputError
from perovx.interaction.absorption import (
    AbsorptionModel,
    absorbed_fraction_per_energy,
    layer_coefficients,
    thickness_for_absorption,
)
from perovx.interaction.sensitivity import UC_PER_GY_CM2, theoretical_sensitivity
from perovx.materials.estimates import estimate_notes
from perovx.materials.material import Material
from perovx.readout.noise import NoiseModel, limit_of_detection
from perovx.spectra.beam import Beam
from perovx.transport.dark import ROOM_TEMPERATURE_K, dark_current_density
from perovx.transport.hecht import Polarity, hecht_cce_exponential

__all__ = ["DetectorFigures", "check_invariants", "evaluate"]


@dataclass(frozen=True)
class DetectorFigures:
    """Predicted figures of merit of one detector (SI units; see :meth:`to_dict` for field units).

    Attributes
    ----------
    interaction_fraction
        Fraction of incident photons that interact in the layer.
    absorbed_fraction
        Fraction of the incident energy absorbed in the layer (μen/μ approximation).
    s0_C_per_Gy_m2
        Theoretical sensitivity S0, C Gy⁻¹ m⁻².
    absorption_limited_C_per_Gy_m2
        S0 × absorbed fraction, C Gy⁻¹ m⁻².
    cce
        Charge-collection efficiency of the absorbed energy (depth-resolved Hecht).
    sensitivity_C_per_Gy_m2
        Predicted sensitivity, C Gy⁻¹ m⁻².
    dark_current_A_per_m2
        Dark-current density, A m⁻².
    lod_Gy_per_s
        Limit of detection, Gy s⁻¹ (air kerma rate).
    """

    material: str
    formula: str
    beam: str
    thickness_m: float
    bias_V: float
    polarity: str
    temperature_K: float
    w_pair_eV: float
    mean_energy_keV: float
    interaction_fraction: float
    absorbed_fraction: float
    s0_C_per_Gy_m2: float
    absorption_limited_C_per_Gy_m2: float
    cce: float
    sensitivity_C_per_Gy_m2: float
    dark_current_A_per_m2: float
    noise: NoiseModel
    lod_Gy_per_s: float
    thickness_90_m: float
    absorption_model: str = "slab"
    notes: tuple[str, ...] = field(default=())

    @property
    def normalized_sensitivity(self) -> float:
        """S/S0, the review's normalised sensitivity."""
        return self.sensitivity_C_per_Gy_m2 / self.s0_C_per_Gy_m2

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures with field units in the keys."""
        return {
            "material": self.material,
            "formula": self.formula,
            "beam": self.beam,
            "thickness_um": self.thickness_m * 1e6,
            "bias_V": self.bias_V,
            "field_V_per_um": self.bias_V / (self.thickness_m * 1e6),
            "polarity": self.polarity,
            "temperature_K": self.temperature_K,
            "w_pair_eV": self.w_pair_eV,
            "mean_energy_keV": self.mean_energy_keV,
            "interaction_fraction": self.interaction_fraction,
            "absorbed_fraction": self.absorbed_fraction,
            "absorption_model": self.absorption_model,
            "thickness_for_90pct_absorption_um": self.thickness_90_m * 1e6,
            "s0_uC_per_Gy_cm2": self.s0_C_per_Gy_m2 / UC_PER_GY_CM2,
            "absorption_limited_sensitivity_uC_per_Gy_cm2": (
                self.absorption_limited_C_per_Gy_m2 / UC_PER_GY_CM2
            ),
            "cce": self.cce,
            "sensitivity_uC_per_Gy_cm2": self.sensitivity_C_per_Gy_m2 / UC_PER_GY_CM2,
            "normalized_sensitivity": self.normalized_sensitivity,
            "dark_current_nA_per_cm2": self.dark_current_A_per_m2 * 1e9 * 1e-4,
            "lod_nGy_per_s": self.lod_Gy_per_s * 1e9,
            "lod_convention": self.noise.convention(),
            "area_mm2": self.noise.area_m2 * 1e6,
            "integration_time_s": self.noise.integration_time_s,
            "electronic_noise_e": self.noise.electronic_noise_e,
            "notes": list(self.notes),
        }


def _prop(material: Material, name: str, override: float | None) -> float | None:
    if override is not None:
        return override
    value = getattr(material, name)
    return None if value is None else value.value


def evaluate(
    material: Material,
    *,
    thickness_m: float,
    bias_V: float,
    beam: Beam,
    polarity: Polarity = "negative",
    temperature_K: float = ROOM_TEMPERATURE_K,
    noise: NoiseModel | None = None,
    w_model: str = "klein",
    w_pair_eV: float | None = None,
    density_kg_m3: float | None = None,
    mu_tau_e_m2_per_V: float | None = None,
    mu_tau_h_m2_per_V: float | None = None,
    resistivity_ohm_m: float | None = None,
    absorption: AbsorptionModel = "slab",
) -> DetectorFigures:
    """Predict the figures of merit of a planar detector from its material properties.

    Parameters
    ----------
    material
        The material (database entry or built from a formula); properties given as
        keyword arguments override its own.
    thickness_m
        Layer thickness, m (> 0).
    bias_V
        Bias across the layer, V (non-zero).
    beam
        Incident beam.
    polarity
        Sign of the bias on the irradiated electrode (``"negative"``: electrons drift
        away from the irradiated side).
    temperature_K
        Operating temperature, K (dark current through the activation energy Ea).
    noise
        Readout noise parameters for the limit of detection (default: 1 mm², 0.1 s,
        1000 e⁻ rms).
    w_model, w_pair_eV
        Pair-creation energy: explicit value, else the material's, else from the band
        gap by ``w_model`` (``"klein"`` or ``"devanathan"``).
    density_kg_m3, mu_tau_e_m2_per_V, mu_tau_h_m2_per_V, resistivity_ohm_m
        Overrides of the material's properties (SI).
    absorption
        Energy-absorption model of the layer: ``"slab"`` (fluorescence and scatter
        reabsorption followed; default) or ``"local"`` (μen/μ); see
        :mod:`perovx.interaction.absorption`.

    Notes
    -----
    Valid for a planar layer in a uniform field (no space charge, no polarisation),
    Hecht trapping without detrapping, no photoconductive gain (so S ≤ S0), ohmic dark
    current with thermally activated resistivity. Numerically the models hold for every
    finite positive input (the depth-averaged Hecht CCE is evaluated without
    cancellation, see :mod:`perovx.transport.hecht`); the ranges users may type are those
    of :data:`perovx.units.FIELDS`. Every result passes :func:`check_invariants`.

    Raises
    ------
    InputError
        For a non-positive or non-finite input, missing material data, or a zero
        sensitivity or noise (no finite LoD).
    DomainError
        If a figure left its physical domain despite that (never seen; a guard).
    """
    if not (thickness_m > 0 and np.isfinite(thickness_m)):
        raise InputError(f"thickness must be > 0, got {thickness_m!r} m")
    if bias_V == 0 or not np.isfinite(bias_V):
        raise InputError(f"bias must be a non-zero number of volts, got {bias_V!r}")
    if not 0 < temperature_K < np.inf:
        raise InputError(f"temperature must be > 0 K and finite, got {temperature_K!r}")
    for label, value in (("W±", w_pair_eV), ("density", density_kg_m3),
                         ("electron mu-tau", mu_tau_e_m2_per_V),
                         ("hole mu-tau", mu_tau_h_m2_per_V), ("resistivity", resistivity_ohm_m)):
        if value is not None and not 0 < value < np.inf:
            raise InputError(f"{label} must be > 0 and finite, got {value!r}")
    noise = noise or NoiseModel()
    notes: list[str] = []
    rho = density_kg_m3 if density_kg_m3 is not None else material.density()
    w = w_pair_eV if w_pair_eV is not None else material.w_pair(model=w_model)  # type: ignore[arg-type]
    mte = _prop(material, "mu_tau_e_m2_per_V", mu_tau_e_m2_per_V)
    mth = _prop(material, "mu_tau_h_m2_per_V", mu_tau_h_m2_per_V)
    if mte is None and mth is None:
        raise InputError(
            f"material {material.name!r} has no mu-tau product for either carrier; "
            "give --mu-tau-e and/or --mu-tau-h"
        )
    for carrier, value in (("electron", mte), ("hole", mth)):
        if value is None:
            notes.append(f"{carrier} mu-tau unknown: {carrier}s counted as not collected")
    resistivity = _prop(material, "resistivity_ohm_m", resistivity_ohm_m)
    if resistivity is None:
        raise InputError(
            f"material {material.name!r} has no resistivity; give --resistivity (e.g. 1e11ohm*cm)"
        )
    ea = _prop(material, "activation_energy_eV", None)
    w_given = w_pair_eV if w_pair_eV is not None else material.w_pair_eV
    notes.extend(estimate_notes(material, used=[
        attr for attr, override in (
            ("density_kg_m3", density_kg_m3), ("band_gap_eV", w_given),
            ("mu_tau_e_m2_per_V", mu_tau_e_m2_per_V), ("mu_tau_h_m2_per_V", mu_tau_h_m2_per_V),
            ("resistivity_ohm_m", resistivity_ohm_m),
        ) if override is None
    ]))

    coeffs = layer_coefficients(material, beam.energy_keV, density_kg_m3=rho)
    mu = coeffs.mu_per_m
    interacting = -np.expm1(-mu * thickness_m)
    absorbed = absorbed_fraction_per_energy(  # energy fraction per bin
        material, thickness_m, beam.energy_keV, model=absorption, density_kg_m3=rho,
        coefficients=coeffs,
    )
    energy_weight = beam.fluence_per_Gy * beam.energy_keV
    absorbed_fraction = float(np.sum(energy_weight * absorbed) / np.sum(energy_weight))
    cce_per_bin = hecht_cce_exponential(
        mu,
        thickness_m=thickness_m,
        bias_V=bias_V,
        mu_tau_e_m2_per_V=mte,
        mu_tau_h_m2_per_V=mth,
        polarity=polarity,
    )
    absorbed_weight = energy_weight * absorbed
    cce = float(np.sum(absorbed_weight * cce_per_bin) / np.sum(absorbed_weight))
    s0 = theoretical_sensitivity(beam, w)
    s_abs = s0 * absorbed_fraction
    sensitivity = s_abs * cce
    jd = dark_current_density(
        resistivity, thickness_m, bias_V, temperature_K=temperature_K, activation_energy_eV=ea
    )
    figures = DetectorFigures(
        material=material.name,
        formula=material.formula,
        beam=beam.name,
        thickness_m=thickness_m,
        bias_V=bias_V,
        polarity=polarity,
        temperature_K=temperature_K,
        w_pair_eV=w,
        mean_energy_keV=beam.mean_energy_keV,
        interaction_fraction=float(np.sum(beam.photon_probabilities * interacting)),
        absorbed_fraction=absorbed_fraction,
        s0_C_per_Gy_m2=s0,
        absorption_limited_C_per_Gy_m2=s_abs,
        cce=cce,
        sensitivity_C_per_Gy_m2=sensitivity,
        dark_current_A_per_m2=jd,
        noise=noise,
        lod_Gy_per_s=limit_of_detection(sensitivity, jd, noise),
        thickness_90_m=thickness_for_absorption(material, beam, 0.9, density_kg_m3=rho),
        absorption_model=absorption,
        notes=tuple(notes),
    )
    check_invariants(figures)
    return figures


#: Rounding allowance of the invariant checks (fractions summed over energy bins).
_ROUNDING = 1e-9


def check_invariants(figures: DetectorFigures, *, gain: float = 1.0) -> None:
    """Assert the physical domain of every figure; raise :class:`DomainError` if one left it.

    Checked: every number finite; interaction fraction, absorbed fraction and CCE in
    [0, 1]; S0 > 0; 0 ≤ S ≤ S0 × ``gain`` (no photoconductive gain in :func:`evaluate`,
    so ``gain`` = 1); dark current ≥ 0; LoD > 0. The models each refuse inputs outside
    their validity; this is the last line of defence against a number that is not
    physics reaching a user.
    """
    values = {
        "interaction fraction": figures.interaction_fraction,
        "absorbed fraction": figures.absorbed_fraction,
        "CCE": figures.cce,
        "S0": figures.s0_C_per_Gy_m2,
        "absorption-limited sensitivity": figures.absorption_limited_C_per_Gy_m2,
        "sensitivity": figures.sensitivity_C_per_Gy_m2,
        "dark-current density": figures.dark_current_A_per_m2,
        "limit of detection": figures.lod_Gy_per_s,
        "thickness for 90 % absorption": figures.thickness_90_m,
    }
    problems = [f"{k} = {v!r} is not finite" for k, v in values.items() if not np.isfinite(v)]
    for key in ("interaction fraction", "absorbed fraction", "CCE"):
        if not -_ROUNDING <= values[key] <= 1 + _ROUNDING:
            problems.append(f"{key} = {values[key]:.6g} is outside [0, 1]")
    s0 = figures.s0_C_per_Gy_m2
    if not s0 > 0:
        problems.append(f"S0 = {s0!r} is not > 0")
    for key in ("absorption-limited sensitivity", "sensitivity"):
        if not 0 <= values[key] <= s0 * gain * (1 + _ROUNDING):
            problems.append(f"{key} = {values[key]:.6g} C/(Gy m²) is outside [0, S0 × gain = "
                            f"{s0 * gain:.6g}]")
    if not figures.dark_current_A_per_m2 >= 0:
        problems.append(f"dark-current density = {figures.dark_current_A_per_m2!r} is < 0")
    if not figures.lod_Gy_per_s > 0:
        problems.append(f"limit of detection = {figures.lod_Gy_per_s!r} is not > 0")
    if problems:
        raise DomainError(
            f"{figures.material}, {figures.thickness_m:g} m, {figures.bias_V:g} V, "
            f"{figures.beam}: the models give an unphysical result ({'; '.join(problems)}); "
            "the inputs are outside the range where the models hold"
        )
