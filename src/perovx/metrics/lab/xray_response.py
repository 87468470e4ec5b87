"""X-ray response: sensitivity, limit of detection, linear range, SNR and S/S0.

From a current–time trace recorded while the beam is switched on and off at several
air-kerma rates:

1. Beam-on segments come from a dose-rate column, a schedule (on/off times and dose
   rates) or, given only the dose rates in order, from the current's steps.
2. For each segment the net photocurrent is the mean over the *plateau* (the last
   ``plateau_fraction`` of the beam-on time) minus the dark baseline: a polynomial in time
   (degree 0–3 by BIC) fitted to the readings of the dark windows (the last
   ``plateau_fraction`` of each beam-off period, after the lag has died away), its
   covariance propagated into every step (:func:`perovx.metrics.lab._signal.fit_baseline`).
   Perovskite detectors drift by several percent over a run (ion migration) while a step
   adds a fraction of a percent: the baseline is fitted, not interpolated. The polarity is
   read from the steps themselves (the median sign of the net photocurrents).
3. The net current density ``J = ΔI/A`` is fitted against the dose rate by ordinary
   least squares with a free intercept; the slope is the sensitivity
   ``S = ΔJ/ΔḊ`` (C Gy⁻¹ m⁻²; reported in µC Gy_air⁻¹ cm⁻²) with its standard error.
   Going up from the three lowest dose rates, points join the fit while they lie
   within ``linearity_tolerance`` of the line through those three; the first that does
   not (saturation) and all above it are left out and bound the linear range.
4. The limit of detection follows IUPAC (the dose rate whose signal equals three times
   the noise): ``LoD = 3·σ/(A·S)``. By default σ is the standard deviation of the dark
   current averaged over windows of the integration time τ (bandwidth ``1/(2τ)``),
   each dark window first detrended by a straight line; alternatively σ is the residual
   standard deviation of the calibration line (``lod_noise="regression"``).
5. SNR per dose rate is the net photocurrent over the standard deviation of the
   (detrended) plateau current at the same integration time.
6. With a beam and a pair-creation energy W±, the normalised sensitivity S/S0 uses the
   theoretical sensitivity S0 of :func:`perovx.interaction.sensitivity.theoretical_sensitivity`
   (every incident photon's energy absorbed, every pair collected), as the review proposes.

Refusals and quality flags: fewer than two distinct dose rates (within 1 %) in the fit, or a
sensitivity whose standard error is as large as itself, end in a :class:`FitError`; a
drifting baseline, a photocurrent that decays during the beam-on periods, ghosting after
them, steps against the polarity and a dark current of the other sign are reported as
warnings (``result.warnings``, on the plot and in the JSON).

References
----------
IUPAC, *Compendium of Analytical Nomenclature* ("Orange Book"), 3rd ed. (1998), §18.4.3.7:
limit of detection ``x_L = x̄_bi + k·s_bi`` with k = 3.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from perovx.errors import FitError, InputError
from perovx.metrics.lab._fitting import (
    block_noise,
    effective_sample_size,
    linear_fit,
)
from perovx.metrics.lab.beam import (
    BeamSegment,
    detect_beam_segments,
    segments_from_dose_rate,
    segments_from_schedule,
)
from perovx.metrics.lab.result import (
    DataOrigin,
    LabAnalysis,
    Measurement,
    as_array,
    paired_arrays,
    require_increasing,
)
from perovx.metrics.lab.xray_result import XRayResponseResult

if TYPE_CHECKING:
    pass

__all__ = [
    "LOD_NOISE_METHODS",
    "BeamSegment",
    "XRayResponse",
    "XRayResponseResult",
    "detect_beam_segments",
    "segments_from_dose_rate",
    "segments_from_schedule",
]

#: How σ of the LoD is estimated.
LOD_NOISE_METHODS = ("dark", "regression")
_MIN_WINDOW_SAMPLES = 3


class XRayResponse(LabAnalysis[XRayResponseResult]):
    """Sensitivity, LoD, linear range, dark current, SNR and S/S0 from a current trace.

    Parameters
    ----------
    time_s
        Reading times, s (strictly increasing).
    current_A
        Current, A (either sign; a negative-bias trace is analysed with signs inverted).
    area_m2
        Electrode area, m² (> 0).
    dose_rate_Gy_per_s
        Dose rate at each reading, Gy s⁻¹ (0 with the beam off); or
    segments
        Beam-on periods (:class:`BeamSegment`, e.g. from :func:`segments_from_schedule`); or
    dose_rates_Gy_per_s
        The dose rate of each beam-on period in order, the periods being found from the
        current's steps (:func:`detect_beam_segments`).
    thickness_m, bias_V
        Device thickness, m, and bias, V (reported; not needed for S or LoD).
    beam
        Beam for S/S0: a :class:`perovx.spectra.Beam` or a spec (``"RQA5"``, ``"60keV"``).
    w_pair_eV
        Pair-creation energy W±, eV, for S0.
    origin
        Where the readings came from (file lines), for messages.
    """

    name = "xray-response"

    def __init__(
        self,
        time_s: Any,
        current_A: Any,
        *,
        area_m2: float,
        dose_rate_Gy_per_s: Any = None,
        segments: Sequence[BeamSegment] | None = None,
        dose_rates_Gy_per_s: Sequence[float] | None = None,
        thickness_m: float | None = None,
        bias_V: float | None = None,
        beam: Any = None,
        w_pair_eV: float | None = None,
        origin: DataOrigin | None = None,
    ) -> None:

        super().__init__()
        self.origin = origin or DataOrigin()
        self.time_s, self.current_A = paired_arrays(
            ("time", time_s, "s"), ("current", current_A, "A"), origin=self.origin
        )
        if self.time_s.size < 10:
            raise InputError(
                f"{self.origin.source}: only {self.time_s.size} readings; an X-ray response "
                "needs dark and beam-on periods of several readings each"
            )
        require_increasing("time", self.time_s, "s", origin=self.origin)
        if not area_m2 > 0:
            raise InputError(f"area must be > 0 m², got {area_m2!r}")
        given = sum(x is not None for x in (dose_rate_Gy_per_s, segments, dose_rates_Gy_per_s))
        if given != 1:
            raise InputError(
                "give the dose rates one way: a dose-rate column, a schedule of beam-on "
                "periods, or the list of dose rates (beam periods then found from the current)"
                + (" — none was given" if given == 0 else f" — {given} were given")
            )
        self.area_m2 = float(area_m2)
        self.thickness_m = thickness_m
        self.bias_V = bias_V
        self.beam = beam
        self.w_pair_eV = w_pair_eV
        self.notes: list[str] = []
        self.input_warnings: list[str] = []  # from reading the file (clock time axis)
        if dose_rate_Gy_per_s is not None:
            dr = as_array("dose rate", dose_rate_Gy_per_s, origin=self.origin, unit="Gy/s")
            if dr.size != self.time_s.size:
                raise InputError(f"{self.origin.source}: dose-rate column length differs")
            self.segments = segments_from_dose_rate(self.time_s, dr, origin=self.origin)
            self.segment_source = "dose-rate column"
        elif segments is not None:
            self.segments = sorted(segments, key=lambda s: s.t_on_s)
            self.segment_source = "schedule"
            if any(not s.dose_rate_Gy_per_s > 0 for s in self.segments):
                raise InputError(
                    f"{self.segments[0].where or 'schedule'}: the schedule gives beam on/off "
                    "times but no dose rate; a sensitivity needs the dose rate of each pulse: "
                    "add a dose-rate column to the schedule (e.g. 'Dose rate (uGy/s)') or "
                    "give the rates in order with --dose-rates"
                )
            for s in self.segments:
                if s.t_on_s < self.time_s[0] or s.t_on_s >= self.time_s[-1]:
                    raise InputError(
                        f"{s.where or 'schedule'}: beam-on at {s.t_on_s:g} s is outside the "
                        f"trace ({self.time_s[0]:g}–{self.time_s[-1]:g} s); wrong schedule file "
                        "or a time offset?"
                    )
        else:
            rates = [float(r) for r in dose_rates_Gy_per_s]  # type: ignore[union-attr]
            for k, r in enumerate(rates):
                if not r > 0:
                    raise InputError(
                        f"dose rate #{k + 1} is {r:g} Gy/s; every beam-on period needs a dose "
                        "rate > 0 (a zero dose rate is the dark baseline, not a fit point)"
                    )
            found = detect_beam_segments(self.time_s, self.current_A)
            if len(found) != len(rates):
                where = ", ".join(f"{a:g}–{b:g} s" for a, b in found) or "none"
                raise InputError(
                    f"{self.origin.source}: {len(found)} beam-on periods found in the current "
                    f"({where}) but {len(rates)} dose rates given; give a schedule file with "
                    "the on/off times (--schedule) instead"
                )
            self.segments = [
                BeamSegment(a, b, r, f"detected period {k + 1}")
                for k, ((a, b), r) in enumerate(zip(found, rates, strict=True))
            ]
            self.segment_source = "detected from the current steps"

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        area_m2: float,
        schedule_path: str | Path | None = None,
        schedule_columns: dict[str, str] | None = None,
        schedule_units: dict[str, str] | None = None,
        dose_rates_Gy_per_s: Sequence[float] | None = None,
        thickness_m: float | None = None,
        bias_V: float | None = None,
        beam: Any = None,
        w_pair_eV: float | None = None,
        columns: dict[str, str] | None = None,
        units: dict[str, str] | None = None,
        sheet: str | None = None,
    ) -> Self:
        """Read a trace file (time, current and, unless a schedule or rates are given, dose rate).

        Parameters
        ----------
        path
            CSV/TSV/xlsx with time and current columns (and a dose-rate column).
        schedule_path
            A schedule file (see :func:`segments_from_schedule`); overrides a dose-rate column.
        schedule_columns, schedule_units
            Column mapping and units for the schedule file (as ``columns``, ``units``).
        dose_rates_Gy_per_s
            Dose rates of the beam-on periods in order, Gy s⁻¹ (periods found from the
            current, or taken from a schedule of beam on/off times without dose rates).
        columns, units, sheet
            See :func:`perovx.io.tables.read_table`.
        """
        from perovx.io.tables import read_table

        table = read_table(path, columns=columns, units=units, sheet=sheet)
        from perovx.metrics.lab._signal import rebuild_time

        time = table.get("time")
        if (time.values[1:] < time.values[:-1]).any():
            time.require_increasing()  # names the file line where the time goes back
        time_s, time_note = rebuild_time(time.values, where=f"{table.path}, column {time.header!r}")
        current = table.get("current")
        origin = DataOrigin.of(time)
        kwargs: dict[str, Any] = {}
        if schedule_path is not None:
            segs = segments_from_schedule(
                schedule_path, columns=schedule_columns, units=schedule_units
            )
            if dose_rates_Gy_per_s is not None:
                segs = _fill_rates(segs, list(dose_rates_Gy_per_s), str(schedule_path))
            kwargs["segments"] = segs
        elif dose_rates_Gy_per_s is not None:
            kwargs["dose_rates_Gy_per_s"] = dose_rates_Gy_per_s
        elif table.has("dose_rate"):
            kwargs["dose_rate_Gy_per_s"] = table.get("dose_rate").values
        else:
            raise InputError(
                f"{table.path}: no dose-rate column (columns: "
                f"{', '.join(repr(h) for h in table.headers)}); give a schedule file of the "
                "beam-on periods (--schedule FILE), the dose rates in order (--dose-rates "
                "100nGy/s,1uGy/s,...), or map a column with --column dose_rate=HEADER"
            )
        out = cls(
            time_s,
            current.values,
            area_m2=area_m2,
            thickness_m=thickness_m,
            bias_V=bias_V,
            beam=beam,
            w_pair_eV=w_pair_eV,
            origin=origin,
            **kwargs,
        )
        if table.layout:
            out.notes.append(f"file layout: {table.layout}")
        if time_note:
            out.notes.append(time_note)
        if time.note:
            out.input_warnings.append(time.note)
        return out

    @classmethod
    def from_demo(cls, *, seed: int = 0) -> Self:
        """The synthetic trace of :func:`perovx.readout.sourcemeter.xray_response_measurement`."""
        from perovx.readout.sourcemeter import xray_response_measurement

        m = xray_response_measurement(seed=seed)
        return cls(
            m.column("Time"),
            m.column("Current"),
            dose_rate_Gy_per_s=m.column("Dose rate"),
            area_m2=m.settings["area_m2"],
            thickness_m=m.settings["thickness_m"],
            bias_V=m.settings["bias_V"],
            origin=DataOrigin("demo"),
        )

    # -- analysis ---------------------------------------------------------------------

    def analyze(
        self,
        *,
        plateau_fraction: float = 0.5,
        integration_time_s: float | None = None,
        bandwidth_Hz: float | None = None,
        lod_noise: str = "dark",
        linearity_tolerance: float = 0.10,
    ) -> Self:
        """Run the analysis.

        Parameters
        ----------
        plateau_fraction
            Fraction at the end of each beam-on and beam-off period that is averaged
            (0 < f ≤ 1); the start is left out to skip the rise and the lag.
        integration_time_s
            Integration time τ of the noise estimate, s (default: the sample interval);
            the noise bandwidth is ``1/(2τ)``.
        bandwidth_Hz
            Alternatively the bandwidth B, Hz (τ = 1/(2B)).
        lod_noise
            ``"dark"`` (σ of the dark current at τ) or ``"regression"`` (residual standard
            deviation of the calibration line).
        linearity_tolerance
            Relative deviation from the line through the lower points above which the
            highest points are left out of the fit as saturated.
        """
        import numpy as np

        if not 0 < plateau_fraction <= 1:
            raise InputError(f"plateau fraction must be in (0, 1], got {plateau_fraction!r}")
        if lod_noise not in LOD_NOISE_METHODS:
            raise InputError(
                f"unknown LoD noise method {lod_noise!r}; use one of {', '.join(LOD_NOISE_METHODS)}"
            )
        if not linearity_tolerance > 0:
            raise InputError(f"linearity tolerance must be > 0, got {linearity_tolerance!r}")
        t, cur = self.time_s, self.current_A
        dt = float(np.median(np.diff(t)))
        if integration_time_s is not None and bandwidth_Hz is not None:
            raise InputError("give the integration time or the bandwidth, not both")
        if bandwidth_Hz is not None:
            if not bandwidth_Hz > 0:
                raise InputError(f"bandwidth must be > 0 Hz, got {bandwidth_Hz!r}")
            integration_time_s = 1.0 / (2.0 * bandwidth_Hz)
        tau = dt if integration_time_s is None else float(integration_time_s)
        if tau < dt * 0.999:
            raise InputError(
                f"integration time {tau:g} s is shorter than the sample interval {dt:g} s "
                f"(bandwidth {1 / (2 * tau):g} Hz above the Nyquist limit of the readings); "
                f"use >= {dt:g} s"
            )
        block = max(1, round(tau / dt))
        tau = block * dt
        segs = self.segments
        if not segs:
            raise InputError(f"{self.origin.source}: no beam-on period")
        notes = list(self.notes)
        warnings: list[str] = list(self.input_warnings)

        # dark windows: the last fraction of each beam-off period
        edges = [float(t[0])]
        for sg in segs:
            edges += [sg.t_on_s, sg.t_off_s]
        edges.append(float(t[-1] + dt))
        dark = []  # (t_mid, mean, variance of the mean, readings)
        for a, b in zip(edges[0::2], edges[1::2], strict=True):
            if b <= a:
                continue
            sel = (t >= b - plateau_fraction * (b - a)) & (t < b)
            if sel.sum() >= _MIN_WINDOW_SAMPLES:
                v = cur[sel]
                dark.append(
                    (float(t[sel].mean()), float(v.mean()), float(v.var(ddof=1)) / v.size, v)
                )
        if not dark:
            raise InputError(
                f"{self.origin.source}: no beam-off period with at least {_MIN_WINDOW_SAMPLES} "
                "readings; the dark baseline cannot be measured — record dark current before "
                "and between the exposures"
            )
        from perovx.metrics.lab._signal import fit_baseline, reading_noise

        dark_m = np.array([d[1] for d in dark])
        dark_windows = []
        for a, b in zip(edges[0::2], edges[1::2], strict=True):
            if b > a:
                dark_windows.append((b - plateau_fraction * (b - a), b))
        base_fit = fit_baseline(t, cur, dark_windows)
        rn = reading_noise(cur)
        if rn.note():
            notes.append(rn.note())
        drift = float(base_fit(t[-1])[0] - base_fit(t[0])[0])
        drift_rel = abs(drift) / max(abs(float(dark_m.mean())), 1e-300)

        def baseline(tt: Any) -> Any:
            return base_fit(tt)

        steps = []
        plateaus = []
        shapes: list[tuple[float | None, float | None]] = []
        for s in segs:
            start = s.t_off_s - plateau_fraction * (s.t_off_s - s.t_on_s)
            sel = (t >= start) & (t < s.t_off_s)
            if sel.sum() < _MIN_WINDOW_SAMPLES:
                raise InputError(
                    f"{s.where}: the beam-on period {s.t_on_s:g}–{s.t_off_s:g} s has "
                    f"{int(sel.sum())} readings in its plateau (need {_MIN_WINDOW_SAMPLES}); "
                    "longer exposures or a larger --plateau-fraction"
                )
            tt, v = t[sel], cur[sel]
            _, b_var = base_fit.mean_over(tt)
            net = v - baseline(tt)
            n_eff = effective_sample_size(net - net.mean()) if net.size >= 3 else net.size
            u2 = float(net.var(ddof=1)) / n_eff + b_var
            u2 += (rn.resolution_A**2 / 12.0) / net.size
            try:
                sig, _ = block_noise([v], block)
            except InputError:
                sig = math.nan
            steps.append((s, float(net.mean()), math.sqrt(u2), sig))
            plateaus.append((float(tt[0]), float(s.t_off_s)))
            shapes.append(_pulse_shape(t, cur - baseline(t), s, segs, float(net.mean())))

        # polarity from the photocurrent steps themselves (not from the dark level)
        nets = np.array([n for _, n, _, _ in steps])
        sign = 1.0 if float(np.median(nets)) >= 0 else -1.0
        against = [
            (st, n, u) for st, n, u, _ in steps if sign * n < 0 and abs(n) > 3 * u
        ]
        if against:
            st, n, u = against[0]
            warnings.append(
                f"{len(against)} of {len(steps)} beam-on periods move the current against the "
                f"others (e.g. {st.where}: {n * 1e9:+.3g} ± {u * 1e9:.2g} nA): wrong schedule "
                "or dose-rate column, or a baseline jump; those points are in the fit as measured"
            )
        if sign < 0:
            notes.append(
                f"the photocurrent is negative ({int(np.sum(nets < 0))} of {nets.size} steps "
                "below the dark baseline; negative bias?): currents multiplied by −1 for the "
                "analysis, the dark current reported with that sign too"
            )
        if sign * float(dark_m.mean()) < 0:
            warnings.append(
                f"the dark current ({float(dark_m.mean()) * 1e9:.4g} nA) and the photocurrent "
                "have opposite signs: an offset or reversed leads? The dark current is reported "
                "relative to the photocurrent's direction"
            )
        decays = [d for d, _ in shapes if d is not None]
        glows = [g for _, g in shapes if g is not None]
        if decays and float(np.median(decays)) > 0.05:
            warnings.append(
                f"the photocurrent decays during the beam-on periods by {np.median(decays):.0%} "
                "(median; from the level just after the rise to the plateau): persistent "
                "photoconductivity or polarisation; the net current depends on the plateau "
                f"fraction ({plateau_fraction:.0%} used)"
            )
        if glows and float(np.median(glows)) > 0.05:
            warnings.append(
                f"ghosting: 10–20 % into each beam-off period the current is still "
                f"{np.median(glows):.0%} (median) of the step above the dark baseline; the dark "
                "windows (the last part of each beam-off period) avoid it, but the next step "
                "may start from a raised level"
            )
        if drift_rel > 0.005:
            warnings.append(
                f"the dark baseline drifts by {drift * 1e9:+.4g} nA ({drift_rel:.1%}) over the "
                f"record; {base_fit.convention()}, and subtracted from every plateau"
            )
        x = np.array([s.dose_rate_Gy_per_s for s, _, _, _ in steps])
        y = np.array([sign * n for _, n, _, _ in steps]) / self.area_m2
        distinct = _distinct(x)
        if distinct.size < 2:
            raise FitError(
                f"{self.origin.source}: the sensitivity fit needs at least two different dose "
                f"rates (differing by > {_SAME_RATE:.0%}), got "
                f"{', '.join(f'{r * 1e9:.4g}' for r in distinct)} nGy/s"
            )
        order = np.argsort(x, kind="stable")
        used = np.ones(x.size, bool)
        # the lowest points spanning three distinct dose rates define the reference line
        n_ref = int(np.searchsorted(x[order], distinct[min(2, distinct.size - 1)], "right"))
        if distinct.size >= 4:
            # linear range: the points within the tolerance of the line through the three
            # lowest dose rates, up to the first that is not (saturation)
            ref = linear_fit(x[order[:n_ref]], y[order[:n_ref]])
            for n, j in enumerate(order[n_ref:]):
                pred = ref.predict(x[j])
                if not (pred > 0 and abs(y[j] - pred) / pred <= linearity_tolerance):
                    used[order[n_ref + n :]] = False
                    break
        else:
            notes.append("fewer than 4 dose rates: the linear range is not tested")
        if not used.all():
            notes.append(
                f"{int((~used).sum())} highest dose rate(s) deviate by > "
                f"{linearity_tolerance:.0%} from the line through the three lowest: left "
                "out as outside the linear range"
            )
        if _distinct(x[used]).size < 2:
            raise FitError(
                f"{self.origin.source}: fewer than two distinct dose rates remain in the linear "
                f"range ({', '.join(f'{r * 1e9:.4g}' for r in _distinct(x[used]))} nGy/s); "
                "the sensitivity is not determined — measure more dose rates"
            )
        fit = linear_fit(x[used], y[used], what="sensitivity fit (J vs dose rate)")
        if fit.slope_se is not None and not fit.slope_se < abs(fit.slope):
            raise FitError(
                f"{self.origin.source}: the sensitivity is not determined: slope "
                f"{fit.slope * 1e2:.3g} ± {fit.slope_se * 1e2:.3g} µC Gy⁻¹ cm⁻² (the "
                f"uncertainty is as large as the value) over {fit.n} points at "
                f"{_distinct(x[used]).size} distinct dose rates; check the dose rates and "
                "the beam-on periods on the plot"
            )
        if not fit.slope > 0:
            raise FitError(
                f"{self.origin.source}: the net current does not increase with dose rate "
                f"(slope {fit.slope:.3g} C Gy⁻¹ m⁻²); check that the dose-rate column or "
                "schedule matches the trace and that the beam was on"
            )
        if fit.slope_se is None:
            notes.append("two dose rates only: the sensitivity has no statistical uncertainty")
        conv_s = (
            "S = slope of net current density (plateau minus the fitted dark baseline) vs "
            f"air-kerma rate; ordinary least squares with free intercept over {fit.n} dose "
            f"rates; plateau = last {plateau_fraction:.0%} of each beam-on period; standard "
            "error from the residual scatter"
        )
        sensitivity = Measurement(fit.slope, fit.slope_se, "uC_per_Gy_cm2", conv_s)
        intercept = Measurement(
            fit.intercept,
            fit.intercept_se,
            "nA_per_cm2",
            "intercept of the sensitivity line (ideally 0)",
        )

        # noise and LoD
        bandwidth = 1.0 / (2.0 * tau)
        if lod_noise == "dark":
            sigma, n_blocks = block_noise([d[3] for d in dark], block)
            n_win = len(dark)
            u_sigma = sigma / math.sqrt(2.0 * max(n_blocks - 2 * n_win, 1))
            sigma_J = sigma / self.area_m2
            conv_noise = (
                f"σ = standard deviation of the dark current averaged over τ = {tau:g} s "
                f"(bandwidth 1/(2τ) = {bandwidth:g} Hz), {n_blocks} windows from {n_win} "
                "beam-off periods, each detrended by a straight line"
            )
        else:
            if fit.residual_sd is None:
                raise FitError(
                    "LoD from the regression needs at least three dose rates in the linear "
                    "range; use --lod-noise dark"
                )
            sigma_J = fit.residual_sd
            sigma = sigma_J * self.area_m2
            u_sigma = sigma / math.sqrt(2.0 * fit.dof)
            conv_noise = (
                "σ = residual standard deviation s_y/x of the sensitivity line "
                f"({fit.dof} degrees of freedom), converted to current"
            )
        q_floor = rn.resolution_A / math.sqrt(12.0)
        if lod_noise == "dark" and sigma < q_floor:
            warnings.append(
                f"the dark noise σ = {sigma * 1e12:.3g} pA is below the readings' resolution "
                f"floor q/√12 = {q_floor * 1e12:.3g} pA (q = {rn.resolution_A * 1e9:.3g} nA): "
                "σ raised to that floor, so the LoD is an upper estimate"
            )
            u_sigma = q_floor / math.sqrt(2.0 * max(n_blocks - 2 * n_win, 1))
            sigma_J = q_floor / self.area_m2
            sigma = q_floor
            conv_noise += "; raised to the resolution floor q/√12"
        if not sigma > 1e-9 * float(np.max(np.abs(cur))):  # zero up to rounding
            raise FitError(
                f"{self.origin.source}: the noise σ is 0 (the readings do not fluctuate: too "
                "coarse a resolution, or edited data); the LoD is undefined — use "
                "--lod-noise regression"
            )
        lod_value = 3.0 * sigma_J / fit.slope
        rel = (u_sigma / sigma) ** 2 + ((fit.slope_se or 0.0) / fit.slope) ** 2
        lod = Measurement(
            lod_value,
            lod_value * math.sqrt(rel),
            "nGy_per_s",
            "IUPAC 3σ: LoD = 3σ/(A·S), the dose rate whose signal equals three times the "
            f"noise; {conv_noise}",
        )
        noise = Measurement(sigma, u_sigma, "pA", conv_noise)

        # dark current
        dark_mean = sign * float(dark_m.mean())
        dark_u = float(dark_m.std(ddof=1) / math.sqrt(dark_m.size)) if dark_m.size > 1 else None
        conv_dark = (
            f"mean of the {dark_m.size} dark windows (last {plateau_fraction:.0%} of each beam-off "
            "period); uncertainty = standard error of the window means (includes drift)"
        )
        dark_current = Measurement(dark_mean, dark_u, "nA", conv_dark)
        dark_density = Measurement(
            dark_mean / self.area_m2,
            None if dark_u is None else dark_u / self.area_m2,
            "nA_per_cm2",
            conv_dark + "; divided by the electrode area",
        )

        # linear range
        x_lin_max = float(x[used].max())
        lin_min = Measurement(lod.value, lod.uncertainty, "nGy_per_s", "lower end = LoD")
        upper_bound = bool(used.all())
        lin_max = Measurement(
            x_lin_max,
            None,
            "nGy_per_s",
            "highest dose rate within ±"
            f"{linearity_tolerance:.0%} of the line through the three lowest dose rates"
            + (
                "; no saturation seen, so the range extends at least this far"
                if upper_bound
                else ""
            ),
            bound="lower" if upper_bound else None,
        )
        ldr_value = 20.0 * math.log10(x_lin_max / lod.value)
        ldr_u = (
            None if lod.uncertainty is None else 20.0 / math.log(10) * lod.uncertainty / lod.value
        )
        ldr = Measurement(
            ldr_value,
            ldr_u,
            "dB",
            "20·log10(linear range max / LoD); uncertainty from the LoD",
            bound="lower" if upper_bound else None,
        )

        # S/S0
        s0 = norm = None
        beam_name = None
        if self.beam is not None:
            s0_value, beam_name = _theoretical_sensitivity(self.beam, self.w_pair_eV)
            conv_s0 = (
                f"S0 for beam {beam_name} with W± = {self.w_pair_eV:g} eV: every incident "
                "photon's energy absorbed and every pair collected "
                "(perovx.interaction.sensitivity.theoretical_sensitivity)"
            )
            s0 = Measurement(s0_value, None, "uC_per_Gy_cm2", conv_s0)
            norm = Measurement(
                fit.slope / s0_value,
                None if fit.slope_se is None else fit.slope_se / s0_value,
                "",
                "S/S0, the normalised sensitivity proposed by the review; uncertainty from S only",
            )

        step_rows = []
        for k, ((s, n, u, sig), (dec, glow)) in enumerate(zip(steps, shapes, strict=True)):
            net = sign * n
            step_rows.append(
                {
                    "dose_rate_nGy_per_s": s.dose_rate_Gy_per_s * 1e9,
                    "t_on_s": s.t_on_s,
                    "t_off_s": s.t_off_s,
                    "net_photocurrent_nA": net * 1e9,
                    "net_photocurrent_uncertainty_nA": u * 1e9,
                    "current_density_nA_per_cm2": net / self.area_m2 * 1e5,
                    "current_density_uncertainty_nA_per_cm2": u / self.area_m2 * 1e5,
                    "noise_pA": sig * 1e12,
                    "snr": net / sig if sig and math.isfinite(sig) else None,
                    "used_in_fit": bool(used[k]),
                    "decay_in_pulse_percent": None if dec is None else sign * dec * 100,
                    "afterglow_percent": None if glow is None else glow * 100,
                }
            )
        bt = np.linspace(t[0], t[-1], 400)
        self._result = XRayResponseResult(
            source=self.origin.source,
            notes=tuple(notes),
            warnings=tuple(warnings),
            sensitivity=sensitivity,
            intercept=intercept,
            lod=lod,
            noise_current=noise,
            dark_current=dark_current,
            dark_current_density=dark_density,
            linear_range_min=lin_min,
            linear_range_max=lin_max,
            linear_dynamic_range=ldr,
            theoretical_sensitivity=s0,
            normalised_sensitivity=norm,
            integration_time_s=tau,
            bandwidth_Hz=bandwidth,
            r_squared=fit.r_squared,
            n_points_in_fit=fit.n,
            beam=beam_name,
            w_pair_eV=self.w_pair_eV,
            steps=tuple(step_rows),
            trace={
                "time_s": t,
                "current_A": cur,
                "baseline_time_s": bt,
                "baseline_A": baseline(bt),
                "segments": [(s.t_on_s, s.t_off_s) for s in segs],
                "plateaus": plateaus,
            },
        )
        return self


def _pulse_shape(
    t: Any, net: Any, seg: BeamSegment, segs: Sequence[BeamSegment], plateau: float
) -> tuple[float | None, float | None]:
    """Decay during a pulse and afterglow after it, as fractions of the plateau step.

    Decay: (mean over the second fifth of the beam-on period − plateau)/that mean.
    Afterglow: mean from 10 % to 20 % into the following beam-off period / plateau (late
    enough for the ordinary fall of the signal to be over).
    """
    import numpy as np

    if plateau == 0:
        return None, None
    d = seg.t_off_s - seg.t_on_s
    early = (t >= seg.t_on_s + 0.2 * d) & (t < seg.t_on_s + 0.4 * d)
    dec = None
    if early.sum() >= 3:
        e = float(np.mean(net[early]))
        dec = (e - plateau) / e if e * plateau > 0 else None
    later = [x.t_on_s for x in segs if x.t_on_s > seg.t_on_s]
    end = min(later) if later else float(t[-1])
    gap = end - seg.t_off_s
    glow = None
    after = (t >= seg.t_off_s + 0.1 * gap) & (t < seg.t_off_s + 0.2 * gap)
    if gap > 0 and after.sum() >= 3:
        glow = float(np.mean(net[after])) / plateau
    return dec, glow


def _fill_rates(
    segs: list[BeamSegment], rates: list[float], where: str
) -> list[BeamSegment]:
    """The schedule's beam periods with the dose rates given in order (Gy s⁻¹)."""
    if any(math.isfinite(s.dose_rate_Gy_per_s) for s in segs):
        raise InputError(
            f"{where}: the schedule has a dose-rate column and --dose-rates was given too; "
            "give the dose rates one way"
        )
    if len(rates) != len(segs):
        raise InputError(
            f"{where}: {len(segs)} beam-on periods in the schedule but {len(rates)} dose "
            "rates given; give one dose rate per period, in order"
        )
    return [
        BeamSegment(s.t_on_s, s.t_off_s, float(r), s.where)
        for s, r in zip(segs, rates, strict=True)
    ]


