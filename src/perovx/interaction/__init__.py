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

from perovx.interaction.phantoms import (
    PHANTOMS,
    Phantom,
    make_phantom,
    tiff_phantom,
    transmission,
    transmitted_fluence,
)

__all__ += [
    "PHANTOMS",
    "Phantom",
    "make_phantom",
    "tiff_phantom",
    "transmission",
    "transmitted_fluence",
]

from perovx.interaction import montecarlo  # noqa: E402

__all__ += ["montecarlo"]
