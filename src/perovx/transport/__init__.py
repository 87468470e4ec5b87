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

from perovx.transport.charge import (
    DEFAULT_FANO_FACTOR,
    ChargeTransport,
    LocalDepositionKernel,
    PixelResponse,
    SpreadFunction,
    diffusion_sigma_m,
    local_deposition_kernel,
    pixel_response,
    planar_collection,
    sample_pairs,
    spread_functions,
)
from perovx.transport.instability import (
    IonMigration,
    ion_diffusion_coefficient,
    ion_transit_time_s,
)
from perovx.transport.ramo import induced_charge_fraction, weighting_potential

__all__ += [
    "DEFAULT_FANO_FACTOR",
    "ChargeTransport",
    "IonMigration",
    "LocalDepositionKernel",
    "PixelResponse",
    "SpreadFunction",
    "diffusion_sigma_m",
    "induced_charge_fraction",
    "ion_diffusion_coefficient",
    "ion_transit_time_s",
    "local_deposition_kernel",
    "pixel_response",
    "planar_collection",
    "sample_pairs",
    "spread_functions",
    "weighting_potential",
]
