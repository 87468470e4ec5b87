"""The :class:`Material` record and pair-creation-energy models."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from perovx.errors import InputError
from perovx.materials.formula import Composition, parse_formula

__all__ = ["W_MODELS", "Material", "Value", "pair_creation_energy"]

#: Pair-creation-energy models: name → (slope, offset eV, reference).
W_MODELS: dict[str, tuple[float, float, str]] = {
    "klein": (2.8, 0.6, "C. A. Klein, J. Appl. Phys. 39, 2029 (1968): W = 2.8 Eg + 0.6 eV"),
    "devanathan": (
        2.0,
        1.43,
        "R. Devanathan et al., Nucl. Instrum. Methods A 565, 637 (2006): W = 2 Eg + 1.43 eV",
    ),
}


def pair_creation_energy(
    band_gap_eV: float, *, model: Literal["klein", "devanathan"] = "klein"
) -> float:
    """Mean energy to create one electron–hole pair, eV.

    Parameters
    ----------
    band_gap_eV
        Band gap, eV (> 0).
    model
        ``"klein"`` (2.8·Eg + 0.6 eV) or ``"devanathan"`` (2·Eg + 1.43 eV).
    """
    if model not in W_MODELS:
        raise InputError(f"unknown W± model {model!r}; choose one of {', '.join(W_MODELS)}")
    if not band_gap_eV > 0:
        raise InputError(f"band gap must be > 0 eV, got {band_gap_eV!r}")
    slope, offset, _ = W_MODELS[model]
    return slope * band_gap_eV + offset


@dataclass(frozen=True)
class Value:
    """A property value with its provenance.

    Attributes
    ----------
    value
        The number in the SI unit named by the field that holds it.
    source
        Where it comes from (reference, or ``"review ref. 53"``).
    estimated
        True when the number is an estimate (from a related compound, a model), not a
        measurement of this material.
    """

    value: float
    source: str = ""
    estimated: bool = False


@dataclass(frozen=True)
class Material:
    """A detector material and its properties, every number with its source.

    Units (SI): density kg m⁻³, band gap eV, mobilities m² V⁻¹ s⁻¹, mu-tau m² V⁻¹,
    resistivity Ω m, activation energy eV, pair-creation energy eV, operating electric field
    V m⁻¹ (the field the material's detectors are run at, used when no bias is given). A
    property that is unknown is ``None`` (never zero).
    """

    name: str
    formula: str
    density_kg_m3: Value | None = None
    band_gap_eV: Value | None = None
    dimensionality: str | None = None  # "0D", "1D", "2D", "3D", "amorphous"
    form: str | None = None  # "SC" single crystal, "PC" polycrystal, "film", "amorphous"
    mobility_e_m2_per_Vs: Value | None = None
    mobility_h_m2_per_Vs: Value | None = None
    mu_tau_e_m2_per_V: Value | None = None
    mu_tau_h_m2_per_V: Value | None = None
    resistivity_ohm_m: Value | None = None
    activation_energy_eV: Value | None = None
    w_pair_eV: Value | None = None
    operating_field_V_per_m: Value | None = None
    variables: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    reported: dict[str, Any] = field(default_factory=dict)

    @property
    def composition(self) -> Composition:
        """Atoms of one formula unit (parsed from :attr:`formula`)."""
        return parse_formula(self.formula, variables=self.variables)

    def density(self) -> float:
        """Density, kg m⁻³; raises :class:`InputError` when unknown."""
        if self.density_kg_m3 is None:
            raise InputError(f"material {self.name!r} has no density; give one (kg/m3)")
        return self.density_kg_m3.value

    def w_pair(self, *, model: Literal["klein", "devanathan"] = "klein") -> float:
        """Pair-creation energy W±, eV: the stored value, else from the band gap by ``model``."""
        if self.w_pair_eV is not None:
            return self.w_pair_eV.value
        if self.band_gap_eV is None:
            raise InputError(
                f"material {self.name!r}: pair-creation energy W± needs a band gap; "
                "give --band-gap or --w-pair"
            )
        return pair_creation_energy(self.band_gap_eV.value, model=model)

    def operating_bias_V(self, thickness_m: float, *, default_field_V_per_m: float) -> float:
        """Bias for a layer of ``thickness_m`` (m) at this material's operating field, V.

        Uses :attr:`operating_field_V_per_m` when the database gives one (a-Se: 10 V/µm),
        else ``default_field_V_per_m`` (V m⁻¹).
        """
        field_V_per_m = (self.operating_field_V_per_m.value
                         if self.operating_field_V_per_m is not None else default_field_V_per_m)
        return float(f"{field_V_per_m * thickness_m:.12g}")  # 2000 V, not 1999.9999999999998

    def with_values(self, **changes: Any) -> Material:
        """A copy with some fields replaced; plain floats become user-given :class:`Value` s."""
        wrapped = {
            k: (Value(float(v), "given by user") if isinstance(v, int | float) else v)
            for k, v in changes.items()
        }
        return replace(self, **wrapped)
