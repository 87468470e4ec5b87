"""Pieces shared by the image-quality metrics: image/pitch unpacking, crossings, plots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.io.images import PIXEL_PITCH_RANGE_M

__all__ = ["first_crossing", "new_axes", "pitch_pair", "unpack_image"]


def pitch_pair(pixel_pitch_m: float | Sequence[float] | None, *, what: str) -> tuple[float, float]:
    """``(row, col)`` pitch in m from one value or a pair; an unknown pitch is an error."""
    if pixel_pitch_m is None:
        raise InputError(
            f"{what}: the pixel pitch is unknown: the file does not state it; give it "
            "(Python: pixel_pitch_m=100e-6; CLI: --pixel-pitch 100um)"
        )
    if isinstance(pixel_pitch_m, int | float | np.floating | np.integer):
        pair = (float(pixel_pitch_m), float(pixel_pitch_m))
    else:
        vals = [float(v) for v in pixel_pitch_m]
        if len(vals) != 2:
            raise InputError(f"{what}: pixel pitch must be one value or (row, col), "
                             f"got {pixel_pitch_m!r}")
        pair = (vals[0], vals[1])
    lo, hi = PIXEL_PITCH_RANGE_M
    for v in pair:
        if not (math.isfinite(v) and lo <= v <= hi):
            raise InputError(
                f"{what}: pixel pitch {v!r} m is outside {lo * 1e6:g} µm – {hi * 1e3:g} mm "
                "(the pitch is in metres: 100 µm = 1e-4)"
            )
    return pair


def unpack_image(
    image: Any, pixel_pitch_m: float | Sequence[float] | None, *, what: str
) -> tuple[np.ndarray, tuple[float, float]]:
    """Data and ``(row, col)`` pitch (m) from an array or an object with ``.data`` and
    ``.pixel_pitch_m`` (such as :class:`perovx.io.images.Image`); an explicit
    ``pixel_pitch_m`` wins over the image's own."""
    if hasattr(image, "data") and hasattr(image, "pixel_pitch_m"):
        data = np.asarray(image.data)
        pitch = pixel_pitch_m if pixel_pitch_m is not None else image.pixel_pitch_m
    else:
        data = np.asarray(image)
        pitch = pixel_pitch_m
    if data.ndim not in (2, 3) or data.size == 0:
        raise InputError(f"{what}: expected a 2-D image (or a 3-D stack), got shape {data.shape}")
    if data.dtype.kind not in "uif":
        raise InputError(f"{what}: pixel values must be numbers, got dtype {data.dtype}")
    return data, pitch_pair(pitch, what=what)


def first_crossing(freq: np.ndarray, values: np.ndarray, level: float) -> float | None:
    """First frequency where ``values`` falls below ``level`` (linear interpolation), or
    ``None`` when it stays above it over the whole range."""
    below = np.nonzero(values < level)[0]
    if below.size == 0:
        return None
    i = int(below[0])
    if i == 0:
        return float(freq[0])
    f0, f1 = freq[i - 1], freq[i]
    v0, v1 = values[i - 1], values[i]
    return float(f0 + (v0 - level) * (f1 - f0) / (v0 - v1))


def new_axes(ax: Any = None) -> tuple[Any, Any]:
    """``(figure, axes)``: the given axes and its figure, or a new Agg figure."""
    import matplotlib

    if ax is not None:
        return ax.figure, ax
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, new_ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    return fig, new_ax
