"""Baselines, steps and reading noise of current traces, shared by the lab analyses.

Halide-perovskite detectors drift: ion migration moves the dark current by several percent
over a run while a beam step adds a fraction of a percent. Everything here is made for that
case, on noisy, quantised and unevenly sampled readings.

Reading noise (:func:`reading_noise`)
    σ from the first differences of the readings, ``1.4826·MAD(ΔI)/√2``: differences cancel
    the drift and the steps, and the median ignores the few differences that straddle a
    step. The resolution ``q`` of quantised readings (a logger writing 10 nA steps) is the
    greatest common step of the differences; ``q/√12`` is the noise floor it sets.

Steps (:func:`detect_steps`)
    First a provisional baseline: ``pybaselines``' improved modified polynomial (imodpoly)
    fits a cubic envelope under the readings (and one over them, for the other polarity),
    which removes most of the drift without knowing where the steps are. Change points of
    the rest come from ``ruptures`` (Truong, Oudre & Vayatis, Signal Processing 167,
    107299 (2020)): ``KernelCPD`` with the linear kernel, i.e. the least-squares (l2) cost
    of a piecewise-constant mean, solved exactly by dynamic programming with a penalty (its
    C implementation takes milliseconds on 10⁴ readings). The readings are divided by σ
    first, so the cost is the χ² of the piecewise-constant model and the penalty is in χ²
    units: ``3·ln n`` per change point, the Bayesian information criterion's ``k·ln n``
    with k = 2 parameters per change point (the new mean and the location) plus one for
    noise that is not white. This over-segments on purpose (what is left of the drift, the
    edges of slow rises); every candidate is then tested by its jump: the mean of the last
    ``window`` readings before it against that of the readings after the first third of the
    next segment (its rise left out). The least significant candidate is dropped (those
    below a quarter of the threshold all at once), and the rest re-tested, until every
    jump exceeds ``z_min`` standard errors (from the scatter,
    widened for correlated noise) and ``min_step_fraction`` of the current. Short segments
    (the stairs of a slow edge) join the level that follows them. The dark segments found
    then carry a least-squares baseline (below), and the steps are found once more on the
    trace with that baseline removed.

Polarity
    From the current itself: the whole search runs for both polarities and keeps the one
    whose dark readings lie on one smooth curve (smaller scatter about the fitted baseline):
    dark segments share one level, while the beam-on levels differ from pulse to pulse, so
    under the wrong polarity the "dark" pulse tops scatter. When both scatter alike (equal
    pulses) the first segment decides (a record starts with the beam off), then the longer
    dark time. A level on the other side of the baseline gives a warning, not a silent sign.

Baseline (:func:`fit_baseline`)
    Once the dark readings are known, a polynomial in time (degree 0–3, chosen by the
    Bayesian information criterion, at most one less than the number of dark windows)
    is fitted by least squares to all dark readings, and its covariance (widened by the
    effective sample size of the residuals, for 1/f noise) propagates into each step
    height. ``pybaselines`` was considered: its estimators (asymmetric least squares,
    SNIP, modified polynomial) find a baseline under peaks whose positions are unknown
    and return no uncertainty; here the dark windows are known exactly and the step
    heights need the baseline's covariance, which a direct least-squares fit gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.metrics.lab._fitting import effective_sample_size

__all__ = [
    "Baseline",
    "ReadingNoise",
    "Step",
    "StepTrace",
    "detect_steps",
    "fit_baseline",
    "reading_noise",
    "rebuild_time",
]

#: Penalty of one change point in χ² units per ln(n) (see module docstring).
PENALTY_PER_LN_N = 3.0
#: Significance (standard errors) a local jump needs to count as a step.
Z_MIN = 6.0
#: Smallest step kept, as a fraction of the typical |current|.
MIN_STEP_FRACTION = 0.001


@dataclass(frozen=True)
class ReadingNoise:
    """Reading-to-reading noise of a trace.

    Attributes
    ----------
    sigma_A
        White noise of one reading, A (from the first differences), at least ``q/√12``.
    measured_sigma_A
        The same before the resolution floor, A (0 when the readings never change).
    resolution_A
        Resolution of quantised readings, A (0 when not quantised at a level that matters).
    """

    sigma_A: float
    measured_sigma_A: float
    resolution_A: float

    def note(self) -> str | None:
        """A sentence about the resolution, or ``None`` when it does not matter."""
        if not self.resolution_A:
            return None
        q = self.resolution_A
        return (
            f"readings are quantised in steps of {q * 1e9:.3g} nA (resolution); its noise "
            f"floor q/√12 = {q / math.sqrt(12) * 1e9:.3g} nA is included in the noise "
            f"(reading-to-reading σ {self.measured_sigma_A * 1e9:.3g} nA)"
        )


def reading_noise(current_A: Any) -> ReadingNoise:
    """σ of one reading from the first differences, and the readings' resolution.

    Parameters
    ----------
    current_A
        The readings, A.
    """
    y = np.asarray(current_A, dtype=float)
    d = np.diff(y)
    if d.size == 0:
        return ReadingNoise(0.0, 0.0, 0.0)
    sig = 1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2.0)
    if sig == 0.0:  # most readings repeat: use the spread of the non-zero differences
        nz = d[d != 0]
        sig = float(np.std(d)) / math.sqrt(2.0) if nz.size else 0.0
    q = _resolution(y)
    # a resolution matters when it is comparable to the noise
    if q and q < 0.2 * sig:
        q = 0.0
    floor = q / math.sqrt(12.0) if q else 0.0
    return ReadingNoise(max(sig, floor), sig, q)


def _resolution(y: np.ndarray) -> float:
    """Greatest common step of the readings (0 when they are not quantised)."""
    d = np.abs(np.diff(y))
    scale = float(np.max(np.abs(y))) if y.size else 0.0
    d = d[d > 1e-9 * scale]
    if d.size < 3:
        return 0.0
    q = float(np.min(d))
    r = d / q
    if np.all(np.abs(r - np.round(r)) < 0.02):
        return q
    # the smallest difference may be a multiple of q/2, q/3 ...: try a few divisors
    for k in (2, 3, 4, 5):
        qk = q / k
        r = d / qk
        if np.all(np.abs(r - np.round(r)) < 0.02):
            return qk
    return 0.0


# ---------------------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A step of the current.

    Attributes
    ----------
    index
        First reading at the new level.
    time_s
        Time of the change (midway between the readings either side), s.
    height_A
        Local jump, A (signed; the drift does not enter).
    uncertainty_A
        Standard error of the jump, A.
    """

    index: int
    time_s: float
    height_A: float
    uncertainty_A: float


