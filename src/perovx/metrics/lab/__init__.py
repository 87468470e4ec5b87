"""Lab toolkit: figures of merit from raw measurement files.

Seven analyses, each an object with the same shape (``from_file``/``from_demo`` →
``analyze`` → ``results`` / ``results_data`` / ``plot_analyzed``) and a command
``perovx analyze <name>``:

=====================  ===============================  ==========================================
command                class                            figures of merit
=====================  ===============================  ==========================================
``xray-response``      :class:`XRayResponse`            sensitivity, LoD, linear range, dark
                                                        current, SNR per dose rate, S/S0
``iv``                 :class:`IVCurve`                 resistivity; V_TFL, trap density, mobility
``hecht``              :class:`HechtAnalysis`           μτ per polarity (Hecht or Many)
``arrhenius``          :class:`Arrhenius`               activation energy, ion-migration reading
``drift``              :class:`DarkDrift`               dark-current drift (field/area normalised)
``response``           :class:`ResponseTime`            10–90 % rise/fall times, lag
``stability``          :class:`RadiationStability`      dose to a stated loss of sensitivity
=====================  ===============================  ==========================================

Results are frozen dataclasses of :class:`Measurement` (SI value, standard uncertainty,
output unit, convention); ``to_dict()`` gives JSON whose keys carry the field's units
(``sensitivity_uC_per_Gy_cm2``, ``lod_nGy_per_s``, ``mu_tau_cm2_per_V`` ...). Every result
also has ``warnings``: sentences with their evidence about what is doubtful or was not
determined (a drifting baseline, a decaying photocurrent, hysteresis, a value whose
uncertainty is as large as itself), in the JSON, the summary and under the figure. What the
data cannot determine at all is refused with one :class:`~perovx.errors.FitError` line.

Traces are made for drifting detectors: beam steps are found by change-point detection on
the trace with its baseline removed, and the dark baseline is fitted with its covariance
(:mod:`perovx.metrics.lab._signal`); instrument export layouts are read by
:mod:`perovx.io.instruments`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from perovx.metrics.lab.arrhenius import Arrhenius, ArrheniusResult, ion_migration_reading
from perovx.metrics.lab.drift import DarkDrift, DriftResult
from perovx.metrics.lab.hecht import HechtAnalysis, HechtResult, hecht_current, many_current
from perovx.metrics.lab.iv import IVCurve, IVResult
from perovx.metrics.lab.response import ResponseResult, ResponseTime
from perovx.metrics.lab.result import DataOrigin, LabAnalysis, LabResult, Measurement
from perovx.metrics.lab.stability import RadiationStability, StabilityResult
from perovx.metrics.lab.xray_response import (
    BeamSegment,
    XRayResponse,
    XRayResponseResult,
    detect_beam_segments,
    segments_from_dose_rate,
    segments_from_schedule,
)

__all__ = [
    "ANALYSES",
    "Arrhenius",
    "ArrheniusResult",
    "BeamSegment",
    "DarkDrift",
    "DataOrigin",
    "DriftResult",
    "HechtAnalysis",
    "HechtResult",
    "IVCurve",
    "IVResult",
    "LabAnalysis",
    "LabResult",
    "Measurement",
    "RadiationStability",
    "ResponseResult",
    "ResponseTime",
    "StabilityResult",
    "XRayResponse",
    "XRayResponseResult",
    "detect_beam_segments",
    "hecht_current",
    "ion_migration_reading",
    "lab_demo_section",
    "many_current",
    "segments_from_dose_rate",
    "segments_from_schedule",
]

#: Command name → analysis class.
ANALYSES: dict[str, type[LabAnalysis[Any]]] = {
    "xray-response": XRayResponse,
    "iv": IVCurve,
    "hecht": HechtAnalysis,
    "arrhenius": Arrhenius,
    "drift": DarkDrift,
    "response": ResponseTime,
    "stability": RadiationStability,
}


def lab_demo_section(outdir: str | Path, *, seed: int = 0) -> dict[str, Any]:
    """Run every lab analysis on its synthetic measurement and draw its figure.

    Parameters
    ----------
    outdir
        Existing folder for the figures ``lab_<analysis>.png``.
    seed
        Seed of the synthetic measurements.

    Returns
    -------
    dict
        Analysis name → ``{"results": <to_dict() JSON>, "summary": <text>, "plot": <path>,
        "truth": <generator truth, SI>}``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from perovx.readout import sourcemeter

    truths = {
        "xray-response": sourcemeter.xray_response_measurement(seed=seed).truth,
        "iv": sourcemeter.iv_measurement(seed=seed).truth,
        "hecht": sourcemeter.hecht_measurement(seed=seed).truth,
        "arrhenius": sourcemeter.arrhenius_measurement(seed=seed).truth,
        "drift": sourcemeter.drift_measurement(seed=seed).truth,
        "response": sourcemeter.response_measurement(seed=seed).truth,
        "stability": sourcemeter.stability_measurement(seed=seed).truth,
    }
    out = Path(outdir)
    section: dict[str, Any] = {}
    for name, cls in ANALYSES.items():
        analysis = cls.from_demo(seed=seed).analyze()
        path = out / f"lab_{name.replace('-', '_')}.png"
        fig = analysis.plot_analyzed(path)
        plt.close(fig)
        section[name] = {
            "results": analysis.results_data().to_dict(),
            "summary": analysis.results(),
            "plot": str(path),
            "truth": dict(truths[name]),
        }
    return section
