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
from perovx.materials.database import (
    MaterialEntry,
    MaterialStore,
    add_material,
    export_materials,
    get_material,
    import_materials,
    list_materials,
)
from perovx.materials.estimates import (
    VegardAlloy,
    complete_material,
    vegard_alloy,
    vegard_interpolate,
)
from perovx.materials.formula import CATIONS, Composition, parse_formula
from perovx.materials.time_response import (
    TimeResponseGap,
    TimeResponseRecord,
    time_response_gaps,
    time_response_records,
)

__all__ = [
    "CATIONS",
    "ENERGY_MAX_KEV",
    "ENERGY_MIN_KEV",
    "Composition",
    "MaterialEntry",
    "MaterialStore",
    "TimeResponseGap",
    "TimeResponseRecord",
    "VegardAlloy",
    "add_material",
    "air_mass_attenuation",
    "air_mass_energy_absorption",
    "complete_material",
    "export_materials",
    "get_material",
    "import_materials",
    "list_materials",
    "mass_attenuation",
    "mass_energy_absorption",
    "parse_formula",
    "time_response_gaps",
    "time_response_records",
    "vegard_alloy",
    "vegard_interpolate",
]
