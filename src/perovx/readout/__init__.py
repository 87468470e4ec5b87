"""Readout: electrodes, pixels and their noise; imaging modes."""

import sys as _sys
import types as _types

from perovx.readout.noise import ELEMENTARY_CHARGE_C, NoiseModel, limit_of_detection, noise_charge

__all__ = ["ELEMENTARY_CHARGE_C", "NoiseModel", "limit_of_detection", "noise_charge"]

# Everything but the noise model loads on first use: the imaging chain is large, and
# `perovx evaluate` (which needs only the noise model) should not pay for it.
_LAZY = {
    "DEMO_DEVICE": "perovx.readout.sourcemeter",
    "DeviceUnderTest": "perovx.readout.sourcemeter",
    "SourceMeter": "perovx.readout.sourcemeter",
    "SyntheticMeasurement": "perovx.readout.sourcemeter",
    "Calibration": "perovx.readout.correction",
    "calibrate": "perovx.readout.correction",
    "correct": "perovx.readout.correction",
    "interpolate_defects": "perovx.readout.correction",
    "NoiseBudget": "perovx.readout.budget",
    "collected_charge": "perovx.readout.frame",
    "flat_field_noise_budget": "perovx.readout.budget",
    "read_out": "perovx.readout.electronics",
    "Acquisition": "perovx.readout.modes",
    "AcquisitionPlan": "perovx.readout.modes",
    "Imager": "perovx.readout.modes",
    "LineScan": "perovx.readout.modes",
    "PixelArray": "perovx.readout.modes",
    "PointScan": "perovx.readout.modes",
    "acquire": "perovx.readout.modes",
    "plan_acquisition": "perovx.readout.modes",
    "FixedPattern": "perovx.readout.panel",
    "Panel": "perovx.readout.panel",
    "PROCESSES": "perovx.readout.process",
    "FilmMaps": "perovx.readout.process",
    "film_factors": "perovx.readout.process",
    "film_maps": "perovx.readout.process",
    "SimulateConfig": "perovx.readout.simulate",
    "load_config": "perovx.readout.simulate",
    "simulate": "perovx.readout.simulate",
}
__all__ += list(_LAZY)


def __getattr__(name: str) -> object:
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'perovx.readout' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(_types.ModuleType):
    """Keeps ``perovx.readout.simulate`` the function, as eager imports did.

    Importing the submodule ``perovx.readout.simulate`` makes Python set the package
    attribute of that name to the module; the public name is the function.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name == "simulate" and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
