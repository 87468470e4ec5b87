"""Materials: formulas, X-ray interaction coefficients per unit mass, and the database.

Cross sections per unit mass (μ/ρ, μen/ρ) live here because they are properties of a
substance; what happens to a beam in a *layer* of it lives in :mod:`perovx.interaction`.
"""

from perovx.materials.coefficients import (
    ENERGY_MAX_KEV,
    ENERGY_MIN_KEV,
    air_mass_attenuation,
    air_mass_energy_absorption,
    mass_attenuation,
    mass_energy_absorption,
)
from perovx.materials.formula import CATIONS, Composition, parse_formula

__all__ = [
    "CATIONS",
    "ENERGY_MAX_KEV",
    "ENERGY_MIN_KEV",
    "Composition",
    "air_mass_attenuation",
    "air_mass_energy_absorption",
    "mass_attenuation",
    "mass_energy_absorption",
    "parse_formula",
]
