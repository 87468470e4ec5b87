"""Compiled inner loop of the induced-charge transfer (:func:`..cascade.ramo_transfer`).

One design per parallel iteration: the trapping recurrence of both carriers along the
heights, the interpolation at the depth samples and the diffusion Gaussian
exp(−β r²) on the uniform radial grid, built by the exact product recurrence
e_{r+1} = e_r g_r, g_{r+1} = g_r exp(−2β) (two multiplications instead of an exponential
per point). Each design's numbers depend only on its own inputs, so they are the same
whatever the batch and the thread count.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange


def _transfer_moments(dphi: np.ndarray, dec_d: np.ndarray, wt_d: np.ndarray,
                     dec_u: np.ndarray, wt_u: np.ndarray, jidx: np.ndarray,
                     tfrac: np.ndarray, beta_c: np.ndarray, beta_o: np.ndarray, nz: int,
                     ns: int, weight: float, cbar: np.ndarray, c2bar: np.ndarray) -> None:
    """Add ``weight`` × ⟨c⟩ and ``weight`` × ⟨c⟩² per depth bin to ``cbar``, ``c2bar`` (M, Z, R).

    Parameters
    ----------
    dphi
        Steps of Φ(h, ρ) along the heights, (H − 1, R).
    dec_d, wt_d, dec_u, wt_u
        Survival and trapping weight of each height step for the carrier drifting to the
        pixels (d) and the other (u), (M, H − 1).
    jidx, tfrac
        Height node below each depth sample and the fraction to the next, (Z·S,).
    beta_c, beta_o
        Diffusion exponents 2π² Δρ² σ² of the two carriers at each depth sample, (M, Z·S).
    nz, ns
        Depth bins and samples per bin.
    weight
        Weight of this μτ node.
    """
    m_count = dec_d.shape[0]
    h_count = dphi.shape[0] + 1
    r_count = dphi.shape[1]
    for m in prange(m_count):
        down = np.empty((h_count, r_count))
        up = np.empty((h_count, r_count))
        for r in range(r_count):
            down[0, r] = 0.0
            up[h_count - 1, r] = 0.0
        for j in range(h_count - 1):
            a = dec_d[m, j]
            b = -wt_d[m, j]
            for r in range(r_count):
                down[j + 1, r] = down[j, r] * a + dphi[j, r] * b
        for j in range(h_count - 2, -1, -1):
            a = dec_u[m, j]
            b = -wt_u[m, j]
            for r in range(r_count):
                up[j, r] = up[j + 1, r] * a + dphi[j, r] * b
        c = np.empty(r_count)
        for z in range(nz):
            for r in range(r_count):
                c[r] = 0.0
            for s in range(ns):
                zs = z * ns + s
                j = jidx[zs]
                t = tfrac[zs]
                bc = beta_c[m, zs]
                bo = beta_o[m, zs]
                ec = 1.0
                gc = np.exp(-bc)
                qc = np.exp(-2.0 * bc)
                eo = 1.0
                go = np.exp(-bo)
                qo = np.exp(-2.0 * bo)
                for r in range(r_count):
                    dn = down[j, r] * (1.0 - t) + down[j + 1, r] * t
                    uv = up[j, r] * (1.0 - t) + up[j + 1, r] * t
                    c[r] += dn * ec + uv * eo
                    ec *= gc
                    gc *= qc
                    eo *= go
                    go *= qo
            for r in range(r_count):
                v = c[r] / ns
                cbar[m, z, r] += weight * v
                c2bar[m, z, r] += weight * (v * v)


#: Threads for batches, one thread for a few designs (no pool start-up under load);
#: the loop body is the same code, so the numbers are the same.
transfer_moments_parallel = numba.njit(cache=True, parallel=True, error_model="numpy")(
    _transfer_moments)
transfer_moments_serial = numba.njit(cache=True, parallel=False, error_model="numpy")(
    _transfer_moments)
