"""Fits with uncertainties, noise estimators and the fit/residual plot shared by the lab analyses.

Linear fits use the closed-form ordinary-least-squares formulas (so a user can redo them by
hand); non-linear fits use lmfit (Levenberg–Marquardt) and report the standard errors from
the covariance matrix scaled by the reduced χ² (lmfit's default), i.e. the uncertainty
implied by the scatter of the data about the fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from perovx.errors import FitError, InputError

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LinearFit",
    "ModelFit",
    "block_noise",
    "effective_sample_size",
    "figure_with_residuals",
    "linear_fit",
    "model_fit",
    "plot_fit",
]


@dataclass(frozen=True)
class LinearFit:
    """Result of an ordinary-least-squares straight line ``y = slope·x + intercept``.

    Attributes
    ----------
    slope, intercept
        Fitted parameters, in the units of y/x and y.
    slope_se, intercept_se
        Standard errors from the residual scatter (``None`` with no degrees of freedom).
    covariance
        Covariance of (slope, intercept) (``None`` with no degrees of freedom).
    residual_sd
        Residual standard deviation ``s_y/x = sqrt(Σr²/(n − p))`` (``None`` if n = p).
    n, dof
        Number of points and degrees of freedom (n − number of parameters).
    r_squared
        Coefficient of determination.
    residuals
        ``y − fit``.
    """

    slope: float
    intercept: float
    slope_se: float | None
    intercept_se: float | None
    covariance: np.ndarray | None = field(repr=False)
    residual_sd: float | None
    n: int
    dof: int
    r_squared: float
    residuals: np.ndarray = field(repr=False)

    def predict(self, x: Any) -> Any:
        """``slope·x + intercept``."""
        return self.slope * x + self.intercept


def linear_fit(
    x: Any,
    y: Any,
    *,
    through_origin: bool = False,
    robust: bool = False,
    what: str = "straight-line fit",
) -> LinearFit:
    """Ordinary least squares with the textbook formulas.

    ``slope = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)²``, ``intercept = ȳ − slope·x̄``,
    ``SE(slope) = s/√Σ(x−x̄)²``, ``SE(intercept) = s·√(1/n + x̄²/Σ(x−x̄)²)`` with
    ``s² = Σr²/(n−2)``; through the origin ``slope = Σxy/Σx²``, ``SE = s/√Σx²``,
    ``s² = Σr²/(n−1)``.

    Parameters
    ----------
    x, y
        Data (any consistent units).
    through_origin
        Fit ``y = slope·x`` with no intercept.
    robust
        Standard errors that hold when the scatter differs from point to point
        (heteroscedasticity-consistent "sandwich" estimator HC1 of White, Econometrica 48,
        817 (1980)): ``cov = n/(n−p)·(XᵀX)⁻¹ Xᵀ diag(r²) X (XᵀX)⁻¹``. Use it when the noise
        grows with the signal (currents over decades).
    what
        Name of the fit, for error messages.

    Raises
    ------
    FitError
        Fewer points than parameters, or all x equal.
    """
    import numpy as np

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    p = 1 if through_origin else 2
    n = x.size
    if n < p:
        raise FitError(f"{what}: needs at least {p} points, got {n}")
    if through_origin:
        sxx = float(np.sum(x * x))
        if sxx == 0:
            raise FitError(f"{what}: every x is zero; the slope is not determined")
        slope = float(np.sum(x * y) / sxx)
        intercept = 0.0
        res = y - slope * x
        dof = n - 1
        s = math.sqrt(float(np.sum(res**2)) / dof) if dof > 0 else None
        slope_se = s / math.sqrt(sxx) if s is not None else None
        intercept_se = 0.0
        cov = np.array([[slope_se**2, 0.0], [0.0, 0.0]]) if slope_se is not None else None
        ss_tot = float(np.sum(y * y))
    else:
        xm, ym = float(x.mean()), float(y.mean())
        sxx = float(np.sum((x - xm) ** 2))
        if sxx == 0:
            raise FitError(
                f"{what}: all {n} points have the same x = {xm:g}; the slope is not determined"
            )
        slope = float(np.sum((x - xm) * (y - ym)) / sxx)
        intercept = ym - slope * xm
        res = y - (slope * x + intercept)
        dof = n - 2
        s = math.sqrt(float(np.sum(res**2)) / dof) if dof > 0 else None
        if s is not None:
            slope_se = s / math.sqrt(sxx)
            intercept_se = s * math.sqrt(1.0 / n + xm * xm / sxx)
            cov_si = -xm * s * s / sxx
            cov = np.array([[slope_se**2, cov_si], [cov_si, intercept_se**2]])
        else:
            slope_se = intercept_se = None
            cov = None
        ss_tot = float(np.sum((y - ym) ** 2))
    if robust and dof > 0:
        design = x[:, None] if through_origin else np.column_stack([x, np.ones_like(x)])
        bread = np.linalg.inv(design.T @ design)
        meat = design.T @ (design * (res**2)[:, None])
        hc = bread @ meat @ bread * n / dof
        if through_origin:
            slope_se = math.sqrt(hc[0, 0])
            cov = np.array([[hc[0, 0], 0.0], [0.0, 0.0]])
        else:
            slope_se, intercept_se = math.sqrt(hc[0, 0]), math.sqrt(hc[1, 1])
            cov = hc
    ss_res = float(np.sum(res**2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return LinearFit(
        slope=slope,
        intercept=intercept,
        slope_se=slope_se,
        intercept_se=intercept_se,
        covariance=cov,
        residual_sd=s,
        n=n,
        dof=dof,
        r_squared=r2,
        residuals=res,
    )


@dataclass(frozen=True)
class ModelFit:
    """Result of a non-linear least-squares fit (lmfit).

    Attributes
    ----------
    values
        Best-fit parameter values.
    stderr
        Standard errors (``None`` where lmfit could not estimate them).
    covariance
        Covariance matrix in the order of :attr:`names` (``None`` if not estimated).
    names
        Names of the varied parameters.
    residuals
        ``y − model`` at the data points.
    reduced_chi_square
        χ²/(n − p) with the weights given.
    message
        lmfit's message.
    """

    values: dict[str, float]
    stderr: dict[str, float | None]
    covariance: np.ndarray | None = field(repr=False)
    names: tuple[str, ...]
    residuals: np.ndarray = field(repr=False)
    reduced_chi_square: float
    message: str


def model_fit(
    func: Callable[..., Any],
    x: Any,
    y: Any,
    params: Mapping[str, tuple[float, float, float]],
    *,
    weights: Any = None,
    what: str = "fit",
    hint: str = "",
) -> ModelFit:
    """Fit ``y ≈ func(x, **params)`` by Levenberg–Marquardt (lmfit).

    Parameters
    ----------
    func
        Model ``func(x, **params) -> ndarray``.
    x, y
        Data.
    params
        Name → (initial value, minimum, maximum).
    weights
        Optional weights (1/σ) of each point.
    what
        Name of the fit, for messages.
    hint
        What the user can do when the fit fails (appended to the message).

    Raises
    ------
    FitError
        The fit did not converge, or returned non-finite values.
    """
    import lmfit
    import numpy as np

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    pars = lmfit.Parameters()
    for name, (init, lo, hi) in params.items():
        pars.add(name, value=init, min=lo, max=hi)
    if x.size <= len(params):
        raise FitError(
            f"{what}: {x.size} points cannot determine {len(params)} parameters "
            f"({', '.join(params)}); {hint}".rstrip("; ")
        )

    def residual(p: Any) -> Any:
        return (y - func(x, **{k: p[k].value for k in params})) * w

    try:
        with np.errstate(all="ignore"):
            out = lmfit.minimize(residual, pars, method="leastsq", max_nfev=4000)
    except (ValueError, FloatingPointError) as exc:
        raise FitError(f"{what}: the fit failed ({exc}); {hint}".rstrip("; ")) from None
    values = {k: float(out.params[k].value) for k in params}
    if not out.success or not all(math.isfinite(v) for v in values.values()):
        raise FitError(f"{what}: the fit did not converge ({out.message}); {hint}".rstrip("; "))
    stderr: dict[str, float | None] = {}
    for k in params:
        se = out.params[k].stderr
        stderr[k] = float(se) if se is not None and math.isfinite(se) else None
    cov = np.asarray(out.covar) if out.covar is not None else None
    with np.errstate(all="ignore"):
        res = y - func(x, **values)
    return ModelFit(
        values=values,
        stderr=stderr,
        covariance=cov,
        names=tuple(out.var_names),
        residuals=res,
        reduced_chi_square=float(out.redchi),
        message=str(out.message),
    )


def effective_sample_size(residuals: Any) -> float:
    """Number of independent samples in a correlated series, ``n(1 − ρ₁)/(1 + ρ₁)``.

    ρ₁ is the lag-1 autocorrelation of the residuals (AR(1) approximation; negative ρ₁
    is taken as 0). Used to widen standard errors of trends fitted to noise with memory
    (1/f noise, slow drifts).
    """
    import numpy as np

    r = np.asarray(residuals, dtype=float)
    n = r.size
    if n < 3:
        return float(n)
    r = r - r.mean()
    denom = float(np.sum(r * r))
    if denom == 0:
        return float(n)
    rho = max(0.0, float(np.sum(r[1:] * r[:-1]) / denom))
    return max(2.0, n * (1 - rho) / (1 + rho))


def block_noise(windows: Sequence[Any], block: int, *, detrend: bool = True) -> tuple[float, int]:
    """Standard deviation of block means, pooled over windows.

    Each window (a 1-D array of readings) is detrended by a straight line (``detrend``),
    cut into consecutive blocks of ``block`` readings (a last partial block is dropped)
    and the block means pooled: ``σ² = Σ m_k² / (N − 2·W)`` for N blocks in W windows
    (2 degrees of freedom per window for the removed line; 1 without detrending).

    Parameters
    ----------
    windows
        Arrays of readings (any unit).
    block
        Readings per block (≥ 1): the integration time divided by the sample interval.
    detrend
        Remove a straight line from each window first.

    Returns
    -------
    tuple
        ``(sigma, n_blocks)``.

    Raises
    ------
    InputError
        Fewer than 3 degrees of freedom remain.
    """
    import numpy as np

    if block < 1:
        raise InputError(f"block length must be >= 1 reading, got {block}")
    sq = 0.0
    n_blocks = 0
    n_windows = 0
    per_window = 2 if detrend else 1
    for w in windows:
        v = np.asarray(w, dtype=float)
        nb = v.size // block
        if nb < per_window + 1:
            continue
        t = np.arange(v.size, dtype=float)
        if detrend:
            coef = np.polyfit(t, v, 1)
            r = v - np.polyval(coef, t)
        else:
            r = v - v.mean()
        means = r[: nb * block].reshape(nb, block).mean(axis=1)
        sq += float(np.sum(means**2))
        n_blocks += nb
        n_windows += 1
    dof = n_blocks - per_window * n_windows
    if dof < 3:
        raise InputError(
            f"too few readings to estimate the noise: {n_blocks} blocks of {block} readings "
            "in the quiet windows; use a shorter integration time or record longer dark periods"
        )
    return math.sqrt(sq / dof), n_blocks


# ---------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------


def figure_with_residuals(
    *, extra_top: bool = False, figsize: tuple[float, float] | None = None
) -> tuple[Figure, list[Axes]]:
    """A figure with a main panel over a residual panel (and optionally a panel above).

    Returns
    -------
    tuple
        ``(figure, axes)``; axes are ``[main, residuals]`` or ``[top, main, residuals]``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if extra_top:
        fig = plt.figure(figsize=figsize or (6.4, 7.2))
        outer = fig.add_gridspec(2, 1, height_ratios=[1.0, 1.9], hspace=0.3)
        inner = outer[1].subgridspec(2, 1, height_ratios=[3.0, 1.0], hspace=0.08)
        top = fig.add_subplot(outer[0])
        main = fig.add_subplot(inner[0])
        res = fig.add_subplot(inner[1], sharex=main)
        main.tick_params(labelbottom=False)
        return fig, [top, main, res]
    fig = plt.figure(figsize=figsize or (6.4, 5.6))
    gs = fig.add_gridspec(2, 1, height_ratios=[3.0, 1.0], hspace=0.08)
    main = fig.add_subplot(gs[0])
    res = fig.add_subplot(gs[1], sharex=main)
    main.tick_params(labelbottom=False)
    return fig, [main, res]


