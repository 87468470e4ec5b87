"""Compiled loop of the scatter blur's interpolation back to the cells (numba).

Imported lazily by :mod:`perovx.interaction.phantoms.projection` (numba is a heavy
import). The loop does, cell by cell, the same float64 operations in the same order as
the strip-wise numpy expression it replaces (no fast-math: no fused multiply–adds), so
the float32 result is the same.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy")
def add_interpolated(image: np.ndarray, coarse: np.ndarray, r0: np.ndarray, r1: np.ndarray,
                     a0: np.ndarray, a1: np.ndarray, c0: np.ndarray, c1: np.ndarray,
                     b0: np.ndarray, b1: np.ndarray, factor: np.float32) -> None:
    """``image[i, j] += factor · float32(bilinear(coarse)[i, j])`` with two taps per axis.

    ``coarse`` float64 (coarse rows, coarse columns); row ``i`` of the result reads
    coarse rows ``r0[i]``, ``r1[i]`` with weights ``a0[i]``, ``a1[i]`` (float64), column
    ``j`` reads ``c0[j]``, ``c1[j]`` with ``b0[j]``, ``b1[j]``.
    """
    ny, nx = image.shape
    part = np.empty(coarse.shape[1], dtype=np.float64)
    for i in range(ny):
        ra, rb = r0[i], r1[i]
        wa, wb = a0[i], a1[i]
        for q in range(coarse.shape[1]):
            part[q] = wa * coarse[ra, q] + wb * coarse[rb, q]
        for j in range(nx):
            v = part[c0[j]] * b0[j]
            v += part[c1[j]] * b1[j]
            s = np.float32(v)
            s *= factor
            image[i, j] += s


@numba.njit(cache=True, nogil=True, error_model="numpy")
def block_means(image: np.ndarray, k: int) -> np.ndarray:
    """Means of ``k`` × ``k`` blocks of ``image`` (float64 sums), the grid extended to a
    multiple of ``k`` by repeating its last row and column (numpy's "edge" padding)."""
    ny, nx = image.shape
    my, mx = -(-ny // k), -(-nx // k)
    out = np.zeros((my, mx), dtype=np.float64)
    for i in range(my * k):
        src = image[min(i, ny - 1)]
        row = out[i // k]
        for q in range(mx):
            acc = 0.0
            for j in range(q * k, (q + 1) * k):
                acc += src[min(j, nx - 1)]
            row[q] += acc
    out *= 1.0 / (k * k)
    return out