@dataclass(frozen=True)
class StepTrace:
    """Steps of a trace, its segments and polarity (see :func:`detect_steps`).

    Attributes
    ----------
    polarity
        +1 when the photocurrent raises the current, −1 when it lowers it.
    steps
        The steps found, in time order.
    bounds
        ``(start, stop)`` reading indices of each segment between steps.
    levels_A
        Drift-free level of each segment relative to the first, A.
    dark
        Whether each segment is at the dark level.
    noise
        The reading noise.
    warnings
        Sentences about what is doubtful (polarity, steps of both signs).
    """

    polarity: int
    steps: tuple[Step, ...]
    bounds: tuple[tuple[int, int], ...]
    levels_A: tuple[float, ...]
    dark: tuple[bool, ...]
    noise: ReadingNoise
    warnings: tuple[str, ...] = ()

    def on_periods(self, time_s: Any, *, split_levels: bool = False) -> list[tuple[float, float]]:
        """``(t_on_s, t_off_s)`` of each beam-on period, in order.

        ``t_on_s`` is the time of its first reading, ``t_off_s`` that of the first reading
        after it (as for a dose-rate column); a period still on at the end ends at the last
        reading. Consecutive segments above the dark level form one period (a photocurrent
        that decays during the pulse is cut into several levels); with ``split_levels``
        every level is a period of its own (a stepped schedule without dark gaps).
        """
        t = np.asarray(time_s, dtype=float)
        out: list[list[int]] = []
        prev_dark = True
        for (a, b), dark in zip(self.bounds, self.dark, strict=True):
            if dark:
                prev_dark = True
                continue
            if prev_dark or split_levels:
                out.append([a, b])
            else:
                out[-1][1] = b
            prev_dark = False
        return [(float(t[a]), float(t[b]) if b < t.size else float(t[-1])) for a, b in out]

    def dark_mask(self, n: int) -> np.ndarray:
        """Boolean mask of the readings in dark segments."""
        m = np.zeros(n, bool)
        for (a, b), dark in zip(self.bounds, self.dark, strict=True):
            if dark:
                m[a:b] = True
        return m


