"""The object side of imaging: frame sequences (acquisition over time).

Above :mod:`perovx.readout` (it drives the panel frame by frame).
"""

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
    "plot_sequence",
    "simulate_sequence",
    "temporal_response",
]
