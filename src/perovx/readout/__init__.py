"""Readout: electrodes, pixels and their noise; imaging modes."""

from perovx.readout.noise import ELEMENTARY_CHARGE_C, NoiseModel, limit_of_detection, noise_charge

__all__ = ["ELEMENTARY_CHARGE_C", "NoiseModel", "limit_of_detection", "noise_charge"]

from perovx.readout.sourcemeter import (
    DEMO_DEVICE,
    DeviceUnderTest,
    SourceMeter,
    SyntheticMeasurement,
)

__all__ = [*__all__, "DEMO_DEVICE", "DeviceUnderTest", "SourceMeter", "SyntheticMeasurement"]

from perovx.readout.correction import (
    Calibration,
    calibrate,
    correct,
    interpolate_defects,
)
from perovx.readout.frame import (
    NoiseBudget,
    collected_charge,
    flat_field_noise_budget,
    read_out,
)
from perovx.readout.modes import (
    Acquisition,
    AcquisitionPlan,
    Imager,
    LineScan,
    PixelArray,
    PointScan,
    acquire,
    plan_acquisition,
)
from perovx.readout.panel import FixedPattern, Panel
from perovx.readout.process import (
    PROCESSES,
    FilmMaps,
    film_factors,
    film_maps,
)
from perovx.readout.simulate import (
    SimulateConfig,
    load_config,
    simulate,
)

__all__ += [
    "PROCESSES",
    "Acquisition",
    "AcquisitionPlan",
    "Calibration",
    "FilmMaps",
    "FixedPattern",
    "Imager",
    "LineScan",
    "NoiseBudget",
    "Panel",
    "PixelArray",
    "PointScan",
    "SimulateConfig",
    "acquire",
    "calibrate",
    "collected_charge",
    "correct",
    "film_factors",
    "film_maps",
    "flat_field_noise_budget",
    "interpolate_defects",
    "load_config",
    "plan_acquisition",
    "read_out",
    "simulate",
]
