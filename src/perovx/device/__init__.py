"""A device measured in the lab: its record, one model fitted to all its files, its standing.

``Device.from_file("pellet.toml").fit()`` runs every lab analysis the record has files
for (:mod:`perovx.metrics.lab`), fits one model of the device that explains them
together (μτ of each carrier, resistivity and activation energy, photoconductive gain,
the measured noise, response and lag time constants, drift, stability dose), sets each
measured operating point beside the model's prediction (reconciliation), and places the
device among the review's detectors (standing). ``perovx device fit`` and
``perovx device simulate`` are the command-line faces.

This stage sits above :mod:`perovx.metrics` and below :mod:`perovx.report`, ``web`` and
``cli``.
"""

from __future__ import annotations

from perovx.device.model import Device, DeviceFit, Parameter
from perovx.device.record import DeviceRecord, load_record, parse_record, schema_text

__all__ = [
    "Device",
    "DeviceFit",
    "DeviceRecord",
    "Parameter",
    "load_record",
    "parse_record",
    "schema_text",
]
