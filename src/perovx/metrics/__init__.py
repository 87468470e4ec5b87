"""Metrics: figures of merit predicted from properties or measured from data."""

from perovx.metrics.detector import DetectorFigures, evaluate
from perovx.metrics.dqe import DQEResult, detective_quantum_efficiency
from perovx.metrics.linepairs import LinePairGroup, LinePairResult, line_pair_ctf
from perovx.metrics.mtf import MTFResult, slanted_edge_mtf
from perovx.metrics.nps import NPSResult, noise_power_spectrum

__all__ = ["DetectorFigures", "evaluate"]
__all__ += [
    "DQEResult",
    "LinePairGroup",
    "LinePairResult",
    "MTFResult",
    "NPSResult",
    "detective_quantum_efficiency",
    "line_pair_ctf",
    "noise_power_spectrum",
    "slanted_edge_mtf",
]

from perovx.metrics import lab  # noqa: E402  (lab toolkit: figures of merit from lab files)

__all__ = [*__all__, "lab"]
