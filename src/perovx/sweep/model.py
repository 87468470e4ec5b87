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

__all__ = ["DETECTOR_FIGURES", "IMAGE_QUALITY_VARIABLES", "SWEEP_VARIABLES", "PointModel",
           "SweepPoint", "Variable", "detector_figures", "image_quality",
           "image_quality_model"]


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
        fn = self.function
        if isinstance(fn, functools.partial):  # its arguments, not its memory address
            ident: Any = (fn.func.__qualname__, tuple(sorted(fn.keywords.items())), fn.args)
        else:
            ident = getattr(fn, "__qualname__", repr(fn))
        return (self.name, ident, self.variables)


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


#: Scalar image-quality variables of :func:`image_quality_model` (besides the curves):
#: name → (unit, long name).
IMAGE_QUALITY_VARIABLES: dict[str, tuple[str, str]] = {
    "quantum_efficiency": ("1", "quantum efficiency (CSA)"),
    "dqe0": ("1", "DQE(0) (CSA)"),
    "mean_signal": ("1", "mean signal per pixel, electrons (CSA)"),
}


def image_quality(point: SweepPoint, *, air_kerma_Gy: float,
                  frequency_per_m: tuple[float, ...], electronic_noise_e: float,
                  histories: int) -> dict[str, Any]:
    """Planar figures and the CSA model's MTF, NNPS and DQE at one point.

    The design is the point's layer, pitch, temperature and beam with the pixels
    collecting electrons (bias < 0 on the entrance electrode), the polarity that
    :func:`detector_figures` assumes (``evaluate``'s default ``"negative"``).

    Parameters
    ----------
    point
        The sweep point.
    air_kerma_Gy
        Air kerma per frame, Gy.
    frequency_per_m
        Frequencies of the curves, cycles m⁻¹ (the first is 0).
    electronic_noise_e
        Electronic noise per read, electrons rms.
    histories
        Monte Carlo histories per energy group of each layer (inputs cached per
        material × thickness × beam).
    """
    from perovx.design.csa import Design, csa_model

    out: dict[str, Any] = dict(detector_figures(point))
    design = Design(point.material.name, point.thickness_m, -abs(point.bias_V),
                    point.pixel_pitch_m, beam=point.beam, temperature_K=point.temperature_K,
                    electronic_noise_e=electronic_noise_e, histories=histories)
    res = csa_model(design, air_kerma_Gy=air_kerma_Gy,
                    frequency_per_m=np.asarray(frequency_per_m))
    nyquist = 0.5 / point.pixel_pitch_m * 1.0001
    above = np.asarray(frequency_per_m) > nyquist  # nothing is transferred above Nyquist
    out["mtf"] = np.where(above, np.nan, res.mtf)
    out["nnps"] = np.where(above, np.nan, res.nnps_m2)
    out["dqe"] = np.where(above, np.nan, res.dqe)
    out["quantum_efficiency"] = res.quantum_efficiency
    out["dqe0"] = float(res.dqe[0])
    out["mean_signal"] = res.mean_signal_e
    return out


def image_quality_model(*, air_kerma_Gy: float,
                        frequency_per_m: tuple[float, ...] = (500.0, 1000.0, 2000.0),
                        electronic_noise_e: float = 1500.0,
                        histories: int = 100_000) -> PointModel:
    """The planar figures plus MTF, NNPS and DQE of the cascaded-systems model.

    Curves have a ``frequency`` dimension (cycles m⁻¹; 0 is always the first value);
    values above a point's Nyquist frequency are NaN.

    Parameters
    ----------
    air_kerma_Gy
        Air kerma per frame at which the NPS and DQE are evaluated, Gy (> 0).
    frequency_per_m
        Named frequencies, cycles m⁻¹ (≥ 0).
    electronic_noise_e
        Electronic noise per read, electrons rms.
    histories
        Monte Carlo histories per energy group of each layer.
    """
    import math

    from perovx.errors import InputError

    if not (math.isfinite(air_kerma_Gy) and air_kerma_Gy > 0):
        raise InputError(f"dose must be a finite air kerma > 0 Gy, got {air_kerma_Gy!r} Gy")
    if any(not (math.isfinite(f) and f >= 0) for f in frequency_per_m):
        raise InputError("frequencies must be finite and >= 0 cycles/m")
    freqs = tuple(sorted({0.0, *(float(f) for f in frequency_per_m)}))
    fdim = (("frequency", freqs, "m-1"),)
    variables = (
        *DETECTOR_FIGURES.variables,
        *(Variable(k, u, long) for k, (u, long) in IMAGE_QUALITY_VARIABLES.items()),
        Variable("mtf", "1", "presampling MTF (CSA)", fdim),
        Variable("nnps", "m2", "normalised NPS (CSA)", fdim),
        Variable("dqe", "1", "DQE (CSA)", fdim),
    )
    fn = functools.partial(image_quality, air_kerma_Gy=float(air_kerma_Gy),
                           frequency_per_m=freqs, electronic_noise_e=float(electronic_noise_e),
                           histories=int(histories))
    return PointModel("detector-figures+csa", variables, fn)


def empty_block(model: PointModel, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """NaN arrays for one block of ``shape`` points, per variable."""
    return {v.name: np.full(shape + v.extra_shape, np.nan) for v in model.variables}
