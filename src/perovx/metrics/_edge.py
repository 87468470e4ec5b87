"""Finding a straight, slightly slanted edge in a detector image.

Two jobs, both on plain arrays with the edge running roughly along the columns
("vertical" edge; callers transpose a horizontal one):

* :func:`locate_edge_roi` finds, in a whole frame, the strongest straight edge within
  ``MAX_SEARCH_ANGLE_DEG`` of a pixel axis and returns a rectangle around its middle part
  (search on a block-averaged copy, so a 3072 × 3072 frame takes a few tens of ms);
* :func:`fit_edge` fits the edge line x = a + b·y to sub-pixel accuracy in a region of
  interest: per-row derivative centroids in a window around a first estimate from
  row-block averages, and a least-squares line with outlier rejection (the method of
  ISO 12233:2014, 6.2, with the robust refit that noisy flat-panel images need).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perovx.errors import InputError

__all__ = [
    "MAX_SEARCH_ANGLE_DEG",
    "MIN_EDGE_CNR",
    "EdgeFit",
    "edge_orientation",
    "fit_edge",
    "locate_edge_roi",
]

# Largest angle between the edge and a pixel axis that the automatic search considers (deg).
MAX_SEARCH_ANGLE_DEG = 20.0
# Smallest edge contrast-to-noise ratio (step height / per-pixel noise) taken as an edge.
MIN_EDGE_CNR = 2.0
# Fewest rows (fraction of the ROI) whose edge position must lie on the fitted line.
MIN_INLIER_FRACTION = 0.6


@dataclass(frozen=True)
class EdgeFit:
    """A straight edge x = a + b·y in pixel-centre coordinates of an ROI (pixels).

    ``polarity`` is +1 when the signal rises with x, −1 when it falls; ``contrast`` the
    step height in signal units, ``noise`` the per-pixel noise (standard deviation),
    ``inlier_fraction`` the fraction of rows whose edge position lies on the line.
    """

    a: float
    b: float
    polarity: int
    contrast: float
    noise: float
    inlier_fraction: float

    @property
    def cnr(self) -> float:
        """Step height over per-pixel noise (inf for noise-free data)."""
        return float("inf") if self.noise == 0 else self.contrast / self.noise


def edge_orientation(data: np.ndarray) -> str:
    """``"vertical"`` if the signal changes mostly along the rows (x), else ``"horizontal"``.

    Compares the range of the column means (a step for a near-vertical edge) with the
    range of the row means.
    """
    col_profile = data.mean(axis=0, dtype=np.float64)
    row_profile = data.mean(axis=1, dtype=np.float64)
    return "vertical" if np.ptp(col_profile) >= np.ptp(row_profile) else "horizontal"


def _robust_line(y: np.ndarray, x: np.ndarray, *, min_tol: float) -> tuple[float, float,
                                                                          np.ndarray]:
    """Least-squares x = a + b·y, refitted after dropping points beyond 3 robust sigmas."""
    keep = np.isfinite(x)
    a = b = 0.0
    for _ in range(6):
        if keep.sum() < 3:
            break
        b, a = np.polyfit(y[keep], x[keep], 1)
        resid = x - (a + b * y)
        mad = np.median(np.abs(resid[keep] - np.median(resid[keep])))
        tol = max(min_tol, 3.0 * 1.4826 * mad)
        new_keep = np.isfinite(x) & (np.abs(resid) <= tol)
        if np.array_equal(new_keep, keep):
            break
        keep = new_keep
    return float(a), float(b), keep


def fit_edge(data: np.ndarray, *, where: str = "ROI") -> EdgeFit:
    """Fit a near-vertical straight edge x = a + b·y in ``data`` (rows × columns).

    Parameters
    ----------
    data
        2-D array, float; the edge runs roughly along the columns.
    where
        Name of the region, for error messages.

    Returns
    -------
    EdgeFit

    Raises
    ------
    InputError
        No edge (contrast-to-noise below ``MIN_EDGE_CNR``) or no straight edge (fewer
        than ``MIN_INLIER_FRACTION`` of the rows on one line).
    """
    h, w = data.shape
    if h < 8 or w < 8:
        raise InputError(f"{where}: {h} × {w} pixels is too small to hold an edge (≥ 8 × 8)")
    k = max(2, w // 8)
    left = float(data[:, :k].mean())
    right = float(data[:, -k:].mean())
    step = right - left
    polarity = 1 if step >= 0 else -1
    contrast = abs(step)
    vdiff = np.diff(data, axis=0)
    noise = float(1.4826 * np.median(np.abs(vdiff - np.median(vdiff))) / np.sqrt(2.0))
    cnr = float("inf") if noise == 0 else contrast / noise
    if contrast == 0 or cnr < MIN_EDGE_CNR:
        raise InputError(
            f"{where}: no edge found: the two sides differ by {contrast:.4g} (signal units), "
            f"{cnr:.2f} times the pixel noise {noise:.4g}, below {MIN_EDGE_CNR:g}; "
            "the region of interest must contain one straight edge with both sides "
            "(give --roi, or check that the edge device is in the image)"
        )
    deriv = polarity * np.diff(data, axis=1)  # positions x = j + 0.5
    # Coarse estimate: row blocks averaged (noise ÷ √g), derivative smoothed, argmax.
    g = int(np.clip(h // 32, 1, 8))
    nb = h // g
    blocks = deriv[: nb * g].reshape(nb, g, w - 1).mean(axis=1)
    if w - 1 >= 5:
        padded = np.pad(blocks, ((0, 0), (1, 1)), mode="edge")
        blocks = (padded[:, :-2] + padded[:, 1:-1] + padded[:, 2:]) / 3.0
    xb = np.argmax(blocks, axis=1).astype(float) + 0.5
    yb = np.arange(nb) * g + (g - 1) / 2.0
    a, b, keep = _robust_line(yb, xb, min_tol=2.0)
    # Fine estimate: centroid of each row's derivative in a Hann window about the line.
    rows = np.arange(h, dtype=float)
    centre_cols = np.arange(w - 1, dtype=float) + 0.5
    half = _window_half_width(deriv, a, b)
    x_row = np.full(h, np.nan)
    for _ in range(2):
        pred = a + b * rows
        dist = centre_cols[None, :] - pred[:, None]
        win = np.where(np.abs(dist) < half, 0.5 + 0.5 * np.cos(np.pi * dist / half), 0.0)
        weights = deriv * win
        total = weights.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            x_row = (weights * centre_cols[None, :]).sum(axis=1) / total
        x_row[~(total > 0)] = np.nan
        a, b, keep = _robust_line(rows, x_row, min_tol=1.0)
    inlier_fraction = float(keep.mean())
    if inlier_fraction < MIN_INLIER_FRACTION:
        raise InputError(
            f"{where}: no straight edge: only {100 * inlier_fraction:.0f} % of the rows have "
            f"their edge on one line (need ≥ {100 * MIN_INLIER_FRACTION:.0f} %); the region "
            "may hold two edges, a corner, or noise only"
        )
    return EdgeFit(a=a, b=b, polarity=polarity, contrast=contrast, noise=noise,
                   inlier_fraction=inlier_fraction)


def _window_half_width(deriv: np.ndarray, a: float, b: float) -> float:
    """Half-width (pixels) of the centroid window: 3 × the 10 %-of-peak half-width of the
    row-aligned derivative, at least 4 and at most a quarter of the row length."""
    h, n = deriv.shape
    reach = int(min(n // 2, 64))
    offsets = np.arange(-reach, reach + 1)
    centres = np.rint(a + b * np.arange(h) - 0.5).astype(int)
    cols = np.clip(centres[:, None] + offsets[None, :], 0, n - 1)
    mean_lsf = np.take_along_axis(deriv, cols, axis=1).mean(axis=0)
    peak = mean_lsf.max()
    if not peak > 0:
        return 4.0
    above = np.nonzero(mean_lsf >= 0.1 * peak)[0]
    half10 = max(abs(offsets[above[0]]), abs(offsets[above[-1]])) + 1.0
    return float(np.clip(3.0 * half10, 4.0, max(4.0, n / 4.0)))


def _block_mean(data: np.ndarray, factor: int) -> np.ndarray:
    h, w = data.shape
    hh, ww = h // factor, w // factor
    view = data[: hh * factor, : ww * factor].reshape(hh, factor, ww, factor)
    return view.mean(axis=(1, 3), dtype=np.float32)


def _hough_line(along: np.ndarray, across: np.ndarray,
                use: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Strongest line across = c0 + t·along through the points ``use`` (Hough transform
    over ±``MAX_SEARCH_ANGLE_DEG`` in 0.25° steps, 2-pixel intercept bins), refined by a
    least-squares fit to its inliers; returns ``(t, c0, inliers among all points)``."""
    a_use, c_use = along[use], across[use]
    slopes = np.tan(np.radians(np.arange(-MAX_SEARCH_ANGLE_DEG, MAX_SEARCH_ANGLE_DEG + 1e-9,
                                         0.25)))
    intercepts = c_use[None, :] - slopes[:, None] * a_use[None, :]
    lo = float(intercepts.min())
    bins = np.floor((intercepts - lo) / 2.0).astype(np.int64)
    nbin = int(bins.max()) + 1
    flat = (np.arange(slopes.size)[:, None] * nbin + bins).ravel()
    acc = np.bincount(flat, minlength=slopes.size * nbin).reshape(slopes.size, nbin)
    acc = acc[:, :-1] + acc[:, 1:] if nbin > 1 else acc
    i_s, i_c = np.unravel_index(int(np.argmax(acc)), acc.shape)
    t = float(slopes[i_s])
    c0 = lo + 2.0 * float(i_c) + 2.0
    inl = use & (np.abs(across - (c0 + t * along)) <= 3.0)
    if inl.sum() >= 3:
        t, c0 = (float(v) for v in np.polyfit(along[inl], across[inl], 1))
        inl = use & (np.abs(across - (c0 + t * along)) <= 2.5)
    return t, c0, inl


