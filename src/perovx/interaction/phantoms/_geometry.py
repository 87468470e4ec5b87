"""Grid geometry shared by the phantom builders (cell coordinates, covered fractions)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perovx.errors import InputError


def _coords(shape: tuple[int, int], spacing_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates (y, x) relative to the grid centre, m."""
    y = (np.arange(shape[0]) - (shape[0] - 1) / 2.0) * spacing_m
    x = (np.arange(shape[1]) - (shape[1] - 1) / 2.0) * spacing_m
    return y[:, None], x[None, :]


def _check_shape(shape: Sequence[int]) -> tuple[int, int]:
    if len(shape) != 2 or any(int(s) != s or s < 1 for s in shape):
        raise InputError(f"phantom shape must be two positive integers, got {shape!r}")
    return int(shape[0]), int(shape[1])


def _box_fraction(lo: np.ndarray, hi: np.ndarray, a: float, b: float) -> np.ndarray:
    """Fraction of each cell [lo, hi] covered by the interval [a, b] (anti-aliased edges)."""
    return np.clip((np.minimum(hi, b) - np.maximum(lo, a)) / (hi - lo), 0.0, 1.0)


def _disk_fraction(y: np.ndarray, x: np.ndarray, cy: float, cx: float, r: float,
                   spacing_m: float) -> np.ndarray:
    """Approximate covered fraction of each cell by a disk (linear ramp over one cell)."""
    d = np.sqrt((y - cy) ** 2 + (x - cx) ** 2)
    return np.clip((r - d) / spacing_m + 0.5, 0.0, 1.0)


def _segment_distance(y: np.ndarray, x: np.ndarray, p: tuple[float, float],
                      q: tuple[float, float]) -> np.ndarray:
    """Distance from each point to the segment p–q (coordinates (y, x), m)."""
    py, px = p
    qy, qx = q
    vy, vx = qy - py, qx - px
    length2 = vy * vy + vx * vx
    if length2 == 0:
        return np.sqrt((y - py) ** 2 + (x - px) ** 2)
    t = np.clip(((y - py) * vy + (x - px) * vx) / length2, 0.0, 1.0)
    return np.sqrt((y - py - t * vy) ** 2 + (x - px - t * vx) ** 2)


def _chord(distance: np.ndarray, radius: float) -> np.ndarray:
    """Path length through a cylinder of ``radius`` at lateral ``distance`` from its axis."""
    return 2.0 * np.sqrt(np.clip(radius * radius - distance * distance, 0.0, None))


def _window(cy: float, cx: float, radius: float, y_edges: np.ndarray,
            x_edges: np.ndarray) -> tuple[slice, slice]:
    """Index window of the cells within ``radius`` (m) of (cy, cx)."""
    y0 = max(int(np.searchsorted(y_edges, cy - radius)) - 1, 0)
    y1 = min(int(np.searchsorted(y_edges, cy + radius)) + 1, y_edges.size - 1)
    x0 = max(int(np.searchsorted(x_edges, cx - radius)) - 1, 0)
    x1 = min(int(np.searchsorted(x_edges, cx + radius)) + 1, x_edges.size - 1)
    return slice(y0, y1), slice(x0, x1)
