"""Dark-current drift from a long trace at constant bias.

A straight line ``I = I₀ + b·t`` is fitted by ordinary least squares to the trace (after an
optional settling time). The baseline-drift rate is ``b`` (A s⁻¹); the field normalises it
by the electric field and the electrode area,

    D = b / (A·E),  E = |V|/d,

and reports D in nA cm⁻¹ s⁻¹ V⁻¹, the unit in which perovskite X-ray detector papers compare
dark-current stability (others quote b itself, in A s⁻¹; both are given). For a linear
drift D equals the end-point form ``(I_end − I_start)/(t·E·A)``.

The readings of a dark-current trace are correlated (1/f noise, slow wander), so the
standard error of b is the larger of (a) the OLS error widened by the effective number of
independent readings ``n(1 − ρ₁)/(1 + ρ₁)`` (ρ₁ the lag-1 autocorrelation of the
residuals) and (b) the error of a line through the means of :data:`N_BLOCKS` consecutive
blocks of the trace, which sees slow wander that (a) misses. With strong 1/f noise both
remain somewhat optimistic (by a factor of about 1.4 on synthetic 1/f traces of
:func:`perovx.readout.sourcemeter.drift_measurement`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from perovx.errors import InputError
from perovx.metrics.lab._fitting import (
    effective_sample_size,
    figure_with_residuals,
    linear_fit,
)
from perovx.metrics.lab.result import (
    DataOrigin,
    LabAnalysis,
    LabResult,
    Measurement,
    paired_arrays,
    require_increasing,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["N_BLOCKS", "DarkDrift", "DriftResult"]

#: Blocks whose means give the second estimate of the drift's standard error.
N_BLOCKS = 10


@dataclass(frozen=True, kw_only=True)
class DriftResult(LabResult):
    """Baseline-drift rate and field/area-normalised dark-current drift."""

    analysis: ClassVar[str] = "drift"
    drift_rate: Measurement | None = field(
        default=None, metadata={"unit": "pA_per_s", "zero_ok": True}
    )
    normalised_drift: Measurement | None = field(
        default=None, metadata={"unit": "nA_per_cm_s_V", "zero_ok": True}
    )
    relative_drift_rate: Measurement | None = field(
        default=None, metadata={"unit": "percent_per_h", "zero_ok": True}
    )
    dark_current_start: Measurement | None = field(default=None, metadata={"unit": "nA"})
    dark_current_density_start: Measurement | None = field(
        default=None, metadata={"unit": "nA_per_cm2"}
    )
    field_V_per_cm: float = math.nan
    duration_s: float = math.nan
    skipped_s: float = 0.0
    curve: Any = field(default=None, repr=False, compare=False, metadata={"plot": True})

    def plot(self, ax: Any = None) -> Figure:
        """The trace with the fitted line; residuals."""
        c = self.curve
        if ax is None:
            fig, (main, res) = figure_with_residuals()
        else:
            fig, main, res = ax.figure, ax, None
        main.plot(c["t"], c["i"] * 1e12, "-", lw=0.7, color="0.3", label="dark current")
        main.plot(
            c["t_fit"],
            c["line"] * 1e12,
            "-",
            color="C3",
            lw=1.5,
            label=f"fit: {self.drift_rate.format()}",
        )
        if self.skipped_s > 0:
            main.axvspan(
                c["t"][0],
                c["t"][0] + self.skipped_s,
                color="0.85",
                lw=0,
                label="settling (not fitted)",
            )
        main.set_ylabel("dark current (pA)")
        main.legend(frameon=False, fontsize=7)
        main.set_title(f"{self.source}: drift {self.normalised_drift.format()}", fontsize=9)
        if res is not None:
            res.axhline(0, color="0.5", lw=0.8)
            res.plot(c["t_fit"], c["residuals"] * 1e12, "-", lw=0.6, color="C0")
            res.set_ylabel("residual (pA)")
            res.set_xlabel("time (s)")
        else:
            main.set_xlabel("time (s)")
        return fig


class DarkDrift(LabAnalysis[DriftResult]):
    """Dark-current drift of a long trace.

    Parameters
    ----------
    time_s
        Reading times, s (strictly increasing).
    current_A
        Dark current, A (a negative-bias trace is analysed with signs inverted).
    area_m2, thickness_m, bias_V
        Electrode area (m², > 0), thickness (m, > 0) and bias (V, ≠ 0).
    origin
        Where the readings came from, for messages.
    """

    name = "drift"

    def __init__(
        self,
        time_s: Any,
        current_A: Any,
        *,
        area_m2: float,
        thickness_m: float,
        bias_V: float,
        origin: DataOrigin | None = None,
    ) -> None:

        super().__init__()
        self.input_notes: list[str] = []
        self.input_warnings: list[str] = []  # from reading the file (clock time axis)
        self.origin = origin or DataOrigin()
        self.time_s, self.current_A = paired_arrays(
            ("time", time_s, "s"), ("current", current_A, "A"), origin=self.origin
        )
        require_increasing("time", self.time_s, "s", origin=self.origin)
        for name, v, unit in (("area", area_m2, "m²"), ("thickness", thickness_m, "m")):
            if not v > 0:
                raise InputError(f"{name} must be > 0 {unit}, got {v!r}")
        if not bias_V or not math.isfinite(bias_V):
            raise InputError(
                f"the drift is normalised by the field: give a non-zero bias, got {bias_V!r} V"
            )
        self.area_m2, self.thickness_m, self.bias_V = (
            float(area_m2),
            float(thickness_m),
            float(bias_V),
        )

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        area_m2: float,
        thickness_m: float,
        bias_V: float,
        columns: dict[str, str] | None = None,
        units: dict[str, str] | None = None,
        sheet: str | None = None,
    ) -> Self:
        """Read time and (dark) current columns."""
        from perovx.io.tables import read_table

        table = read_table(path, columns=columns, units=units, sheet=sheet)
        from perovx.metrics.lab._signal import rebuild_time

        t = table.get("time")
        if (t.values[1:] < t.values[:-1]).any():
            t.require_increasing()  # names the file line where the time goes back
        t_s, time_note = rebuild_time(t.values, where=f"{table.path}, column {t.header!r}")
        kind = table.first_of(("dark_current", "current")) or "current"
        i = table.get(kind)
        out = cls(
            t_s,
            i.values,
            area_m2=area_m2,
            thickness_m=thickness_m,
            bias_V=bias_V,
            origin=DataOrigin.of(t),
        )
        if table.layout:
            out.input_notes.append(f"file layout: {table.layout}")
        if time_note:
            out.input_notes.append(time_note)
        if t.note:
            out.input_warnings.append(t.note)
        return out

    @classmethod
    def from_demo(cls, *, seed: int = 0) -> Self:
        """The synthetic trace of :func:`perovx.readout.sourcemeter.drift_measurement`."""
        from perovx.readout.sourcemeter import drift_measurement

        m = drift_measurement(seed=seed)
        return cls(
            m.column("Time"),
            m.column("Dark current"),
            area_m2=m.settings["area_m2"],
            thickness_m=m.settings["thickness_m"],
            bias_V=m.settings["bias_V"],
            origin=DataOrigin("demo"),
        )

    def analyze(self, *, skip_s: float = 0.0) -> Self:
        """Fit the trace after the first ``skip_s`` seconds (settling after biasing)."""
        import numpy as np

        t, i = self.time_s, self.current_A
        if not skip_s >= 0:
            raise InputError(f"settling time to skip must be >= 0 s, got {skip_s!r}")
        sel = t >= t[0] + skip_s
        if sel.sum() < 10:
            raise InputError(
                f"{self.origin.source}: {int(sel.sum())} readings after skipping {skip_s:g} s "
                f"(the trace lasts {t[-1] - t[0]:g} s); a drift fit needs at least 10: "
                "skip less or record longer"
            )
        from perovx.metrics.lab._signal import reading_noise

        notes = list(self.input_notes)
        rn = reading_noise(self.current_A)
        if rn.note():
            notes.append(rn.note())
        sign = 1.0 if np.median(i[sel]) >= 0 else -1.0
        if sign < 0:
            notes.append("currents are negative (negative bias?): signs inverted")
        tt, ii = t[sel], sign * i[sel]
        fit = linear_fit(tt - tt[0], ii, what="drift fit (I vs t)")
        n_eff = effective_sample_size(fit.residuals)
        widen = math.sqrt(max(fit.n - 2, 1) / max(n_eff - 2, 1))
        b = fit.slope
        ub = None if fit.slope_se is None else fit.slope_se * widen
        # slow wander (1/f noise) is not an AR(1) process: also fit the means of
        # N_BLOCKS consecutive blocks and keep the larger standard error
        nb = N_BLOCKS if fit.n >= 5 * N_BLOCKS else 0
        if nb:
            edges = np.linspace(0, fit.n, nb + 1).astype(int)
            tb = np.array([tt[a:c].mean() for a, c in pairwise(edges)])
            ib = np.array([ii[a:c].mean() for a, c in pairwise(edges)])
            block_se = linear_fit(tb - tt[0], ib).slope_se
            if ub is not None and block_se is not None:
                ub = max(ub, block_se)
        field = abs(self.bias_V) / self.thickness_m
        conv = (
            f"slope of an ordinary-least-squares line through {fit.n} readings over "
            f"{tt[-1] - tt[0]:g} s"
            + (f" (first {skip_s:g} s skipped as settling)" if skip_s else "")
            + "; standard error: the larger of the OLS error widened for correlated readings "
            f"(effective n = {n_eff:.0f}) and the error of a line through {N_BLOCKS} block means"
        )
        i0 = fit.intercept
        ui0 = fit.intercept_se * widen if fit.intercept_se is not None else None
        self._result = DriftResult(
            source=self.origin.source,
            notes=tuple(notes),
            warnings=tuple(self.input_warnings),
            drift_rate=Measurement(b, ub, "pA_per_s", "baseline-drift rate dI/dt: " + conv),
            normalised_drift=Measurement(
                b / (self.area_m2 * field),
                None if ub is None else ub / (self.area_m2 * field),
                "nA_per_cm_s_V",
                f"(dI/dt)/(A·E), E = |V|/d = {field / 100:g} V/cm, A = "
                f"{self.area_m2 * 1e4:g} cm²; " + conv,
            ),
            relative_drift_rate=Measurement(
                b / i0,
                None if ub is None else abs(ub / i0),
                "percent_per_h",
                "(dI/dt)/I(start of the fit)",
            ),
            dark_current_start=Measurement(i0, ui0, "nA", "fitted line at the start of the fit"),
            dark_current_density_start=Measurement(
                i0 / self.area_m2,
                None if ui0 is None else ui0 / self.area_m2,
                "nA_per_cm2",
                "fitted line at the start of the fit, divided by the electrode area",
            ),
            field_V_per_cm=field / 100.0,
            duration_s=float(tt[-1] - tt[0]),
            skipped_s=float(skip_s),
            curve={
                "t": t,
                "i": sign * i,
                "t_fit": tt,
                "line": fit.predict(tt - tt[0]),
                "residuals": fit.residuals,
            },
        )
        return self
