"""A synthetic adult hand of real size (soft tissue around tubes of cortical bone)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from perovx.errors import InputError
from perovx.interaction.phantoms._geometry import (
    _check_shape,
    _chord,
    _coords,
    _segment_distance,
)
from perovx.interaction.phantoms.base import Phantom, _materials

__all__ = ["HAND_LENGTH_M", "hand_phantom"]


#: Hand length (wrist crease to the tip of the middle finger) of the model, m: a typical
#: adult hand (the model's middle fingertip lies 190.7 mm from the crease).
HAND_LENGTH_M = 0.190

# Adult right hand, palm down, fingers pointing up (−y); (y, x) in mm from the wrist
# centre; per finger: joint positions and the bone radii of each segment. Dimensions from
# typical adult anatomy (hand length ~190 mm, metacarpals 8–9 mm, phalanges 6–9 mm thick).
_HAND_RAYS: tuple[tuple[tuple[tuple[float, float], ...], tuple[float, ...]], ...] = (
    # thumb: metacarpal, proximal, distal phalanx
    (((-20.0, -22.0), (-45.0, -42.0), (-68.0, -55.0), (-85.0, -63.0)), (5.0, 4.5, 3.8)),
    # index: metacarpal, proximal, middle, distal
    (((-22.0, -10.0), (-88.0, -20.0), (-128.0, -25.0), (-152.0, -27.0), (-170.0, -28.0)),
     (4.5, 4.2, 3.6, 3.0)),
    (((-22.0, 0.0), (-90.0, -2.0), (-135.0, -3.0), (-162.0, -3.5), (-182.0, -4.0)),
     (4.6, 4.4, 3.8, 3.1)),
    (((-22.0, 9.0), (-86.0, 15.0), (-128.0, 20.0), (-153.0, 23.0), (-172.0, 25.0)),
     (4.3, 4.1, 3.5, 2.9)),
    (((-20.0, 17.0), (-78.0, 31.0), (-108.0, 39.0), (-126.0, 43.0), (-141.0, 46.0)),
     (3.8, 3.6, 3.0, 2.6)),
)
_CARPALS = ((-8.0, -14.0, 7.0), (-8.0, -3.0, 7.5), (-8.0, 8.0, 7.0), (-8.0, 17.0, 6.0),
            (-16.0, -12.0, 6.0), (-16.0, 0.0, 6.5), (-16.0, 11.0, 6.0), (-3.0, 23.0, 5.0))


def hand_phantom(
    shape: tuple[int, int],
    *,
    spacing_m: float,
    length_m: float | None = None,
    threads: int | None = None,
    dtype: type[np.floating] = np.float64,
) -> Phantom:
    """A synthetic adult hand of real size: soft tissue around tubes of cortical bone.

    Fingers are capsules of soft tissue with elliptic cross-sections, the palm a rounded
    slab 26 mm thick, the wrist an elliptic cylinder 56 × 36 mm; the bones (5 metacarpals,
    14 phalanges, 8 carpals) are tubes of cortical bone with a marrow cavity of 60 % of
    the radius holding 20 % bone (trabecular), the rest soft tissue. The hand is scaled
    (laterally and in thickness alike) to ``length_m``, the anthropometric hand length
    from the wrist crease to the tip of the middle finger; the hand is cut at the wrist
    crease and centred on the grid (whatever the grid's size: a hand larger than the
    field is cropped).

    Parameters
    ----------
    shape
        (rows, columns).
    spacing_m
        Grid spacing, m.
    length_m
        Wrist-crease-to-fingertip length, m (default :data:`HAND_LENGTH_M`, 190 mm: a
        typical adult hand).
    threads
        Worker threads filling strips of rows (default: the process's cores,
        ``PEROVX_THREADS``); the maps are the same for any number.
    dtype
        Type of the maps: ``numpy.float32`` rounds the float64 values of each strip
        (computed in a strip-sized buffer), so a full-size panel's cell grid never holds
        float64 maps (2 × 300 MB at 6144² cells).
    """
    ny, nx = _check_shape(shape)
    length = HAND_LENGTH_M if length_m is None else float(length_m)
    if not (math.isfinite(length) and length > 0):
        raise InputError(f"hand length must be > 0 m, got {length!r}")
    scale = length / HAND_LENGTH_M  # model units: mm of an adult hand
    y, x = _coords((ny, nx), spacing_m)
    # model coordinates, mm: wrist crease at ym = 0, fingertip at −HAND_LENGTH; the
    # middle of the hand on the grid centre
    ym = y / scale * 1e3 - HAND_LENGTH_M * 1e3 / 2
    xm = (x) / scale * 1e3
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InputError(f"hand maps are float32 or float64, got {dtype}")
    tissue = np.empty((ny, nx), dtype=dtype)
    bone = np.empty((ny, nx), dtype=dtype)
    # every cell's value depends on its own coordinates only: strips of rows are filled
    # on the process's threads, each with the same operations (the same bits for any
    # number of threads and strips)
    from perovx.threads import default_threads, run_tasks

    n = default_threads() if threads is None else int(threads)
    rows = max(HAND_STRIP_ROWS, -(-ny // (4 * n)))  # a few strips per thread: balance
    strips = [(r0, min(r0 + rows, ny)) for r0 in range(0, ny, rows)]
    run_tasks([(lambda r0=r0, r1=r1: _fill_strip(
        tissue[r0:r1], bone[r0:r1], ym[r0:r1], xm, scale)) for r0, r1 in strips], n)
    return Phantom(
        name="hand",
        spacing_m=spacing_m,
        thickness_m={"soft_tissue": tissue, "cortical_bone": bone},
        materials=_materials("soft_tissue", "cortical_bone"),
        description=f"synthetic hand, {length * 1e3:.0f} mm long (adult ×{scale:.2f})",
    )


#: Fewest rows of a strip filled by one task (small grids: one task).
HAND_STRIP_ROWS = 256
#: Rows computed at a time in float64 when the maps are float32 (a 6144-cell row: 3 MB).
CAST_ROWS = 64


def _fill_strip(tissue: np.ndarray, bone: np.ndarray, ym: np.ndarray, xm: np.ndarray,
                scale: float) -> None:
    """:func:`_fill_hand` into a strip of the maps, through float64 buffers when the maps
    are float32 (the values: the float64 ones, rounded)."""
    if tissue.dtype == np.float64:
        _fill_hand(tissue, bone, ym, xm, scale)
        return
    n = min(CAST_ROWS, tissue.shape[0])
    t64 = np.empty((n, tissue.shape[1]))
    b64 = np.empty((n, bone.shape[1]))
    for r0 in range(0, tissue.shape[0], n):
        r1 = min(r0 + n, tissue.shape[0])
        t, b = t64[: r1 - r0], b64[: r1 - r0]
        _fill_hand(t, b, ym[r0:r1], xm, scale)
        np.copyto(tissue[r0:r1], t, casting="same_kind")
        np.copyto(bone[r0:r1], b, casting="same_kind")


def _fill_hand(tissue: np.ndarray, bone: np.ndarray, ym: np.ndarray, xm: np.ndarray,
               scale: float) -> None:
    """Fill the thickness maps (m) of a strip of rows whose model ordinates are ``ym``."""
    tissue.fill(0.0)
    bone.fill(0.0)
    y1, x1 = ym[:, 0], xm[0, :]

    def box(ylo: float, yhi: float, xlo: float, xhi: float) -> tuple[slice, slice]:
        """Index window of the model-coordinate box (mm)."""
        r0, r1 = np.searchsorted(y1, ylo), np.searchsorted(y1, yhi, side="right")
        c0, c1 = np.searchsorted(x1, xlo), np.searchsorted(x1, xhi, side="right")
        return slice(int(r0), int(r1)), slice(int(c0), int(c1))

    def capsule(target: np.ndarray, p: tuple[float, float], q: tuple[float, float],
                reach: float, profile: Callable[[np.ndarray], np.ndarray]) -> None:
        win = box(min(p[0], q[0]) - reach, max(p[0], q[0]) + reach,
                  min(p[1], q[1]) - reach, max(p[1], q[1]) + reach)
        if win[0].stop <= win[0].start or win[1].stop <= win[1].start:
            return
        d = _segment_distance(ym[win[0]], xm[:, win[1]], p, q)
        np.maximum(target[win], profile(d), out=target[win])

    # palm: a rounded slab (superellipse outline, elliptic thickness profile, 26 mm thick)
    win = box(-92.0, -12.0, -42.0, 46.0)
    r4 = ((xm[:, win[1]] - 2.0) / 44.0) ** 4 + ((ym[win[0]] + 52.0) / 40.0) ** 4
    tissue[win] = 26.0 * np.sqrt(np.clip(1.0 - np.sqrt(r4), 0.0, None))
    # wrist: elliptic cross-section 56 mm wide, 36 mm thick, running down off the field
    capsule(tissue, (-10.0, 2.0), (60.0, 2.0), 28.0,
            lambda d: 36.0 * np.sqrt(np.clip(1.0 - (d / 28.0) ** 2, 0.0, None)))
    for joints, radii in _HAND_RAYS:
        # finger soft tissue around the phalanges: elliptic, wider than thick
        half_w = radii[-1] * 2.8
        half_t = radii[-1] * 2.4
        for a, b in itertools.pairwise(joints[1:]):
            capsule(tissue, a, b, half_w,
                    lambda d, w=half_w, t=half_t: 2 * t * np.sqrt(
                        np.clip(1.0 - (d / w) ** 2, 0.0, None)))
        for (a, b), r in zip(itertools.pairwise(joints), radii, strict=True):
            # shorten each bone a little to leave joint spaces
            vy, vx = b[0] - a[0], b[1] - a[1]
            g = 1.5 / math.hypot(vy, vx)
            a2 = (a[0] + g * vy, a[1] + g * vx)
            b2 = (b[0] - g * vy, b[1] - g * vx)
            capsule(bone, a2, b2, r,
                    lambda d, r=r: _chord(d, r) - 0.8 * _chord(d, 0.6 * r))
    for cy, cx, r in _CARPALS:
        capsule(bone, (cy, cx), (cy, cx), r,
                lambda d, r=r: 0.5 * _chord(d, r) + 0.1 * _chord(d, 0.6 * r))
    # in place (a full-size panel's cell grid: 300 MB per float64 map): the same values
    # as max(tissue − bone, 0) and map × 1e-3 × scale
    np.subtract(tissue, bone, out=tissue)
    np.maximum(tissue, 0.0, out=tissue)
    beyond_wrist = ym[:, 0] > 0.0  # whole rows
    tissue[beyond_wrist] = 0.0
    bone[beyond_wrist] = 0.0
    for m in (tissue, bone):
        m *= 1e-3
        m *= scale
