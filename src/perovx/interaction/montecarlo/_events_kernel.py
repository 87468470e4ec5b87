"""numba kernel of :mod:`.events`: run histories and keep their deposits (lazy import)."""

from __future__ import annotations

import numba
from numba import prange

from ._compile import NO_NRT, device_jit
from ._history import simulate_history
from ._layout import F_SZ0, I_SENS, INF_EINC
from ._rng import rng_seed

__all__ = ["keep_deposits"]


@numba.njit(cache=True, parallel=True, error_model="numpy", **NO_NRT)
def keep_deposits(F, IX, keys, nhist, first, merge, rng, stack, vac, dep, info, out, einc,
                  nout):
    """Run batch ``b``'s histories (numbered from ``first[b]``) and merge their deposits.

    ``out[h, c]`` gets (x, y, depth below the sensitive layer's front, energy keV) of
    cluster ``c`` of history ``h``; deposits within ``merge`` metres of a cluster join
    it (energy-weighted centre), and when all ``out.shape[1]`` slots are used further
    deposits join the nearest cluster. ``einc[h]`` is the incident energy, keV.
    """
    for b in prange(nhist.shape[0]):
        keep_batch(F, IX, keys[b, 0], keys[b, 1], nhist[b], first[b], merge, rng[b],
                   stack[b], vac[b], dep[b], info[b], out, einc, nout)


@device_jit
def keep_batch(F, IX, key0, key1, n, first, merge, st, stack, vac, dep, info, out, einc,
               nout):
    """One batch of :func:`keep_deposits` (serial: the parallel loop stays small to compile)."""
    sens = IX[I_SENS]
    z0s = F[F_SZ0]
    m2 = merge * merge
    kmax = out.shape[1]
    for j in range(n):
        h = first + j
        rng_seed(st, key0, key1, j)
        ndep = simulate_history(F, IX, st, stack, vac, dep, info)
        einc[h] = info[INF_EINC]
        nc = 0
        for k in range(ndep):
            if int(dep[k, 4]) != sens:
                continue
            e = dep[k, 3]
            if e <= 0.0:
                continue
            x = dep[k, 0]
            y = dep[k, 1]
            z = dep[k, 2] - z0s
            best = -1
            bestd = 1e300
            for c in range(nc):
                dx = out[h, c, 0] - x
                dy = out[h, c, 1] - y
                dz = out[h, c, 2] - z
                d = dx * dx + dy * dy + dz * dz
                if d < bestd:
                    bestd = d
                    best = c
            if best < 0 or (bestd > m2 and nc < kmax):
                out[h, nc, 0] = x
                out[h, nc, 1] = y
                out[h, nc, 2] = z
                out[h, nc, 3] = e
                nc += 1
            else:
                w = out[h, best, 3] + e
                out[h, best, 0] += (x - out[h, best, 0]) * e / w
                out[h, best, 1] += (y - out[h, best, 1]) * e / w
                out[h, best, 2] += (z - out[h, best, 2]) * e / w
                out[h, best, 3] = w
        nout[h] = nc
