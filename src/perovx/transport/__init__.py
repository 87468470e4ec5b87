"""Transport: collection of the charge created in the layer, and the dark current.

Every public name loads its module on first use, so ``perovx evaluate`` (which needs the
dark current and the Hecht relation) does not pay for the charge-spread, Ramo and
ion-migration models.
"""

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

_LAZY = {
    "BOLTZMANN_EV_PER_K": "perovx.transport.dark",
    "ROOM_TEMPERATURE_K": "perovx.transport.dark",
    "dark_current_density": "perovx.transport.dark",
    "resistivity_at": "perovx.transport.dark",
    "carrier_distances": "perovx.transport.hecht",
    "drift_length": "perovx.transport.hecht",
    "hecht_cce": "perovx.transport.hecht",
    "hecht_cce_at_depth": "perovx.transport.hecht",
    "hecht_cce_exponential": "perovx.transport.hecht",
    "DEFAULT_FANO_FACTOR": "perovx.transport.charge",
    "ChargeTransport": "perovx.transport.charge",
    "LocalDepositionKernel": "perovx.transport.charge",
    "PixelResponse": "perovx.transport.charge",
    "SpreadFunction": "perovx.transport.charge",
    "diffusion_sigma_m": "perovx.transport.charge",
    "local_deposition_kernel": "perovx.transport.charge",
    "pixel_response": "perovx.transport.charge",
    "planar_collection": "perovx.transport.charge",
    "sample_pairs": "perovx.transport.charge",
    "spread_functions": "perovx.transport.charge",
    "IonMigration": "perovx.transport.instability",
    "ion_diffusion_coefficient": "perovx.transport.instability",
    "ion_transit_time_s": "perovx.transport.instability",
    "induced_charge_fraction": "perovx.transport.ramo",
    "weighting_potential": "perovx.transport.ramo",
}


def __getattr__(name: str) -> object:
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'perovx.transport' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
