"""Metrics: figures of merit predicted from properties or measured from data."""

from perovx.metrics.detector import DetectorFigures, evaluate

__all__ = ["DetectorFigures", "evaluate"]
