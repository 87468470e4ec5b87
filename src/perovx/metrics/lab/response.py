"""Response speed: 10–90 % rise and fall times and lag after beam off.

For each beam pulse (from a dose-rate column, a schedule, or found from the current's
steps with :func:`~perovx.metrics.lab.xray_response.detect_beam_segments`):

* the polarity comes from the pulses themselves (plateau minus the dark level before each
  pulse, median over pulses), so negative-going photocurrents are handled;
* the *dark baseline* is a polynomial in time fitted through the last half of every
  beam-off period (:func:`perovx.metrics.lab._signal.fit_baseline`), so a drifting dark
  current does not bend the edges or the lag; the *plateau* is the mean over the last
  half of the beam-on period above that baseline, and the step is the plateau;
* the rise time is the time between the 10 % and 90 % crossings of the step after beam on
  (the 90 % crossing is the first reading at or above 90 %, the 10 % crossing the last
  reading at or below 10 % before it, each interpolated linearly between readings), the
  fall time likewise from 90 % to 10 % after beam off;
* the lag is the signal left ``lag_after_s`` after beam off as a fraction of the step,
  ``(I(t_off + Δt) − dark)/step``, the current averaged over ``lag_window`` readings
  centred on that time.

Values are averaged over the pulses; the uncertainty combines the standard error over
pulses with the resolution of the readings (sample interval/√6 for a difference of two
interpolated crossings).

Quality flags: when the photocurrent decays during the pulses by more than 10 % of its
highest level (persistent photoconductivity, polarisation), the 10–90 % times and the lag
have no meaning; they are withheld, and the decay and the persistent-photoconductivity
ratio (signal ``lag_after_s`` after beam off over the highest signal) are reported with a
warning. A baseline that drifts by more than half a step, or a dark level that differs
after the pulses from before them by more than half the lag, is reported too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from perovx.errors import InputError
from perovx.metrics.lab.result import (
    DataOrigin,
    LabAnalysis,
    LabResult,
    Measurement,
    as_array,
    paired_arrays,
    require_increasing,
)
from perovx.metrics.lab.xray_response import (
    BeamSegment,
    detect_beam_segments,
    segments_from_dose_rate,
    segments_from_schedule,
)

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.figure import Figure

__all__ = ["ResponseResult", "ResponseTime"]

#: Loss of photocurrent during a pulse above which rise/fall times and lag are withheld.
_DECAY_LIMIT = 0.10


@dataclass(frozen=True, kw_only=True)
class ResponseResult(LabResult):
    """Rise and fall times (10–90 %) and lag."""

    analysis: ClassVar[str] = "response"
    rise_time: Measurement | None = field(default=None, metadata={"unit": "s"})
    fall_time: Measurement | None = field(default=None, metadata={"unit": "s"})
    lag: Measurement | None = field(default=None, metadata={"unit": "percent", "zero_ok": True})
    decay_in_pulse: Measurement | None = field(
        default=None, metadata={"unit": "percent", "zero_ok": True}
    )
    persistent_photocurrent: Measurement | None = field(
        default=None, metadata={"unit": "percent"}
    )
    lag_after_s: float = math.nan
    sample_interval_s: float = math.nan
    pulses: tuple[dict[str, Any], ...] = ()
    trace: Any = field(default=None, repr=False, compare=False, metadata={"plot": True})

    def plot(self, ax: Any = None) -> Figure:
        """The first pulse normalised to its step, with the 10/90 % crossings; whole trace."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np

        tr = self.trace
        if ax is None:
            fig, (top, main) = plt.subplots(
                2, 1, figsize=(6.4, 6.4), gridspec_kw={"height_ratios": [1, 1.6], "hspace": 0.35}
            )
            top.plot(tr["t"], tr["i"] * 1e9, "-", lw=0.7, color="0.3", label="current")
            if tr.get("baseline") is not None:
                top.plot(tr["t"], tr["baseline"] * 1e9, "--", lw=1, color="C2",
                         label="dark baseline")
            for k, (a, b) in enumerate(tr["segments"]):
                top.axvspan(a, b, color="C1", alpha=0.15, lw=0, label="beam on" if k == 0 else None)
            top.set_xlabel("time (s)")
            top.set_ylabel("current (nA)")
            top.legend(frameon=False, fontsize=7)
            top.set_title(self.source, fontsize=9)
        else:
            fig, main = ax.figure, ax
        p = tr["first"]
        if p is None:  # no pulse with both edges (a decaying photocurrent): the trace only
            main.plot(tr["t"], tr["i"] * 1e9, "-", lw=0.7, color="0.3")
            main.set_xlabel("time (s)")
            main.set_ylabel("current (nA)")
            return fig
        main.plot(
            (p["t"] - p["t_on"]) * 1e3,
            p["y"] * 100,
            ".-",
            ms=3,
            lw=0.7,
            color="C0",
            label="first pulse",
        )
        for lvl in (10, 90):
            main.axhline(lvl, color="0.6", lw=0.7, ls=":")
        for key, c, levels in (("rise", "C3", [10, 90]), ("fall", "C2", [90, 10])):
            if getattr(self, key + "_time") is None:
                continue
            times = (np.array(p[key]) - p["t_on"]) * 1e3
            main.plot(
                times,
                levels,
                "o",
                color=c,
                label=f"{key} time {getattr(self, key + '_time').format()}",
            )
        if self.lag is not None:
            main.axvline(
                (p["t_off"] + self.lag_after_s - p["t_on"]) * 1e3,
                color="C4",
                lw=0.8,
                ls="--",
                label=f"lag {self.lag.format()} at +{self.lag_after_s:g} s",
            )
        main.set_xlabel("time after beam on (ms)")
        main.set_ylabel("signal (% of step)")
        main.legend(frameon=False, fontsize=7)
        return fig


