"""Sweeps: design exploration over material × beam × temperature × pixel pitch × thickness
× field (or bias), in this process or on Dask, checkpointed to Zarr and resumable."""

from perovx.sweep.axes import SweepAxes
from perovx.sweep.design import SWEEP_VARIABLES, sweep, sweep_axes
from perovx.sweep.model import (
    DETECTOR_FIGURES,
    PointModel,
    SweepPoint,
    Variable,
    image_quality_model,
)
from perovx.sweep.store import checkpoint_path, write_dataset

__all__ = ["DETECTOR_FIGURES", "SWEEP_VARIABLES", "PointModel", "SweepAxes", "SweepPoint",
           "Variable", "checkpoint_path", "image_quality_model", "sweep", "sweep_axes",
           "write_dataset"]
