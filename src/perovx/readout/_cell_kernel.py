"""Compiled sampler of the cells' charge (numba): one pass per block and energy group.

Imported lazily by :mod:`perovx.readout.frame` (numba is a heavy import). For every cell
it forms the expected number of depositing photons (photon map × scale × the film's
per-pixel interaction factor), draws the charge of those photons and multiplies it by
the per-pixel gain factor, in one loop without temporaries — the numpy version made ten
passes over each block and its float32 normal draws alone took ~8 ns per value here.

Random numbers: :func:`sample_block` runs its own **xoshiro256++** generator (Blackman and Vigna,
"Scrambled linear pseudorandom number generators", ACM Trans. Math. Softw. 47, 36
(2021)) whose 256-bit state is four words drawn from the caller's numpy generator (the
block's PCG64 stream), so the values depend on the block's key only: the same for any
tile size and thread count (:func:`sample_flat`, behind the public
``sample_cell_charge``, takes one word per cell from the caller's generator and the
generator only for the rare extra draws). Normal deviates come from the 256-layer ziggurat of
Marsaglia and Tsang (J. Stat. Softw. 5(8), 2000; the tail and wedge tests of their
paper, 52-bit magnitudes as in numpy), Poisson counts below :data:`EXACT_BELOW_PHOTONS`
by inversion of the cumulative distribution, gamma variables by Marsaglia and Tsang's
method (ACM Trans. Math. Softw. 26, 363 (2000)), with the u^(1/a) boost for shapes below 1.

Arithmetic is float64 per cell and the charge is stored as float32 (see
:mod:`perovx.readout.blocks` for the precision of the block chain).
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: Below this many expected depositing photons a cell is drawn exactly (Poisson count,
#: gamma-distributed total); must equal :data:`perovx.readout.frame.EXACT_BELOW_PHOTONS`.
EXACT_BELOW_PHOTONS = 5.0

#: Partial sums of the Poisson inversion formed before the first test (see ``_charge``).
_POISSON_UNROLLED = 6

_ZIG_R = 3.6541528853610088  # right edge of the base strip of the 256-layer ziggurat
_ZIG_V = 0.00492867323399  # area of each layer


def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tables (k, w, f) of the 256-layer ziggurat for 52-bit magnitudes (Marsaglia–Tsang)."""
    m = 2.0**52
    k = np.zeros(256, dtype=np.uint64)
    w = np.zeros(256)
    f = np.zeros(256)
    dn = tn = _ZIG_R
    q = _ZIG_V / math.exp(-0.5 * dn * dn)
    k[0] = np.uint64((dn / q) * m)
    k[1] = 0
    w[0] = q / m
    w[255] = dn / m
    f[0] = 1.0
    f[255] = math.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = math.sqrt(-2.0 * math.log(_ZIG_V / dn + math.exp(-0.5 * dn * dn)))
        k[i + 1] = np.uint64((dn / tn) * m)
        tn = dn
        f[i] = math.exp(-0.5 * dn * dn)
        w[i] = dn / m
    return k, w, f


ZIG_K, ZIG_W, ZIG_F = _ziggurat_tables()

_U = numba.uint64
_MASK52 = (1 << 52) - 1
_INV53 = 1.0 / 9007199254740992.0
_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@numba.njit(inline="always", **_JIT)
def _rotl(x, k):
    return (x << _U(k)) | (x >> _U(64 - k))


@numba.njit(inline="always", **_JIT)
def _next(s0, s1, s2, s3):
    """xoshiro256++: (word, new state) from the state (s0, s1, s2, s3)."""
    result = _rotl(s0 + s3, 23) + s0
    t = s1 << _U(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@numba.njit(**_JIT)
def _normal_slow(r, s0, s1, s2, s3):
    """Standard normal deviate (256-layer ziggurat) whose first word ``r`` was rejected
    by the fast test; further words from the state. Returns (x, new state)."""
    while True:
        idx = np.intp(r & _U(0xFF))
        sign = (r >> _U(8)) & _U(1)
        rabs = (r >> _U(9)) & _U(_MASK52)
        x = np.float64(rabs) * ZIG_W[idx]
        if sign:
            x = -x
        if rabs < ZIG_K[idx]:
            return x, s0, s1, s2, s3
        if idx == 0:  # the tail beyond r
            while True:
                w, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                xx = -math.log(1.0 - np.float64(w >> _U(11)) * _INV53) / _ZIG_R
                w, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                yy = -math.log(1.0 - np.float64(w >> _U(11)) * _INV53)
                if yy + yy > xx * xx:
                    x = -(_ZIG_R + xx) if sign else _ZIG_R + xx
                    return x, s0, s1, s2, s3
        w, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        u = np.float64(w >> _U(11)) * _INV53
        if ZIG_F[idx] + u * (ZIG_F[idx - 1] - ZIG_F[idx]) < math.exp(-0.5 * x * x):
            return x, s0, s1, s2, s3
        r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)


@numba.njit(inline="always", **_JIT)
def _normal(r, s0, s1, s2, s3):
    """Standard normal deviate from the word ``r`` (fast test inline). (x, new state)."""
    idx = np.intp(r & _U(0xFF))
    rabs = (r >> _U(9)) & _U(_MASK52)
    if rabs < ZIG_K[idx]:
        x = np.float64(rabs) * ZIG_W[idx]
        return (-x if (r >> _U(8)) & _U(1) else x), s0, s1, s2, s3
    return _normal_slow(r, s0, s1, s2, s3)


