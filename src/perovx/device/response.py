"""The response of a device to beam on/off: a fast and a slow (lag) first-order component.

The current during beam-on periods approaches its plateau as
``(1 − f)·(1 − e^(−t/τ_rise)) + f·(1 − e^(−t/τ_lag))`` and decays after beam off with
``τ_fall`` (fast part) and ``τ_lag`` (slow part, the lag), the model of the source-meter
simulator (:mod:`perovx.readout.sourcemeter`). :func:`fit_response` fits it to a
:class:`~perovx.metrics.lab.ResponseTime` trace with the beam edges free by a few
readings, and sets the model's 10–90 % times and lag beside the analysis' measurement.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from perovx.device.result import OperatingPoint, Parameter

__all__ = ["fit_response", "two_component"]

_LN9 = math.log(9.0)


def fit_response(
    a: Any, r: Any, f: Any, notes: list[str]
) -> tuple[list[Parameter], list[OperatingPoint], dict[str, Any]]:
    """Fit the on/off trace with a fast and a slow (lag) first-order component."""
    import lmfit
    import numpy as np

    t = np.asarray(a.time_s, float)
    y = np.asarray(a.current_A, float)
    segs = [
        (float(s.t_on_s), float(s.t_off_s)) if hasattr(s, "t_on_s") else (float(s[0]), float(s[1]))
        for s in a.segments
    ]
    if not segs:
        notes.append("response: no beam-on period: time constants not fitted")
        return [], [], {}
    pre = y[t < segs[0][0]]
    if np.median(y[(t >= segs[0][0]) & (t < segs[0][1])]) < (np.median(pre) if pre.size else 0.0):
        y = -y
        pre = -pre
    noise = float(np.std(np.diff(pre)) / math.sqrt(2)) if pre.size > 5 else float(np.std(y)) * 0.01
    if not noise > 0:
        noise = max(float(np.std(y)) * 1e-3, 1e-30)
    base0 = float(np.median(pre)) if pre.size else float(y.min())
    # a response-time record repeats one pulse: a "period" far below the others is a lag
    # tail or a baseline bend that the step finder kept, not a pulse to fit
    heights = [float(np.median(y[(t >= a0) & (t < b0)])) - base0 if ((t >= a0) & (t < b0)).any()
               else 0.0 for a0, b0 in segs]
    keep = [s for s, h in zip(segs, heights, strict=True) if h >= 0.2 * max(heights)]
    if len(keep) < len(segs):
        notes.append(f"response: {len(segs) - len(keep)} beam-on period(s) below a fifth of the "
                     "largest pulse left out of the time-constant fit")
        segs = keep
    on = (t > segs[0][0] + 0.5 * (segs[0][1] - segs[0][0])) & (t < segs[0][1])
    amp0 = float(np.median(y[on]) - base0) if on.any() else float(y.max() - base0)
    rise0 = (
        (r.rise_time.value / _LN9)
        if r is not None and r.rise_time
        else 0.05 * (segs[0][1] - segs[0][0])
    )
    fall0 = (r.fall_time.value / _LN9) if r is not None and r.fall_time else rise0
    dt = float(np.median(np.diff(t)))

    def start(rise: float, fall: float) -> Any:
        p = lmfit.Parameters()
        p.add("base", value=base0)
        p.add("amp", value=amp0)
        p.add("ln_rise", value=math.log(max(rise, 1e-6)))
        p.add("ln_fall", value=math.log(max(fall, 1e-6)))
        p.add("lag", value=0.05, min=0.0, max=0.9)
        p.add("ln_lag_tau", value=math.log(max(10 * fall, 1e-5)))
        # the beam edges are free within a few readings: edges found from the current (or
        # a schedule) are uncertain by about a reading, which matters for fast responses
        for k, (t_on, t_off) in enumerate(segs):
            p.add(f"on{k}", value=t_on, min=t_on - 5 * dt, max=t_on + 5 * dt)
            p.add(f"off{k}", value=t_off, min=t_off - 5 * dt, max=t_off + 5 * dt)
        return p

    def edges(q: Any) -> list[tuple[float, float]]:
        return [(q[f"on{k}"].value, q[f"off{k}"].value) for k in range(len(segs))]

    def model(q: Any, tt: Any) -> Any:
        return q["base"] + q["amp"] * two_component(
            tt,
            edges(q),
            math.exp(q["ln_rise"]),
            math.exp(q["ln_fall"]),
            q["lag"],
            math.exp(q["ln_lag_tau"]),
        )

    # time constants near or below the sample interval leave flat directions in which the
    # least-squares search can stall at its start: start from the analysis' 10–90 % times
    # and from fractions of a reading, and keep the best fit that has error bars
    out = None
    for rise, fall in ((rise0, fall0), (dt, dt), (0.3 * dt, 0.3 * dt), (3 * dt, 3 * dt)):
        trial = lmfit.minimize(
            lambda q: (y - model(q, t)) / noise, start(rise, fall), method="least_squares",
            scale_covar=False,
        )
        if out is None or (trial.errorbars, -trial.chisqr) > (out.errorbars, -out.chisqr):
            out = trial
        if out.errorbars:
            break
    q = out.params
    segs = edges(q)
    chi2r = float(out.chisqr / max(out.nfree, 1))
    # readings with 1/f noise are correlated: scale the uncertainties by the residuals'
    # reduced χ² and their integrated autocorrelation time (effective independent samples)
    res = np.asarray(out.residual, float)
    res = res - res.mean()
    acf = np.correlate(res, res, mode="full")[res.size - 1 :] / max(float(res @ res), 1e-300)
    cut = np.flatnonzero(acf < 0.05)
    k_max = int(cut[0]) if cut.size else min(res.size - 1, 200)
    tau_int = max(1.0, 1.0 + 2.0 * float(acf[1:k_max].sum()))
    inflate = math.sqrt(max(chi2r, 1.0) * tau_int)
    for par in q.values():
        if par.stderr is not None:
            par.stderr *= inflate

    def err_exp(name: str) -> float | None:
        e = q[name].stderr
        return None if e is None or not math.isfinite(e) else math.exp(q[name].value) * e

    src = "response (trace fit)"
    params = [
        Parameter(
            "rise_time_constant",
            math.exp(q["ln_rise"].value),
            err_exp("ln_rise"),
            "s",
            "s",
            src,
            "fast component, first order",
        ),
        Parameter(
            "fall_time_constant",
            math.exp(q["ln_fall"].value),
            err_exp("ln_fall"),
            "s",
            "s",
            src,
            "fast component, first order",
        ),
        Parameter(
            "lag_fraction",
            q["lag"].value,
            q["lag"].stderr,
            "",
            "",
            src,
            "fraction of the signal in the slow component",
        ),
        Parameter(
            "lag_time_constant",
            math.exp(q["ln_lag_tau"].value),
            err_exp("ln_lag_tau"),
            "s",
            "s",
            src,
            "slow component, first order",
        ),
    ]
    # the model's 10–90 % times and lag beside the analysis' measurement
    points: list[OperatingPoint] = []
    if r is not None:
        fine = np.linspace(
            segs[0][0] - 1e-9, min(segs[1][0] if len(segs) > 1 else t[-1], t[-1]), 20001
        )
        curve = two_component(
            fine,
            segs[:1],
            math.exp(q["ln_rise"].value),
            math.exp(q["ln_fall"].value),
            q["lag"].value,
            math.exp(q["ln_lag_tau"].value),
        )
        top = float(np.interp(segs[0][1] - 1e-9, fine, curve))
        yy = curve / top
        on_sel = fine < segs[0][1]
        off_sel = ~on_sel

        def cross(level: float, sel: Any, rising: bool) -> float:
            tt, vv = fine[sel], yy[sel]
            k = np.flatnonzero(vv >= level if rising else vv <= level)
            return float(tt[k[0]]) if k.size else math.nan

        model_vals = {
            "rise_time": cross(0.9, on_sel, True) - cross(0.1, on_sel, True),
            "fall_time": cross(0.1, off_sel, False) - cross(0.9, off_sel, False),
            "lag": float(np.interp(segs[0][1] + r.lag_after_s, fine, yy)),
        }
        bias = f.bias if f.bias is not None else math.nan
        for name, unit in (("rise_time", "s"), ("fall_time", "s"), ("lag", "")):
            m = getattr(r, name)
            if m is None or not math.isfinite(model_vals[name]):
                continue
            u = m.uncertainty if m.uncertainty else max(abs(m.value) * 0.05, 1e-12)
            cond = {} if not math.isfinite(bias) else {"bias_V": bias}
            points.append(
                OperatingPoint(
                    "response",
                    name.replace("_", " ") + " (10–90 %)"
                    if name != "lag"
                    else f"lag {r.lag_after_s:g} s after beam off",
                    cond,
                    m.value,
                    model_vals[name],
                    u,
                    unit,
                    False,
                )
            )
    tt = np.linspace(t[0], t[-1], 2000)
    curve_out = {
        "time_s": t,
        "current_A": y,
        "model_time_s": tt,
        "model_A": model(q, tt),
        "chi2_reduced": chi2r,
        "autocorrelation_time_readings": tau_int,
    }
    return params, points, curve_out


def two_component(
    t: Any, segs: list[tuple[float, float]], rise: float, fall: float, lag: float, lag_tau: float
) -> Any:
    """Normalised response to beam-on periods ``segs``: fast (rise/fall) plus slow parts."""
    import numpy as np

    t = np.asarray(t, float)
    edges = sorted({t[0], *[a for s in segs for a in s if t[0] < a < t[-1]], t[-1] + 1e-12})
    fast = np.zeros_like(t)
    slow = np.zeros_like(t)
    sf = ss = 0.0
    for a, b in itertools.pairwise(edges):
        mid = 0.5 * (a + b)
        tg = 1.0 if any(s0 <= mid < s1 for s0, s1 in segs) else 0.0
        tau = rise if tg >= sf else fall
        sel = (t >= a) & (t < b) if b < edges[-1] else (t >= a)
        dt = t[sel] - a
        fast[sel] = tg + (sf - tg) * np.exp(-dt / tau)
        slow[sel] = tg + (ss - tg) * np.exp(-dt / lag_tau)
        sf = tg + (sf - tg) * math.exp(-(b - a) / tau)
        ss = tg + (ss - tg) * math.exp(-(b - a) / lag_tau)
    return (1.0 - lag) * fast + lag * slow
