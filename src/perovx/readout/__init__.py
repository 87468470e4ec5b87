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