def _side_means(
    y: np.ndarray, start: np.ndarray, stop: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Means of the slices ``y[start:stop]`` and the variances of those means.

    All slices at once (a masked 2-D array, one row per slice): the variance of each
    mean is the larger of the slice's sample variance and ``sigma²``, divided by the
    effective number of independent readings ``n(1 − ρ₁)/(1 + ρ₁)`` (ρ₁ the lag-1
    autocorrelation, negative taken as 0, at least 2;
    :func:`perovx.metrics.lab._fitting.effective_sample_size`); slices of fewer than
    3 readings use ``sigma²/n``.
    """
    n = stop - start
    width = max(int(n.max(initial=0)), 1)
    k = np.arange(width)[None, :]
    mask = k < n[:, None]
    vals = np.where(mask, y[np.minimum(start[:, None] + k, y.size - 1)], 0.0)
    nn = np.maximum(n, 1)
    mean = vals.sum(axis=1) / nn
    res = np.where(mask, vals - mean[:, None], 0.0)
    ss = np.einsum("ij,ij->i", res, res)
    lag1 = np.einsum("ij,ij->i", res[:, 1:], res[:, :-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(ss > 0, np.maximum(0.0, lag1 / np.where(ss > 0, ss, 1.0)), 0.0)
        ess = np.where(ss > 0, np.maximum(2.0, n * (1 - rho) / (1 + rho)), n)
        s2 = np.maximum(ss / np.maximum(n - 1, 1), sigma**2)
        var = np.where(n < 3, sigma**2 / nn, s2 / np.maximum(ess, 1.0))
    return np.where(n > 0, mean, np.nan), var


def _jumps(
    t: np.ndarray, y: np.ndarray, cuts: list[int], window: int, sigma: float
) -> list[tuple[float, float]]:
    """Jump and its standard error at each cut (index of the first new reading).

    ``y`` is baseline-free, so each side is summarised by its mean: before the cut the
    last ``window`` readings of the previous segment (settled by then), after it up to
    ``window`` readings from the end of the first third of the next segment (its rise or
    fall left out). All cuts are evaluated together (:func:`_side_means`): the pruning
    in :func:`_segment` re-tests hundreds of candidates many times.
    """
    if not cuts:
        return []
    edges = np.asarray([0, *cuts, y.size], dtype=np.intp)
    a, b, c = edges[:-2], edges[1:-1], edges[2:]
    lo = np.maximum(a, b - window)
    g = b + (c - b) // 3
    hi = np.minimum(c, g + window)
    v0, var0 = _side_means(y, lo, b, sigma)
    v1, var1 = _side_means(y, g, hi, sigma)
    return list(zip((v1 - v0).tolist(), np.sqrt(var0 + var1).tolist(), strict=True))


def _segment(
    t: np.ndarray,
    r: np.ndarray,
    sigma: float,
    min_size: int,
    window: int,
    z_min: float,
    floor: float,
    penalty_per_ln_n: float,
) -> list[int]:
    """Change points of ``r`` (ruptures, l2) kept when their local jump is significant."""
    import ruptures as rpt

    n = r.size
    z = ((r - np.median(r)) / sigma)[:, None]
    algo = rpt.KernelCPD(kernel="linear", min_size=min_size, jump=1).fit(z)
    cuts = [int(b) for b in algo.predict(pen=penalty_per_ln_n * math.log(n))][:-1]
    # drop the least significant candidate (removing one widens the windows of its
    # neighbours, so all are re-tested) until every jump is significant
    while cuts:
        jumps = _jumps(t, r, cuts, window, sigma)
        scores = [
            min(abs(j) / (z_min * u), abs(j) / floor if floor > 0 else math.inf)
            for j, u in jumps
        ]
        k = int(np.argmin(scores))
        if scores[k] >= 1:
            break
        # far-from-significant candidates (the stairs of a drift or a slow edge) go
        # together; the rest one at a time
        weak = {j for j, sc in enumerate(scores) if sc < 0.25}
        if len(weak) > 1:
            cuts = [c for j, c in enumerate(cuts) if j not in weak]
        else:
            del cuts[k]
    return cuts


def _envelopes(t: np.ndarray, y: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Provisional baselines for both polarities: the lower and the upper envelope.

    ``pybaselines``' improved modified polynomial (imodpoly, Zhao et al., Appl. Spectrosc.
    61, 1225 (2007)) fits a cubic under the readings, ignoring excursions above it; run on
    ``y`` it follows the dark readings of a positive photocurrent, on ``−y`` those of a
    negative one.
    """
    from pybaselines import Baseline

    x = (t - t[0]) / ((t[-1] - t[0]) or 1.0)
    fitter = Baseline(x_data=x)
    out = []
    for pol in (1, -1):
        base, _ = fitter.imodpoly(pol * y, poly_order=3, num_std=1.0)
        out.append((pol, pol * np.asarray(base)))
    return out


def _run(
    t: np.ndarray, y: np.ndarray, sigma: float, opts: tuple, polarity: int, trend: np.ndarray
) -> tuple[float, list[int], np.ndarray, list[bool], np.ndarray]:
    """Steps and dark segments under one polarity: (baseline scatter, cuts, levels, dark, r)."""
    n = y.size
    min_size = opts[0]
    r = y - trend
    cuts = _merge_transients(_segment(t, r, sigma, *opts), n, min_size)
    levels, dark = _levels(r, cuts, polarity, sigma, None)
    score = math.inf
    # two passes: the baseline through the dark segments found, then the steps again
    for _ in range(2):
        bounds = list(zip([0, *cuts], [*cuts, n], strict=True))
        wins = [(t[a], t[b - 1] + 1e-12) for (a, b), d in zip(bounds, dark, strict=True) if d]
        if not (cuts and wins):
            break
        on = [polarity * lv for lv, d in zip(levels, dark, strict=True) if not d]
        base = fit_baseline(t, y, wins)
        score = base.residual_sd
        r = y - base(t)
        cuts = _merge_transients(_segment(t, r, sigma, *opts), n, min_size)
        levels, dark = _levels(r, cuts, polarity, sigma, min(on) if on else None)
    return score, cuts, levels, dark, r


def _choose(
    runs: list, t: np.ndarray, y: np.ndarray, sigma: float
) -> tuple[int, tuple[float, list[int], np.ndarray, list[bool], np.ndarray]]:
    """The polarity whose dark readings lie on one smooth curve.

    Dark segments share one level; beam-on levels differ from pulse to pulse, so under the
    wrong polarity the "dark" readings (the pulse tops) scatter about any smooth baseline.
    When both scatter alike (equal pulses), the trace's first segment decides (a record
    starts with the beam off), then the longer dark time.

    A trace that never changes sign is decided by its sign before any of that: under bias
    the photocurrent flows the way the dark current does, so the beam raises |I|; the
    scatter test is for traces whose offset was subtracted (readings of both signs), and
    it can be misled by lag tails in the dark periods.
    """
    a, b = runs
    lo, hi = np.percentile(y, [0.5, 99.5])
    if lo > 3 * sigma:
        return 1, a
    if hi < -3 * sigma:
        return -1, b
    sa, sb = a[0], b[0]
    if math.isfinite(sa) or math.isfinite(sb):
        if sa < 0.8 * sb or not math.isfinite(sb):
            return 1, a
        if sb < 0.8 * sa or not math.isfinite(sa):
            return -1, b
    first_dark = [bool(r[3][0]) for r in runs]
    if first_dark[0] != first_dark[1]:
        return (1, a) if first_dark[0] else (-1, b)
    n = y.size

    def dark_time(run: tuple) -> int:
        cuts, dark = run[1], run[3]
        bounds = zip([0, *cuts], [*cuts, n], strict=True)
        return sum(e - s for (s, e), d in zip(bounds, dark, strict=True) if d)

    return (1, a) if dark_time(a) >= dark_time(b) else (-1, b)


def _levels(
    r: np.ndarray, cuts: list[int], polarity: int, sigma: float, smallest_on: float | None
) -> tuple[np.ndarray, list[bool]]:
    """Median of each segment of the baseline-free trace, and whether it is dark.

    A segment is dark when its level is within 4 standard errors of the baseline, or
    below half the smallest beam-on level of the previous pass.
    """
    bounds = list(zip([0, *cuts], [*cuts, r.size], strict=True))
    # the last two thirds of a segment: the first third may still be rising or falling
    levels, errs = [], []
    for a, b in bounds:
        seg = r[a + (b - a) // 3 : b]
        levels.append(float(np.median(seg)))
        errs.append(1.25 * sigma / math.sqrt(max(seg.size, 1)))
    lv = np.array(levels)
    if not cuts:
        return lv, [True]
    dark = []
    for k, (v, e) in enumerate(zip(lv, errs, strict=True)):
        thr = 4.0 * e
        if smallest_on is not None:
            thr = max(thr, 0.5 * smallest_on)
        is_dark = polarity * v < thr
        # entered by a fall to a fifth of the level before: the tail of that pulse (lag,
        # persistent photocurrent), not a new beam-on level
        if k and not is_dark and polarity * v < 0.2 * polarity * lv[k - 1]:
            is_dark = True
        dark.append(bool(is_dark))
    return lv, dark


def _onsets(r: np.ndarray, cuts: list[int], sigma: float, window: int) -> list[int]:
    """Move each step back to its onset: the first reading that left the level before it.

    The least-squares change point of a slow edge lies inside the edge; the beam switched
    where the readings first departed (by more than 4σ) from the level before.
    """
    edges = [0, *cuts, r.size]
    out: list[int] = []
    for k, c in enumerate(cuts):
        a = max(edges[k], out[-1] if out else 0)
        lo = max(a, c - window)
        if c - lo < 3:
            out.append(c)
            continue
        pre = float(np.median(r[lo:c]))
        after = r[c : min(edges[k + 2], c + window)]
        direction = 1.0 if float(np.mean(after)) >= pre else -1.0
        j = c
        while j - 1 > a + 1 and direction * (r[j - 1] - pre) > 4.0 * sigma:
            j -= 1
        out.append(j)
    return out


def _merge_transients(cuts: list[int], n: int, min_size: int) -> list[int]:
    """Absorb short segments (edges split by a slow rise or fall) into the next one."""
    if len(cuts) < 2:
        return cuts
    lengths = np.diff([0, *cuts, n])
    short = max(2 * min_size, int(0.05 * float(np.median(lengths))))
    out = []
    edges = [0, *cuts, n]
    for k, c in enumerate(cuts):
        # segment [edges[k], c) precedes this cut; drop the cut that ends a short segment
        # when that segment is not the first (it then belongs to the next level)
        if k > 0 and c - edges[k] < short and out and out[-1] == edges[k]:
            out[-1] = c
            continue
        out.append(c)
    return out


def detect_steps(
    time_s: Any,
    current_A: Any,
    *,
    min_size: int = 3,
    window: int = 60,
    z_min: float = Z_MIN,
    min_step_fraction: float = MIN_STEP_FRACTION,
    penalty_per_ln_n: float = PENALTY_PER_LN_N,
) -> StepTrace:
    """Steps of a (drifting, noisy, quantised, unevenly sampled) current trace.

    See the module docstring for the method.

    Parameters
    ----------
    time_s, current_A
        The trace (s, increasing; A, either sign). The trace must start with the beam off.
    min_size
        Fewest readings between two steps.
    window
        Readings on each side used for the local jump of a candidate step.
    z_min
        Significance a jump needs, in standard errors.
    min_step_fraction
        Smallest step kept, as a fraction of the median |current|.
    penalty_per_ln_n
        Change-point penalty in χ² units per ln(number of readings).

    Returns
    -------
    StepTrace
        Steps, segments, polarity and warnings.

    Raises
    ------
    InputError
        Fewer than ``4·min_size`` readings, or readings that never change.
    """
    t = np.asarray(time_s, dtype=float)
    y = np.asarray(current_A, dtype=float)
    n = y.size
    if n < 4 * min_size:
        raise InputError(f"trace too short to find steps ({n} readings)")
    noise = reading_noise(y)
    sigma = noise.sigma_A
    if not sigma > 0:
        if np.ptp(y) == 0:
            raise InputError("the current never changes: no step to find")
        sigma = float(np.ptp(y)) * 1e-3
    floor = min_step_fraction * float(np.median(np.abs(y)))
    opts = (min_size, window, z_min, floor, penalty_per_ln_n)
    # each polarity in turn: its envelope, the steps, the baseline through the dark
    # segments; the right one leaves the dark readings on one smooth curve
    runs = [_run(t, y, sigma, opts, pol, trend) for pol, trend in _envelopes(t, y)]
    polarity, (_, cuts, levels, dark, r_final) = _choose(runs, t, y, sigma)
    cuts = _onsets(r_final, cuts, sigma, window)
    jumps = _jumps(t, r_final, cuts, window, sigma)
    steps = tuple(
        Step(c, float(0.5 * (t[c - 1] + t[c])), j, u)
        for c, (j, u) in zip(cuts, jumps, strict=True)
    )
    bounds = tuple(zip([0, *cuts], [*cuts, n], strict=True))
    warnings = []
    if steps:
        smallest = min(abs(st.height_A) for st in steps)
        opposite = [
            (k, lv) for k, lv in enumerate(levels) if polarity * lv < -0.5 * smallest
        ]
        if opposite:
            k, lv = max(opposite, key=lambda x: abs(x[1]))
            a = bounds[k][0]
            warnings.append(
                f"the current also falls on the other side of the dark baseline "
                f"({lv * 1e9:+.3g} nA at {t[a]:g} s; the photocurrent is "
                f"{'positive' if polarity > 0 else 'negative'}, read from the side on "
                "which most readings leave the baseline): an undershoot after beam off, "
                "a baseline jump or a trace that starts with the beam on; check the plot"
            )
    return StepTrace(
        polarity=polarity,
        steps=steps,
        bounds=bounds,
        levels_A=tuple(float(v) for v in levels),
        dark=tuple(dark),
        noise=noise,
        warnings=tuple(warnings),
    )


# ---------------------------------------------------------------------------------------
# baseline
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """A polynomial dark baseline with its covariance (see :func:`fit_baseline`).

    Attributes
    ----------
    coef
        Coefficients in the scaled time ``x = (t − t0)/scale``, lowest power first (A).
    covariance
        Covariance of :attr:`coef` (A²).
    t0, scale
        Time offset and scale, s.
    degree
        Polynomial degree.
    n_windows
        Dark windows the fit used.
    residual_sd
        Scatter of the dark readings about the baseline, A.
    """

    coef: np.ndarray
    covariance: np.ndarray
    t0: float
    scale: float
    degree: int
    n_windows: int
    residual_sd: float

    def _design(self, t: Any) -> np.ndarray:
        x = (np.asarray(t, dtype=float) - self.t0) / self.scale
        return np.vander(np.atleast_1d(x), self.degree + 1, increasing=True)

    def __call__(self, t: Any) -> np.ndarray:
        """The baseline at times ``t`` (s), A."""
        return self._design(t) @ self.coef

    def mean_over(self, t: Any) -> tuple[float, float]:
        """Mean of the baseline over the readings at ``t`` and the variance of that mean."""
        g = self._design(t).mean(axis=0)
        return float(g @ self.coef), float(g @ self.covariance @ g)

    def convention(self) -> str:
        """How the baseline was made, in words."""
        kind = {0: "a constant", 1: "a straight line", 2: "a parabola"}.get(
            self.degree, f"a polynomial of degree {self.degree}"
        )
        return (
            f"dark baseline = {kind} in time fitted by least squares to the readings of "
            f"{self.n_windows} dark window(s) (degree by BIC), its covariance propagated"
        )


def fit_baseline(
    time_s: Any,
    current_A: Any,
    windows: list[tuple[float, float]],
    *,
    max_degree: int = 3,
) -> Baseline:
    """Polynomial dark baseline through the readings of the dark windows.

    Parameters
    ----------
    time_s, current_A
        The trace (s; A).
    windows
        ``(start_s, stop_s)`` of each dark window (readings with start ≤ t < stop).
    max_degree
        Highest polynomial degree tried (also at most the number of windows − 1).

    Raises
    ------
    InputError
        No dark window with readings.
    """
    t = np.asarray(time_s, dtype=float)
    y = np.asarray(current_A, dtype=float)
    sel = np.zeros(t.size, bool)
    n_win = 0
    for a, b in windows:
        w = (t >= a) & (t < b)
        if w.any():
            n_win += 1
            sel |= w
    if not n_win:
        raise InputError("no dark readings to fit the baseline to")
    td, yd = t[sel], y[sel]
    t0 = float(t[0])
    scale = float(t[-1] - t[0]) or 1.0
    x = (td - t0) / scale
    best = None
    top = max(0, min(max_degree, n_win - 1, td.size - 2))
    for deg in range(top + 1):
        design = np.vander(x, deg + 1, increasing=True)
        coef, *_ = np.linalg.lstsq(design, yd, rcond=None)
        r = yd - design @ coef
        rss = float(np.sum(r * r))
        n = td.size
        n_eff = effective_sample_size(r) if n >= 3 else float(n)
        bic = n_eff * math.log(max(rss / n, 1e-300)) + (deg + 1) * math.log(max(n_eff, 2.0))
        if best is None or bic < best[0] - 1e-9:
            best = (bic, deg, coef, r, design, n_eff)
    assert best is not None
    _, deg, coef, r, design, n_eff = best
    n = td.size
    dof = max(n - deg - 1, 1)
    s2 = float(np.sum(r * r)) / dof
    xtx_inv = np.linalg.pinv(design.T @ design)
    cov = s2 * xtx_inv * (n / n_eff)
    return Baseline(
        coef=np.asarray(coef, float),
        covariance=cov,
        t0=t0,
        scale=scale,
        degree=deg,
        n_windows=n_win,
        residual_sd=math.sqrt(s2),
    )


# ---------------------------------------------------------------------------------------
# time axes
# ---------------------------------------------------------------------------------------


def rebuild_time(time_s: Any, *, where: str = "") -> tuple[np.ndarray, str | None]:
    """A strictly increasing time axis, rebuilt from the sample index when times repeat.

    A logger that writes time with few significant figures repeats values (``1.23e+03``
    for several readings). When the times never go backwards, the readings are taken as
    evenly spaced: ``t_k = t_0 + k·Δt`` by least squares on the index, accepted when every
    written time lies within one written digit (plus 10 % of Δt) of it.

    Parameters
    ----------
    time_s
        The written times, s.
    where
        Where the column is, for messages (``"run.csv, column 'Time (s)'"``).

    Returns
    -------
    tuple
        ``(time_s, note)``; ``note`` is ``None`` when the times were kept as written.

    Raises
    ------
    InputError
        Times that go backwards, or repeated times that are not evenly spaced.
    """
    t = np.asarray(time_s, dtype=float)
    d = np.diff(t)
    if np.all(d > 0):
        return t, None
    back = np.flatnonzero(d < 0)
    if back.size:
        k = int(back[0]) + 1
        raise InputError(
            f"{where}: time {t[k]:g} s at reading {k + 1} is before {t[k - 1]:g} s; the time "
            "must increase (a repeated run or an unsorted file?): split or sort it into a "
            "new file"
        )
    if t.size < 3 or t[-1] == t[0]:
        raise InputError(f"{where}: every time value is the same ({t[0]:g} s)")
    k = np.arange(t.size, dtype=float)
    slope, icpt = np.polyfit(k, t, 1)
    fit = icpt + slope * k
    steps = d[d > 0]
    digit = float(np.min(steps)) if steps.size else slope
    worst = float(np.max(np.abs(t - fit)))
    repeats = int(np.sum(d == 0))
    if worst > digit + 0.1 * slope:
        j = int(np.argmax(np.abs(t - fit)))
        raise InputError(
            f"{where}: {repeats} repeated time values and the readings are not evenly spaced "
            f"(reading {j + 1} written at {t[j]:g} s, {worst:.3g} s from an even spacing of "
            f"{slope:.4g} s): the time cannot be rebuilt from the reading index; export the "
            "time with more digits"
        )
    note = (
        f"{where}: {repeats} repeated time values (time written with too few digits, "
        f"resolution {digit:.3g} s); time rebuilt from the reading index as evenly spaced "
        f"readings every {slope:.4g} s (largest difference from the written times "
        f"{worst:.3g} s)"
    )
    return fit, note
