"""Interaction: what a beam does in a layer — attenuation, energy absorption,
theoretical and absorption-limited sensitivity, and Monte Carlo photon transport."""

from perovx.interaction.absorption import (
    ABSORPTION_MODELS,
    LayerCoefficients,
    absorbed_energy_fraction,
    absorbed_fraction_per_energy,
    attenuated_fraction,
    layer_coefficients,
    thickness_for_absorption,
)
from perovx.interaction.sensitivity import (
    UC_PER_GY_CM2,
    absorption_limited_sensitivity,
    theoretical_sensitivity,
)

__all__ = [
    "ABSORPTION_MODELS",
    "UC_PER_GY_CM2",
    "LayerCoefficients",
    "absorbed_energy_fraction",
    "absorbed_fraction_per_energy",
    "absorption_limited_sensitivity",
    "attenuated_fraction",
    "layer_coefficients",
    "theoretical_sensitivity",
    "thickness_for_absorption",
]

# Phantoms and the Monte Carlo engine load on first use: importing them parses the
# phantom materials and sets up numba, which `perovx evaluate` does not need.
_LAZY = {
    "PHANTOMS": "perovx.interaction.phantoms",
    "Phantom": "perovx.interaction.phantoms",
    "make_phantom": "perovx.interaction.phantoms",
    "tiff_phantom": "perovx.interaction.phantoms",
    "transmission": "perovx.interaction.phantoms",
    "transmitted_fluence": "perovx.interaction.phantoms",
    "montecarlo": "perovx.interaction.montecarlo",
}
__all__ += list(_LAZY)


def __getattr__(name: str) -> object:
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'perovx.interaction' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    return module if _LAZY[name].endswith(name) else getattr(module, name)