#: Dose rates within this relative difference count as one.
_SAME_RATE = 0.01


def _distinct(x: Any) -> Any:
    """The distinct dose rates of ``x`` (sorted), merging those within ``_SAME_RATE``."""
    import numpy as np

    xs = np.sort(np.asarray(x, float))
    out = [xs[0]] if xs.size else []
    for v in xs[1:]:
        if v > out[-1] * (1 + _SAME_RATE):
            out.append(v)
    return np.array(out)


def _theoretical_sensitivity(beam: Any, w_pair_eV: float | None) -> tuple[float, str]:
    """S0 (C Gy⁻¹ m⁻²) and the beam's name, from the interaction stage."""
    if w_pair_eV is None or not w_pair_eV > 0:
        raise InputError(
            "S/S0 needs the pair-creation energy W± of the material: give --material NAME "
            "or --w-pair 5eV"
        )
    try:
        from perovx.interaction.sensitivity import theoretical_sensitivity
    except ImportError as exc:
        raise InputError(
            f"S/S0 is not available: the theoretical-sensitivity module cannot be imported ({exc})"
        ) from None
    if isinstance(beam, str):
        try:
            from perovx.spectra import get_beam
        except ImportError as exc:
            raise InputError(
                f"beam {beam!r}: beam definitions cannot be imported ({exc})"
            ) from None
        beam = get_beam(beam)
    return float(theoretical_sensitivity(beam, w_pair_eV)), str(getattr(beam, "name", beam))
