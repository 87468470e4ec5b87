"""Phantom materials: composition by mass and density, and their μ(E).

Material compositions (mass fractions) and densities: ICRU-44 soft tissue and cortical
bone as tabulated by J. H. Hubbell and S. M. Seltzer, NIST X-ray mass attenuation
coefficients (NISTIR 5632, Table 2); PMMA C₅H₈O₂, 1190 kg m⁻³ (same table); pure
elements at their handbook densities; FR-4 as a stated approximation of a brominated
epoxy / E-glass laminate (60 % glass, 40 % resin with 30 % Br), 1850 kg m⁻³. Attenuation
coefficients come from :func:`perovx.materials.mass_attenuation` (xraylib).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from perovx.errors import InputError, UnknownNameError
from perovx.materials.coefficients import mass_attenuation

__all__ = ["PHANTOM_MATERIALS", "PhantomMaterial", "get_phantom_material"]


@dataclass(frozen=True)
class PhantomMaterial:
    """A phantom material: composition by mass and density.

    Attributes
    ----------
    name
        Key, e.g. ``"Pb"`` or ``"soft_tissue"``.
    mass_fractions
        Element symbol → mass fraction (sums to 1).
    density_kg_m3
        Density, kg m⁻³.
    source
        Where the composition and density come from.
    """

    name: str
    mass_fractions: Mapping[str, float]
    density_kg_m3: float
    source: str

    def mu_per_m(self, energy_keV: np.ndarray) -> np.ndarray:
        """Linear attenuation coefficient μ at ``energy_keV``, m⁻¹."""
        return mass_attenuation(dict(self.mass_fractions), energy_keV) * self.density_kg_m3


def _fr4() -> dict[str, float]:
    # E-glass (SiO2 55, CaO 20, Al2O3 15, B2O3 7, MgO 3 % by mass) and a brominated
    # epoxy resin (C 0.52, H 0.04, O 0.14, Br 0.30), 60 : 40 by mass.
    oxides = {"SiO2": 0.55, "CaO": 0.20, "Al2O3": 0.15, "B2O3": 0.07, "MgO": 0.03}
    from perovx.materials.formula import parse_formula

    glass: dict[str, float] = {}
    for formula, w in oxides.items():
        for el, f in parse_formula(formula).mass_fractions.items():
            glass[el] = glass.get(el, 0.0) + w * f
    resin = {"C": 0.52, "H": 0.04, "O": 0.14, "Br": 0.30}
    out: dict[str, float] = {}
    for part, w in ((glass, 0.6), (resin, 0.4)):
        for el, f in part.items():
            out[el] = out.get(el, 0.0) + w * f
    return out


_NIST = "Hubbell & Seltzer, NISTIR 5632, Table 2"
_HANDBOOK = "CRC Handbook of Chemistry and Physics (room-temperature density)"

PHANTOM_MATERIALS: dict[str, PhantomMaterial] = {
    m.name: m
    for m in (
        PhantomMaterial("Pb", {"Pb": 1.0}, 11350.0, _HANDBOOK),
        PhantomMaterial("W", {"W": 1.0}, 19300.0, _HANDBOOK),
        PhantomMaterial("Al", {"Al": 1.0}, 2699.0, _NIST),
        PhantomMaterial("Cu", {"Cu": 1.0}, 8960.0, _NIST),
        PhantomMaterial("Sn", {"Sn": 1.0}, 7310.0, _NIST),
        PhantomMaterial("Au", {"Au": 1.0}, 19320.0, _NIST),
        PhantomMaterial("Si", {"Si": 1.0}, 2330.0, _NIST),
        PhantomMaterial("PMMA", {"H": 0.080538, "C": 0.599848, "O": 0.319614}, 1190.0, _NIST),
        PhantomMaterial("water", {"H": 0.111894, "O": 0.888106}, 1000.0, _NIST),
        PhantomMaterial(
            "soft_tissue",
            {"H": 0.102, "C": 0.143, "N": 0.034, "O": 0.708, "Na": 0.002, "P": 0.003,
             "S": 0.003, "Cl": 0.002, "K": 0.003},
            1060.0,
            _NIST + " (ICRU-44 soft tissue)",
        ),
        PhantomMaterial(
            "cortical_bone",
            {"H": 0.034, "C": 0.155, "N": 0.042, "O": 0.435, "Na": 0.001, "Mg": 0.002,
             "P": 0.103, "S": 0.003, "Ca": 0.225},
            1920.0,
            _NIST + " (ICRU-44 cortical bone)",
        ),
        PhantomMaterial(
            "alumina", {"Al": 0.529251, "O": 0.470749}, 3950.0,
            _HANDBOOK + " (Al2O3 ceramic of chip components)",
        ),
        PhantomMaterial(
            "mold_compound", {"C": 0.20, "H": 0.02, "O": 0.43, "Si": 0.35}, 1950.0,
            "stated approximation: epoxy moulding compound with ~75 % silica filler",
        ),
        PhantomMaterial(
            "FR4", _fr4(), 1850.0,
            "stated approximation: brominated epoxy / E-glass laminate (60 % glass)",
        ),
    )
}


def get_phantom_material(name: str | Mapping[str, object]) -> PhantomMaterial:
    """A phantom material by name, or from ``{"formula": ..., "density_kg_m3": ...}``.

    Parameters
    ----------
    name
        A key of :data:`PHANTOM_MATERIALS`, or a mapping with a chemical ``formula`` (or
        ``mass_fractions``) and ``density_kg_m3``.
    """
    if isinstance(name, Mapping):
        from perovx.materials.formula import parse_formula

        if "density_kg_m3" not in name:
            raise InputError(f"phantom material {dict(name)!r} needs density_kg_m3")
        density = float(name["density_kg_m3"])  # type: ignore[arg-type]
        if not density > 0:
            raise InputError(f"phantom material density must be > 0 kg/m3, got {density!r}")
        if "formula" in name:
            formula = str(name["formula"])
            fractions = parse_formula(formula).mass_fractions
            label = str(name.get("name", formula))
        elif "mass_fractions" in name:
            fractions = dict(name["mass_fractions"])  # type: ignore[call-overload]
            label = str(name.get("name", "custom"))
        else:
            raise InputError("a custom phantom material needs a formula or mass_fractions")
        return PhantomMaterial(label, fractions, density, "given by user")
    if name in PHANTOM_MATERIALS:
        return PHANTOM_MATERIALS[name]
    lowered = {k.lower(): v for k, v in PHANTOM_MATERIALS.items()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    raise UnknownNameError(
        f"unknown phantom material {name!r}; known: {', '.join(PHANTOM_MATERIALS)}, or give "
        "a formula with density_kg_m3"
    )