class ResponseTime(LabAnalysis[ResponseResult]):
    """Rise/fall times and lag from beam on/off pulses.

    Parameters
    ----------
    time_s, current_A
        The trace (s, strictly increasing; A, either sign).
    dose_rate_Gy_per_s
        Dose rate per reading (0 = off), or
    segments
        Beam-on periods, or neither: pulses are then found from the current's steps.
    origin
        Where the readings came from, for messages.
    """

    name = "response"

    def __init__(
        self,
        time_s: Any,
        current_A: Any,
        *,
        dose_rate_Gy_per_s: Any = None,
        segments: Sequence[BeamSegment] | None = None,
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
        if dose_rate_Gy_per_s is not None and segments is not None:
            raise InputError("give a dose-rate column or a schedule, not both")
        if dose_rate_Gy_per_s is not None:
            dr = as_array("dose rate", dose_rate_Gy_per_s, origin=self.origin, unit="Gy/s")
            self.segments = [
                (s.t_on_s, s.t_off_s)
                for s in segments_from_dose_rate(self.time_s, dr, origin=self.origin)
            ]
        elif segments is not None:
            self.segments = [
                (s.t_on_s, s.t_off_s) for s in sorted(segments, key=lambda s: s.t_on_s)
            ]
        else:
            self.segments = detect_beam_segments(self.time_s, self.current_A)
        if not self.segments:
            raise InputError(
                f"{self.origin.source}: no beam pulse found; give the on/off times with "
                "--schedule FILE or a dose-rate column"
            )

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        schedule_path: str | Path | None = None,
        schedule_columns: dict[str, str] | None = None,
        schedule_units: dict[str, str] | None = None,
        columns: dict[str, str] | None = None,
        units: dict[str, str] | None = None,
        sheet: str | None = None,
    ) -> Self:
        """Read time and current (and a dose-rate column if present)."""
        from perovx.io.tables import read_table

        table = read_table(path, columns=columns, units=units, sheet=sheet)
        from perovx.metrics.lab._signal import rebuild_time

        t = table.get("time")
        if (t.values[1:] < t.values[:-1]).any():
            t.require_increasing()  # names the file line where the time goes back
        t_s, time_note = rebuild_time(t.values, where=f"{table.path}, column {t.header!r}")
        i = table.get("current")
        kwargs: dict[str, Any] = {}
        if schedule_path is not None:
            kwargs["segments"] = segments_from_schedule(
                schedule_path, columns=schedule_columns, units=schedule_units
            )
        elif table.has("dose_rate"):
            kwargs["dose_rate_Gy_per_s"] = table.get("dose_rate").values
        out = cls(t_s, i.values, origin=DataOrigin.of(t), **kwargs)
        if table.layout:
            out.input_notes.append(f"file layout: {table.layout}")
        if time_note:
            out.input_notes.append(time_note)
        if t.note:
            out.input_warnings.append(t.note)
        return out

    @classmethod
    def from_demo(cls, *, seed: int = 0) -> Self:
        """The synthetic pulses of :func:`perovx.readout.sourcemeter.response_measurement`."""
        from perovx.readout.sourcemeter import response_measurement

        m = response_measurement(seed=seed)
        return cls(m.column("Time"), m.column("Current"), origin=DataOrigin("demo"))

    def analyze(self, *, lag_after_s: float = 1.0, lag_window: int = 5) -> Self:
        """Measure every complete pulse.

        Parameters
        ----------
        lag_after_s
            Time after beam off at which the lag is read, s (> 0).
        lag_window
            Readings averaged around that time (odd, ≥ 1).
        """
        import numpy as np

        if not lag_after_s > 0:
            raise InputError(f"lag time must be > 0 s, got {lag_after_s!r}")
        if lag_window < 1:
            raise InputError(f"lag window must be >= 1 reading, got {lag_window!r}")
        t, cur = self.time_s, self.current_A
        dt = float(np.median(np.diff(t)))
        segs = self.segments
        from perovx.metrics.lab._signal import reading_noise

        notes: list[str] = list(self.input_notes)
        warnings: list[str] = list(self.input_warnings)
        rn = reading_noise(cur)
        if rn.note():
            notes.append(rn.note())
        # polarity from the steps: plateau minus the dark level before each pulse
        raw = []
        for k, (t_on, t_off) in enumerate(segs):
            prev_off = segs[k - 1][1] if k else t[0]
            d_sel = (t >= t_on - 0.5 * (t_on - prev_off)) & (t < t_on)
            p_sel = (t >= t_on + 0.5 * (t_off - t_on)) & (t < t_off)
            if d_sel.sum() and p_sel.sum():
                raw.append(float(cur[p_sel].mean() - cur[d_sel].mean()))
        sign = 1.0 if not raw or float(np.median(raw)) >= 0 else -1.0
        if sign < 0:
            notes.append(
                f"the photocurrent is negative ({sum(r < 0 for r in raw)} of {len(raw)} "
                "pulses lower the current; negative bias?): signs inverted"
            )
        y_all = sign * cur
        # the dark baseline through the last half of every beam-off period (it drifts)
        from perovx.metrics.lab._signal import fit_baseline

        offs = [float(t[0])] + [b for _, b in segs]
        ons = [a for a, _ in segs] + [float(t[-1] + dt)]
        windows = [(b - 0.5 * (b - a), b) for a, b in zip(offs, ons, strict=True) if b > a]
        base_fit = fit_baseline(t, y_all, windows)
        base = base_fit(t)
        drift = float(base[-1] - base[0])
        decays: list[float] = []
        persist: list[float] = []
        dark_shift: list[float] = []
        pulses = []
        first = None
        for k, (t_on, t_off) in enumerate(segs):
            prev_off = segs[k - 1][1] if k else t[0]
            next_on = segs[k + 1][0] if k + 1 < len(segs) else t[-1] + dt
            dark_sel = (t >= t_on - 0.5 * (t_on - prev_off)) & (t < t_on)
            top_sel = (t >= t_on + 0.5 * (t_off - t_on)) & (t < t_off)
            if dark_sel.sum() < 3 or top_sel.sum() < 3 or next_on - t_off < 4 * dt:
                notes.append(
                    f"pulse at {t_on:g} s skipped: too few readings before, during or after it"
                )
                continue
            step = float((y_all - base)[top_sel].mean())
            if step <= 0:
                notes.append(f"pulse at {t_on:g} s skipped: no rise of the current")
                continue
            y = (y_all - base) / step
            lag = None
            t_lag = t_off + lag_after_s
            if t_lag < next_on - dt * lag_window / 2:
                j = int(np.argmin(np.abs(t - t_lag)))
                h = lag_window // 2
                lag = float(y[max(j - h, 0) : j + h + 1].mean())
            # decay within the pulse: the highest level (smoothed) against the end level
            on_sel = (t >= t_on) & (t < t_off)
            yy = y[on_sel]
            if yy.size >= 6:
                w = max(3, yy.size // 20)
                smooth = np.convolve(yy, np.ones(w) / w, mode="valid")
                peak = float(smooth.max())
                decays.append((peak - 1.0) / peak if peak > 0 else 0.0)
                if lag is not None:
                    persist.append(lag / peak)
            # the dark level after the pulse against the one before it
            after_sel = (t >= t_off + 0.5 * (next_on - t_off)) & (t < next_on)
            if after_sel.sum() >= 3:
                dark_shift.append(float(y[after_sel].mean()))
            rise = _crossings(t, y, t_on - 0.5 * (t_on - prev_off), t_off, rising=True)
            fall = _crossings(t, y, t_off - 0.5 * (t_off - t_on), next_on, rising=False)
            if rise is None or fall is None:
                notes.append(
                    f"pulse at {t_on:g} s skipped: the 10 % / 90 % crossings were not found"
                )
                continue
            pulses.append(
                {
                    "t_on_s": t_on,
                    "t_off_s": t_off,
                    "rise_time_s": rise[1] - rise[0],
                    "fall_time_s": fall[1] - fall[0],
                    "lag_percent": None if lag is None else lag * 100,
                    "step_nA": step * 1e9,
                    "baseline_drift_during_pulse_nA": float(
                        base_fit(t_off)[0] - base_fit(t_on)[0]
                    )
                    * 1e9,
                }
            )
            if first is None:
                first = {
                    "t": t[(t >= prev_off) & (t < next_on)],
                    "y": y[(t >= prev_off) & (t < next_on)],
                    "t_on": t_on,
                    "t_off": t_off,
                    "rise": rise,
                    "fall": fall,
                }
        decaying = bool(decays) and float(np.mean(decays)) > _DECAY_LIMIT
        if not pulses and not decaying:
            raise InputError(
                f"{self.origin.source}: no complete beam pulse could be measured "
                f"({'; '.join(notes)}); record dark periods before and after each pulse"
            )
        res_floor = dt / math.sqrt(6.0)

        def combine(values: list[float], what: str) -> Measurement:
            v = np.array(values)
            sem = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
            conv = (
                f"{what}: 10 %–90 % of the step between the dark baseline (fitted through the "
                "last half of every beam-off period) and the plateau (last half of the beam-on "
                "period), "
                f"crossings interpolated linearly; mean of {v.size} pulse(s); uncertainty = "
                f"standard error over pulses ⊕ sample interval/√6 ({res_floor:.2g} s)"
            )
            return Measurement(float(v.mean()), math.hypot(sem, res_floor), "s", conv)

        rise_m: Measurement | None = None
        fall_m: Measurement | None = None
        if pulses:
            rise_m = combine([p["rise_time_s"] for p in pulses], "rise")
            fall_m = combine([p["fall_time_s"] for p in pulses], "fall")
        decay_m = persist_m = None
        if decays:
            dv = np.array(decays)
            decay_m = Measurement(
                float(dv.mean()),
                float(dv.std(ddof=1) / math.sqrt(dv.size)) if dv.size > 1 else None,
                "percent",
                "loss of photocurrent during a pulse: (highest level, smoothed over 5 % of "
                "the pulse − plateau, the mean of its last half)/highest level; mean over "
                "pulses",
            )
        if decaying and decay_m is not None:
            if persist:
                pv = np.array(persist)
                persist_m = Measurement(
                    float(pv.mean()),
                    float(pv.std(ddof=1) / math.sqrt(pv.size)) if pv.size > 1 else None,
                    "percent",
                    f"persistent photoconductivity: signal {lag_after_s:g} s after beam off "
                    "over the highest signal during the pulse; mean over pulses",
                )
            warnings.append(
                f"photocurrent decays by {decay_m.value:.0%} during the pulse (more than "
                f"{_DECAY_LIMIT:.0%}): rise/fall times and lag are not reliable and are not "
                "reported; "
                + (
                    f"persistent-photoconductivity ratio {persist_m.format()} reported instead"
                    if persist_m is not None
                    else "no beam-off period long enough for a persistent-photoconductivity ratio"
                )
            )
            rise_m = fall_m = None
        for name, m in (("rise", rise_m), ("fall", fall_m)):
            if m is not None and m.value < 3 * dt:
                notes.append(
                    f"{name} time is within 3 sample intervals ({dt:g} s): limited by "
                    "the sampling, read it as an upper bound"
                )
        lags = [p["lag_percent"] / 100 for p in pulses if p["lag_percent"] is not None]
        lag_m = None
        if lags and not decaying:
            lv = np.array(lags)
            sem = float(lv.std(ddof=1) / math.sqrt(lv.size)) if lv.size > 1 else None
            lag_m = Measurement(
                float(lv.mean()),
                sem,
                "percent",
                f"signal {lag_after_s:g} s after beam off, as a fraction of the step, current "
                f"averaged over {lag_window} readings; mean of {lv.size} pulse(s)"
                + ("" if sem is not None else "; one pulse: no uncertainty"),
            )
        elif not lags:
            notes.append(f"lag not measured: no beam-off period longer than {lag_after_s:g} s")
        if abs(drift) > 0.5 * min((p["step_nA"] * 1e-9 for p in pulses), default=math.inf):
            warnings.append(
                f"the dark baseline drifts by {drift * 1e9:+.4g} nA over the record (in the "
                "photocurrent's direction) "
                "(more than half a step): edges and lag are measured from the "
                f"{base_fit.convention()}; check the baseline on the plot"
            )
        if lag_m is not None and dark_shift:
            shift = float(np.mean(dark_shift))
            if abs(shift) > max(0.5 * abs(lag_m.value), 0.005):
                warnings.append(
                    f"the dark level after the pulses differs from the one before by "
                    f"{shift:+.1%} of the step on average (a drifting baseline): the lag of "
                    f"{lag_m.format()} is uncertain by about that much"
                    + ("; a negative lag means the baseline fell" if lag_m.value < 0 else "")
                )
        self._result = ResponseResult(
            source=self.origin.source,
            notes=tuple(notes),
            warnings=tuple(warnings),
            decay_in_pulse=decay_m,
            persistent_photocurrent=persist_m,
            rise_time=rise_m,
            fall_time=fall_m,
            lag=lag_m,
            lag_after_s=lag_after_s,
            sample_interval_s=dt,
            pulses=tuple(pulses),
            trace={"t": t, "i": y_all, "segments": segs, "first": first, "baseline": base},
        )
        return self


def _crossings(
    t: np.ndarray, y: np.ndarray, start: float, stop: float, *, rising: bool
) -> tuple[float, float] | None:
    """Interpolated (t10, t90) for a rising edge, (t90, t10) for a falling one."""
    import numpy as np

    idx = np.flatnonzero((t >= start) & (t < stop))
    if idx.size < 3:
        return None
    yy, tt = y[idx], t[idx]
    if rising:
        hi = np.flatnonzero(yy >= 0.9)
        if not hi.size or hi[0] == 0:
            return None
        j90 = int(hi[0])
        lo = np.flatnonzero(yy[:j90] <= 0.1)
        if not lo.size:
            return None
        j10 = int(lo[-1])
        t10 = _interp(0.1, tt[j10], yy[j10], tt[j10 + 1], yy[j10 + 1])
        t90 = _interp(0.9, tt[j90 - 1], yy[j90 - 1], tt[j90], yy[j90])
        return t10, t90
    lo = np.flatnonzero(yy <= 0.1)
    if not lo.size or lo[0] == 0:
        return None
    j10 = int(lo[0])
    hi = np.flatnonzero(yy[:j10] >= 0.9)
    if not hi.size:
        return None
    j90 = int(hi[-1])
    t90 = _interp(0.9, tt[j90], yy[j90], tt[j90 + 1], yy[j90 + 1])
    t10 = _interp(0.1, tt[j10 - 1], yy[j10 - 1], tt[j10], yy[j10])
    return t90, t10


def _interp(level: float, t0: float, y0: float, t1: float, y1: float) -> float:
    if y1 == y0:
        return t0
    return t0 + (level - y0) * (t1 - t0) / (y1 - y0)