def plot_fit(
    ax: Axes,
    x: Any,
    y: Any,
    *,
    x_model: Any,
    y_model: Any,
    xlabel: str,
    ylabel: str,
    yerr: Any = None,
    residuals: Any = None,
    ax_res: Axes | None = None,
    residual_label: str = "",
    data_label: str = "data",
    fit_label: str = "fit",
    logx: bool = False,
    logy: bool = False,
    excluded: Any = None,
) -> None:
    """Draw data (with error bars), a fit curve and, on ``ax_res``, the residuals.

    Parameters
    ----------
    ax, ax_res
        Main and residual axes (``ax_res`` may be ``None``).
    x, y, yerr
        Data in plot units.
    x_model, y_model
        The fitted curve in plot units.
    xlabel, ylabel, residual_label
        Axis labels, each with its unit.
    excluded
        Boolean mask of points shown but not used in the fit (drawn hollow).
    """
    import numpy as np

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    used = np.ones(x.size, bool) if excluded is None else ~np.asarray(excluded, bool)
    ax.errorbar(
        x[used],
        y[used],
        yerr=None if yerr is None else np.asarray(yerr)[used],
        fmt="o",
        ms=5,
        color="C0",
        capsize=2,
        label=data_label,
    )
    if (~used).any():
        ax.plot(x[~used], y[~used], "o", mfc="none", color="C0", label="not fitted")
    ax.plot(x_model, y_model, "-", color="C3", lw=1.5, label=fit_label)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8)
    if ax_res is not None and residuals is not None:
        r = np.asarray(residuals, dtype=float)
        ax_res.axhline(0.0, color="0.5", lw=0.8)
        ax_res.plot(x[used], r[used] if r.size == x.size else r, "o", ms=4, color="C0")
        if r.size == x.size and (~used).any():
            ax_res.plot(x[~used], r[~used], "o", ms=4, mfc="none", color="C0")
        ax_res.set_ylabel(residual_label)
        ax_res.set_xlabel(xlabel)
        if logx:
            ax_res.set_xscale("log")
    else:
        ax.set_xlabel(xlabel)
