"""Transport: collection of the charge created in the layer, and the dark current."""

from perovx.transport.dark import (
    BOLTZMANN_EV_PER_K,
    ROOM_TEMPERATURE_K,
    dark_current_density,
    resistivity_at,
)
from perovx.transport.hecht import (
    carrier_distances,
    drift_length,
    hecht_cce,
    hecht_cce_at_depth,
    hecht_cce_exponential,
)

__all__ = [
    "BOLTZMANN_EV_PER_K",
    "ROOM_TEMPERATURE_K",
    "carrier_distances",
    "dark_current_density",
    "drift_length",
    "hecht_cce",
    "hecht_cce_at_depth",
    "hecht_cce_exponential",
    "resistivity_at",
]
