"""What a sweep evaluates at each point: a function of the point's coordinates alone.

A :class:`PointModel` names its output variables (units, long name, optional extra
dimensions such as a spatial-frequency axis for MTF, NPS and DQE curves) and gives a
module-level function ``f(point) -> {variable: value}``. The function must be a pure
function of the :class:`SweepPoint` (no hidden state; any randomness seeded from the
coordinates), so a point gives the same numbers in-process, on any Dask worker and
after a resume. A point that cannot be evaluated raises
:class:`~perovx.errors.InputError`: its values become NaN and the reason is kept in the
dataset's ``skipped`` attribute.

:data:`DETECTOR_FIGURES` (planar-detector figures of merit from
:func:`perovx.metrics.detector.evaluate`) is the default; a cascaded-systems model
plugs in the same way, e.g.::

    CSA = PointModel("csa", (Variable("dqe", "1", "DQE",
                                      (("frequency", (0.0, 5e2, 1e3, 2e3), "m-1"),)),),
                     csa_point)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DETECTOR_FIGURES", "SWEEP_VARIABLES", "PointModel", "SweepPoint", "Variable",
           "detector_figures"]


@dataclass(frozen=True)
class Variable:
    """One output variable of a point model.

    Attributes
    ----------
    name
        Variable name in the dataset.
    units
        Units (SI, CF-style text: ``"C Gy-1 m-2"``; ``"1"`` for a fraction).
    long_name
        Label for plots.
    extra_dims
        Further dimensions of each point's value, ``(name, coordinate values, units)``,
        e.g. ``(("frequency", (0.0, 1e3), "m-1"),)``; empty for a scalar.
    """

    name: str
    units: str
    long_name: str
    extra_dims: tuple[tuple[str, tuple[float, ...], str], ...] = ()

    @property
    def extra_shape(self) -> tuple[int, ...]:
        """Shape of one point's value."""
        return tuple(len(values) for _, values, _ in self.extra_dims)


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep (SI units).

    Attributes
    ----------
    material
        The :class:`~perovx.materials.material.Material`.
    beam
        Beam specification (``"RQA5"``).
    temperature_K
        Operating temperature, K.
    pixel_pitch_m
        Pixel pitch, m.
    thickness_m
        Layer thickness, m.
    bias_V
        Bias across the layer, V.
    """

    material: Any
    beam: str
    temperature_K: float
    pixel_pitch_m: float
    thickness_m: float
    bias_V: float

    @property
    def field_V_per_m(self) -> float:
        """Electric field, V m⁻¹."""
        return self.bias_V / self.thickness_m


@dataclass(frozen=True)
class PointModel:
    """A named function of one sweep point and the variables it returns.

    ``function`` must be importable by name (a module-level function) so that Dask can
    send it to workers.
    """

    name: str
    variables: tuple[Variable, ...]
    function: Callable[[SweepPoint], Mapping[str, Any]]

    def signature(self) -> tuple[Any, ...]:
        """What identifies the model's output in a checkpoint (name and variables)."""
        return (self.name, getattr(self.function, "__qualname__", repr(self.function)),
                self.variables)


#: Output variables of :data:`DETECTOR_FIGURES`: name → (attribute of
#: :class:`~perovx.metrics.detector.DetectorFigures`, unit, long name).
SWEEP_VARIABLES: dict[str, tuple[str, str, str]] = {
    "absorbed_fraction": ("absorbed_fraction", "1", "absorbed energy fraction"),
    "s0": ("s0_C_per_Gy_m2", "C Gy-1 m-2", "theoretical sensitivity S0"),
    "sensitivity": ("sensitivity_C_per_Gy_m2", "C Gy-1 m-2", "predicted sensitivity"),
    "normalized_sensitivity": ("normalized_sensitivity", "1", "S/S0"),
    "cce": ("cce", "1", "charge-collection efficiency"),
    "dark_current_density": ("dark_current_A_per_m2", "A m-2", "dark-current density"),
    "lod": ("lod_Gy_per_s", "Gy s-1", "limit of detection (air kerma rate, one pixel)"),
}


@functools.lru_cache(maxsize=32)
def _beam(spec: str) -> Any:
    """The beam of a specification (cached per process: spectra take ~0.2 s)."""
    from perovx.spectra import get_beam

    return get_beam(spec)


def detector_figures(point: SweepPoint) -> dict[str, float]:
    """Planar-detector figures of merit at one point (:func:`perovx.metrics.evaluate`).

    The limit of detection is that of one square pixel of side ``pixel_pitch_m`` (the
    default readout noise of :class:`~perovx.readout.noise.NoiseModel` otherwise).
    Values in the units of :data:`SWEEP_VARIABLES`.
    """
    from perovx.metrics.detector import evaluate
    from perovx.readout.noise import NoiseModel

    fig = evaluate(point.material, thickness_m=point.thickness_m, bias_V=point.bias_V,
                   beam=_beam(point.beam), temperature_K=point.temperature_K,
                   noise=NoiseModel(area_m2=point.pixel_pitch_m ** 2))
    return {key: float(getattr(fig, attr)) for key, (attr, _, _) in SWEEP_VARIABLES.items()}


#: The default model of ``perovx sweep``: figures of merit of a planar detector.
DETECTOR_FIGURES = PointModel(
    "detector-figures",
    tuple(Variable(key, unit, long) for key, (_, unit, long) in SWEEP_VARIABLES.items()),
    detector_figures,
)


def empty_block(model: PointModel, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """NaN arrays for one block of ``shape`` points, per variable."""
    return {v.name: np.full(shape + v.extra_shape, np.nan) for v in model.variables}
