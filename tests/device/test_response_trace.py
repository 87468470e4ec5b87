"""The example device's response trace read by the lab analysis: beam-on periods found."""

from __future__ import annotations

import pytest

from perovx.device.synthetic import write_synthetic_device
from perovx.metrics.lab import ResponseTime


def test_positive_trace_with_lag_tails_keeps_beam_on_and_dark_apart(tmp_path) -> None:
    # Positive currents (2 nA dark) with 1 s pulses whose fall has a lag tail: the tails
    # once made the dark periods look rougher than the pulse tops, and the step finder
    # swapped beam-on and dark. A trace of one sign takes its polarity from that sign.
    write_synthetic_device(tmp_path, seed=0)
    analysis = ResponseTime.from_file(tmp_path / "response.csv")
    periods = analysis.segments
    assert len(periods) >= 2
    assert periods[0][0] == pytest.approx(0.5, abs=0.02)
    assert periods[0][1] == pytest.approx(1.5, abs=0.05)
    assert periods[1][0] == pytest.approx(4.5, abs=0.02)