def _slanted_line(along: np.ndarray, across: np.ndarray, min_angle_deg: float) -> tuple[
        tuple[float, float, np.ndarray] | None, tuple[float, float, np.ndarray] | None]:
    """The strongest line at least ``min_angle_deg`` off the axis, and the strongest
    axis-aligned one (collimator borders, detector edges), each ``(t, c0, inliers)`` or
    None: aligned lines are set aside, band and all, and the search repeated."""
    remaining = np.ones(along.size, dtype=bool)
    aligned = None
    for _ in range(6):
        if remaining.sum() < 8:
            break
        t, c0, inl = _hough_line(along, across, remaining)
        needed = 8 if aligned is None else max(8, 0.2 * aligned[2].sum())
        if inl.sum() < needed:
            break
        if abs(np.degrees(np.arctan(t))) >= min_angle_deg:
            return (t, c0, inl), aligned
        if aligned is None:
            aligned = (t, c0, inl)
        # drop the whole band of this line (a blurred edge is several pixels wide)
        remaining &= np.abs(across - (c0 + t * along)) > 6.0
    return None, aligned


def locate_edge_roi(
    data: np.ndarray,
    *,
    max_half_width_px: int = 128,
    max_length_px: int = 1024,
    search_size_px: int = 512,
    min_angle_deg: float = 0.5,
) -> tuple[int, int, int, int]:
    """Find the strongest straight edge in a frame and return an ROI around its middle.

    Parameters
    ----------
    data
        2-D frame (any numeric type).
    max_half_width_px
        Largest extent of the ROI on each side of the edge (pixels).
    max_length_px
        Largest ROI length along the edge (pixels).
    search_size_px
        The frame is block-averaged to about this size for the search.
    min_angle_deg
        Lines closer than this to a pixel axis (deg) are taken only when no slanted line
        is found.

    Returns
    -------
    tuple of int
        ``(row_start, row_stop, col_start, col_stop)``, half-open, in frame pixels.

    Raises
    ------
    InputError
        No edge stands out from the noise, or no isolated straight stretch of it is long
        enough for an MTF ROI.
    """
    h, w = data.shape
    factor = max(1, int(np.ceil(max(h, w) / search_size_px)))
    small = _block_mean(data, factor) if factor > 1 else data.astype(np.float32)
    if min(small.shape) < 16:
        raise InputError(f"image of {h} × {w} pixels is too small to search for an edge")
    gx = small[1:-1, 2:] - small[1:-1, :-2]
    gy = small[2:, 1:-1] - small[:-2, 1:-1]
    mag = np.hypot(gx, gy)
    top = float(np.percentile(mag, 99.95))
    typical = float(np.median(mag))
    if not top > 0 or top < 8.0 * typical:
        raise InputError(
            "no edge found in the image: the strongest gradients "
            f"({top:.3g}) do not stand out from the noise ({typical:.3g}); "
            "give the region of interest (--roi) or check the image"
        )
    strong = mag > 0.35 * top
    ys, xs = np.nonzero(strong)
    vertical = np.abs(gx[ys, xs]) >= np.abs(gy[ys, xs])
    # Edges along the columns ("vertical") and along the rows are searched separately,
    # the more common kind first; a slanted line of either kind beats axis-aligned ones.
    order = (True, False) if vertical.sum() >= (~vertical).sum() else (False, True)
    found = None
    fallback = None
    for use_vertical in order:
        sel = vertical if use_vertical else ~vertical
        # In the "along" / "across" coordinates the edge is across = c0 + t·along.
        along, across = (ys[sel], xs[sel]) if use_vertical else (xs[sel], ys[sel])
        chosen, aligned = _slanted_line(along, across, min_angle_deg)
        if chosen is not None:
            found = (use_vertical, sel, along, across, *chosen)
            break
        if aligned is not None and fallback is None:
            fallback = (use_vertical, sel, along, across, *aligned)
    if found is None:
        if fallback is None:
            raise InputError("no straight edge found in the image; give the region of "
                             "interest")
        found = fallback
    use_vertical, sel, along, across, t, c0, inl = found
    a_in = np.sort(np.unique(along[inl]))
    if a_in.size < 8:
        raise InputError("no straight edge found in the image; give the region of interest")
    gaps = np.nonzero(np.diff(a_in) > 4)[0]
    starts = np.concatenate(([0], gaps + 1))
    stops = np.concatenate((gaps, [a_in.size - 1]))
    best = int(np.argmax(a_in[stops] - a_in[starts]))
    seg_lo, seg_hi = float(a_in[starts[best]]), float(a_in[stops[best]])
    seg_len = seg_hi - seg_lo
    # Back to frame pixels (small pixel i of the gradient maps covers frame pixels
    # (i + 1)·f … (i + 2)·f − 1; its centre is (i + 1)·f + (f − 1)/2).
    def to_full(v: float | np.ndarray) -> float | np.ndarray:
        return (v + 1.0) * factor + (factor - 1) / 2.0

    centre = to_full(0.5 * (seg_lo + seg_hi))
    half_len = min(0.4 * seg_len * factor, max_length_px / 2.0)
    if half_len < 16:
        raise InputError(
            f"the straight part of the strongest edge is only {seg_len * factor:.0f} pixels "
            "long; an MTF needs at least 40; give the region of interest"
        )
    # Keep other edges (strong pixels not connected to this one) out of the ROI.
    from scipy import ndimage

    labels, _ = ndimage.label(strong, structure=np.ones((3, 3), dtype=bool))
    own = np.unique(labels[ys[sel][inl], xs[sel][inl]])
    foreign = ~np.isin(labels[ys, xs], own)
    f_along, f_across = (ys[foreign], xs[foreign]) if use_vertical else (xs[foreign],
                                                                         ys[foreign])
    half_width = float(max_half_width_px)
    a_lo_s = (centre - half_len - (factor - 1) / 2.0) / factor - 1.0
    a_hi_s = (centre + half_len - (factor - 1) / 2.0) / factor - 1.0
    near = (f_along >= a_lo_s - 2) & (f_along <= a_hi_s + 2)
    if near.any():
        gap = float(np.min(np.abs(f_across[near] - (c0 + t * f_along[near]))))
        half_width = min(half_width, (gap - 2.0) * factor)
    n_along_full = h if use_vertical else w
    n_across_full = w if use_vertical else h
    a0 = int(max(0, np.floor(centre - half_len)))
    a1 = int(min(n_along_full, np.ceil(centre + half_len) + 1))
    line_full = [to_full(c0 + t * ((v - (factor - 1) / 2.0) / factor - 1.0)) for v in (a0, a1)]
    c_lo = min(line_full) - half_width
    c_hi = max(line_full) + half_width
    c_lo_i = int(max(0, np.floor(c_lo)))
    c_hi_i = int(min(n_across_full, np.ceil(c_hi) + 1))
    room = min(min(line_full) - c_lo_i, c_hi_i - 1 - max(line_full))
    if room < 12:
        raise InputError(
            "the strongest edge has no room for an ROI: it lies within "
            f"{max(room, 0):.0f} pixels of the image border or of another edge; "
            "give the region of interest"
        )
    if use_vertical:
        return a0, a1, c_lo_i, c_hi_i
    return c_lo_i, c_hi_i, a0, a1
