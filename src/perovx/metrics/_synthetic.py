"""Images of test objects with an analytic transfer function, for validation.

Each pixel value is the exact average over the square pixel aperture of the object
convolved with an isotropic Gaussian of standard deviation ``sigma_px``: along x the
integral is analytic, along y it uses ``subsamples`` midpoint lines. The presampled MTF
of such an image along the edge normal at angle α is

    MTF(f) = exp(−2π²σ²f²) · |sinc(f·cos α) · sinc(f·sin α)|   (f in cycles per pixel).
"""

from __future__ import annotations

import numpy as np

__all__ = ["analytic_edge_mtf", "render_bar_pattern", "render_slanted_edge"]

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


def _ramp(s: np.ndarray, sigma_px: float) -> np.ndarray:
    """∫_{−∞}^{s} Φ(t/σ) dt: the integral of a Gaussian-blurred unit step (pixels)."""
    if sigma_px == 0:
        return np.maximum(s, 0.0)
    from scipy.special import ndtr

    t = s / sigma_px
    return sigma_px * (t * ndtr(t) + np.exp(-0.5 * t * t) / _SQRT_2PI)


def analytic_edge_mtf(f_cycles_per_pixel: np.ndarray, *, sigma_px: float,
                      angle_deg: float) -> np.ndarray:
    """Presampled MTF of :func:`render_slanted_edge` images along the edge normal."""
    a = np.radians(angle_deg)
    f = np.asarray(f_cycles_per_pixel, dtype=float)
    return (np.exp(-2.0 * np.pi**2 * sigma_px**2 * f**2)
            * np.abs(np.sinc(f * np.cos(a)) * np.sinc(f * np.sin(a))))


def render_slanted_edge(
    shape: tuple[int, int],
    *,
    angle_deg: float,
    sigma_px: float,
    low: float = 100.0,
    high: float = 1000.0,
    centre: tuple[float, float] | None = None,
    horizontal: bool = False,
    falling: bool = False,
    subsamples: int = 48,
) -> np.ndarray:
    """Image of a straight edge through ``centre``, tilted by ``angle_deg`` to the columns.

    Parameters
    ----------
    shape
        ``(rows, cols)``.
    angle_deg
        Edge angle to the pixel columns (or rows when ``horizontal``), degrees.
    sigma_px
        Gaussian blur, pixels (0 = pixel aperture only).
    low, high
        Signal on the two sides; the signal rises along +x (+y) unless ``falling``.
    centre
        ``(row, col)`` the edge passes through; default the image centre.
    horizontal
        Edge along the rows instead of the columns.
    falling
        Swap the sides.
    subsamples
        Midpoint lines per pixel for the integral across the rows.
    """
    h, w = shape
    if horizontal:
        c = None if centre is None else (centre[1], centre[0])
        return render_slanted_edge((w, h), angle_deg=angle_deg, sigma_px=sigma_px, low=low,
                                   high=high, centre=c, falling=falling,
                                   subsamples=subsamples).T
    cy, cx = centre if centre is not None else ((h - 1) / 2.0, (w - 1) / 2.0)
    a = np.radians(angle_deg)
    ca, sa = float(np.cos(a)), float(np.sin(a))
    cols = np.arange(w, dtype=float)[None, :]
    acc = np.zeros((h, w))
    for k in range(subsamples):
        y = np.arange(h, dtype=float)[:, None] + (k + 0.5) / subsamples - 0.5
        base = -(y - cy) * sa
        s1 = (cols + 0.5 - cx) * ca + base
        s0 = (cols - 0.5 - cx) * ca + base
        acc += (_ramp(s1, sigma_px) - _ramp(s0, sigma_px)) / ca
    frac = acc / subsamples
    if falling:
        frac = 1.0 - frac
    return low + (high - low) * frac


def render_bar_pattern(
    shape: tuple[int, int],
    *,
    period_px: float,
    n_bars: int,
    start_px: float,
    sigma_px: float,
    open_level: float = 1000.0,
    bar_level: float = 100.0,
) -> np.ndarray:
    """Image of ``n_bars`` dark bars (width ``period_px``/2) along the columns.

    Bar k covers x ∈ [start + k·P, start + k·P + P/2); outside the bars the signal is
    ``open_level``. Pixel values are exact pixel-aperture averages of the blurred pattern.
    """
    h, w = shape
    x = np.arange(w, dtype=float)
    dark = np.zeros(w)
    for k in range(int(n_bars)):
        a = start_px + k * period_px
        b = a + 0.5 * period_px
        dark += (_ramp(x + 0.5 - a, sigma_px) - _ramp(x - 0.5 - a, sigma_px)
                 - _ramp(x + 0.5 - b, sigma_px) + _ramp(x - 0.5 - b, sigma_px))
    profile = open_level - (open_level - bar_level) * dark
    return np.tile(profile, (h, 1))
