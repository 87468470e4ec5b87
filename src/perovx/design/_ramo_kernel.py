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


def _transfer_moments(dphi: np.ndarray, dh: np.ndarray, lam_d: np.ndarray,
                      lam_u: np.ndarray, factors: np.ndarray, weights: np.ndarray,
                      jidx: np.ndarray, tfrac: np.ndarray, beta_c: np.ndarray,
                      beta_o: np.ndarray, nz: int, ns: int, cbar: np.ndarray,
                      c2bar: np.ndarray) -> None:
    """Set ``cbar``, ``c2bar`` (M, Z, R) to Σ_k w_k c_k and Σ_k w_k c_k² per depth bin.

    Parameters
    ----------
    dphi
        Steps of Φ(h, ρ) along the heights, (H − 1, R).
    dh
        Height steps, m, (H − 1,).
    lam_d, lam_u
        Drift lengths of the carrier drifting to the pixels and of the other, m, (M,)
        (0: not collected; inf: no trapping).
    factors, weights
        μτ nodes k: relative drift length and weight, (K,).
    jidx, tfrac
        Height node below each depth sample and the fraction to the next, (Z·S,).
    beta_c, beta_o
        Diffusion exponents 2π² Δρ² σ² of the two carriers at each depth sample, (M, Z·S).
    nz, ns
        Depth bins and samples per bin.
    """
    m_count = lam_d.shape[0]
    h_count = dphi.shape[0] + 1
    r_count = dphi.shape[1]
    for m in prange(m_count):
        down = np.empty((h_count, r_count))
        up = np.empty((h_count, r_count))
        c = np.empty(r_count)
        for z in range(nz):
            for r in range(r_count):
                cbar[m, z, r] = 0.0
                c2bar[m, z, r] = 0.0
        for k in range(factors.shape[0]):
            ld = lam_d[m] * factors[k]
            lu = lam_u[m] * factors[k]
            for r in range(r_count):
                down[0, r] = 0.0
                up[h_count - 1, r] = 0.0
            for j in range(h_count - 1):
                if ld <= 0.0:
                    a = 0.0
                    b = 0.0
                elif np.isinf(ld):
                    a = 1.0
                    b = -1.0
                else:
                    a = np.exp(-dh[j] / ld)
                    b = -(ld * -np.expm1(-dh[j] / ld) / dh[j])
                for r in range(r_count):
                    down[j + 1, r] = down[j, r] * a + dphi[j, r] * b
            for j in range(h_count - 2, -1, -1):
                if lu <= 0.0:
                    a = 0.0
                    b = 0.0
                elif np.isinf(lu):
                    a = 1.0
                    b = -1.0
                else:
                    a = np.exp(-dh[j] / lu)
                    b = -(lu * -np.expm1(-dh[j] / lu) / dh[j])
                for r in range(r_count):
                    up[j, r] = up[j + 1, r] * a + dphi[j, r] * b
            wk = weights[k]
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
                    cbar[m, z, r] += wk * v
                    c2bar[m, z, r] += wk * (v * v)


#: Threads for batches, one thread for a few designs (no pool start-up under load);
#: the loop body is the same code, so the numbers are the same.
transfer_moments_parallel = numba.njit(cache=True, parallel=True, error_model="numpy")(
    _transfer_moments)
transfer_moments_serial = numba.njit(cache=True, parallel=False, error_model="numpy")(
    _transfer_moments)
