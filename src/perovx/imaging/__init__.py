"""The object side of imaging: frame sequences (acquisition over time).

Above :mod:`perovx.readout` (it drives the panel frame by frame).
"""

from perovx.imaging.response_time import (
    first_order_lag,
    first_order_lag_fraction,
    first_order_response,
    time_constant_s,
)
from perovx.imaging.sequence import (
    FittedDrift,
    FrameExposure,
    SequenceResult,
    TemporalResponse,
    exposure_pattern,
    plot_sequence,
    simulate_sequence,
    temporal_response,
)

__all__ = [
    "FittedDrift",
    "FrameExposure",
    "SequenceResult",
    "TemporalResponse",
    "exposure_pattern",
    "first_order_lag",
    "first_order_lag_fraction",
    "first_order_response",
    "plot_sequence",
    "simulate_sequence",
    "temporal_response",
    "time_constant_s",
]