@numba.njit(**_JIT)
def _gamma(a, s0, s1, s2, s3):
    """Gamma deviate of shape ``a`` > 0, unit scale (Marsaglia–Tsang). (g, new state)."""
    boost = 1.0
    if a < 1.0:
        w, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        boost = (1.0 - np.float64(w >> _U(11)) * _INV53) ** (1.0 / a)
        a += 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        w, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        x, s0, s1, s2, s3 = _normal(w, s0, s1, s2, s3)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        w, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
        u = 1.0 - np.float64(w >> _U(11)) * _INV53
        if u < 1.0 - 0.0331 * (x * x) * (x * x):
            return d * v * boost, s0, s1, s2, s3
        if math.log(u) < 0.5 * x * x + d * (1.0 - v + math.log(v)):
            return d * v * boost, s0, s1, s2, s3


@numba.njit(inline="always", **_JIT)
def _charge(lam, mean, msq, shape, scale, r, s0, s1, s2, s3):
    """Charge of the depositing photons of one cell, ``lam`` expected (see frame.py):
    the cell's word ``r`` gives its normal deviate or its Poisson count (inversion
    of the distribution function), the state the rare extra words (ziggurat rejections,
    gamma totals). Returns (charge, new state)."""
    if lam >= EXACT_BELOW_PHOTONS:  # the common case first
        x, s0, s1, s2, s3 = _normal(r, s0, s1, s2, s3)
        q = x * math.sqrt(lam * msq) + lam * mean
        return (q if q > 0.0 else 0.0), s0, s1, s2, s3
    if lam <= 0.0:
        return 0.0, s0, s1, s2, s3
    u = np.float64(r >> _U(11)) * _INV53
    p = math.exp(-lam)
    cdf = p
    # Inversion: n = the first k whose partial sum cdf_k reaches u. The first
    # _POISSON_UNROLLED sums are formed without a branch and n counted as the number of
    # them below u (the sums never decrease, so the count is that first k): the same
    # operations and the same n as the plain loop, without its mispredicted exit.
    n = np.intp(u > cdf)
    for k in range(1, _POISSON_UNROLLED + 1):
        p *= lam / k
        cdf += p
        n += np.intp(u > cdf)
    if n > _POISSON_UNROLLED:  # u beyond those sums: the plain loop from there
        n = _POISSON_UNROLLED
        while u > cdf and n < 1000:
            n += 1
            p *= lam / n
            cdf += p
    if n == 0:
        return 0.0, s0, s1, s2, s3
    if shape <= 0.0:  # no spread of the charge per photon
        return n * mean, s0, s1, s2, s3
    g, s0, s1, s2, s3 = _gamma(n * shape, s0, s1, s2, s3)
    return g * scale, s0, s1, s2, s3


@numba.njit(**_JIT)
def sample_flat(lam, gain, out, mean, msq, shape, scale, words, state):
    """``out[i] = charge(lam[i]) · gain[i]`` on flat arrays (``gain`` of size 0: none);
    ``words``: one random word per cell; ``state``: uint64[4] of the extra draws."""
    has_gain = gain.size > 0
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    for i in range(lam.size):
        q, s0, s1, s2, s3 = _charge(np.float64(lam[i]), mean, msq, shape, scale, words[i],
                                    s0, s1, s2, s3)
        if has_gain:
            q *= gain[i]
        out[i] = q


@numba.njit(**_JIT)
def sample_block(out, photons, factor, inter, gain, y0, x0, os_, mean, msq, shape, scale,
                 noise, state):
    """Charge of the cells of one block; returns True if any cell has charge.

    ``photons``: the block's expected incident photons per cell (float32, the block's
    shape) or a 1 × 1 array (the same in every cell); ``factor``: scale × depositing
    fraction; ``inter`` and ``gain``: per-pixel maps of the whole panel (0 × 0: none),
    cell (y0 + i, x0 + j) lying in pixel ((y0 + i) // os_, (x0 + j) // os_) — cells
    beyond the maps get 1. ``state``: uint64[4], the xoshiro256++ state of the block's
    draws (one word per cell for its normal deviate or Poisson count, then the rare extra
    words, in cell order); ``noise`` False: the expected charge.
    """
    ny, nx = out.shape
    one = photons.shape[0] == 1 and photons.shape[1] == 1 and (ny > 1 or nx > 1)
    has_inter = inter.shape[0] > 0
    has_gain = gain.shape[0] > 0
    # pixel column of each cell column (−1: beyond the maps), computed once per block
    pcol = np.empty(nx, dtype=np.intp)
    for j in range(nx):
        pcol[j] = (x0 + j) // os_
    s0, s1, s2, s3 = state[0], state[1], state[2], state[3]
    any_charge = False
    for i in range(ny):
        py = (y0 + i) // os_
        row_inter = has_inter and py < inter.shape[0]
        row_gain = has_gain and py < gain.shape[0]
        for j in range(nx):
            px = pcol[j]
            p = photons[0, 0] if one else photons[i, j]
            la = np.float64(p) * factor
            if row_inter and px < inter.shape[1]:
                la *= inter[py, px]
            if noise:
                r, s0, s1, s2, s3 = _next(s0, s1, s2, s3)
                q, s0, s1, s2, s3 = _charge(la, mean, msq, shape, scale, r, s0, s1, s2, s3)
            else:
                q = la * mean
            if row_gain and px < gain.shape[1]:
                q *= gain[py, px]
            out[i, j] = q
            if q != 0.0:
                any_charge = True
    return any_charge
