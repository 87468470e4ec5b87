"""Sweeps: design exploration over materials × thickness × field × beam, locally or on Dask."""

from perovx.sweep.design import SWEEP_VARIABLES, sweep

__all__ = ["SWEEP_VARIABLES", "sweep"]
