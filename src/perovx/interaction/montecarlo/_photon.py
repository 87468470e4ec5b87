"""Device functions for a photon's state: energy-grid lookup, layer attenuation,
directions (isotropic, rotation) and the source (entry point, direction, energy).
"""

from __future__ import annotations

import math

from ._compile import device_jit, fmax, inline_jit, uidx
from ._layout import (
    F_INVDLOG,
    F_LOGE0,
    F_SRC,
    I_MAPN,
    I_MAPNE,
    I_MAPNX,
    I_MAPNY,
    I_NSPEC,
    NTRIG,
    O_LHX,
    O_LHY,
    O_MAPCDF,
    O_SPA,
    O_SPE,
    O_SPFR,
    O_SPIE,
    O_SPQ,
    O_SPW,
    O_TRIG,
    SRC_COSMAX,
    SRC_HX,
    SRC_HY,
    SRC_PX,
    SRC_PY,
    SRC_PZ,
    SRC_TYPE,
    SRC_U,
    SRC_V,
    SRC_W,
    SRC_X,
    SRC_Y,
)
from ._rng import rng_next

__all__ = ["cos_sin_turn", "energy_index", "inside_layer", "isotropic", "layer_mu",
    "rotate", "sample_cdf", "sample_source"]


@device_jit
def energy_index(F, e):
    """Grid index and fraction of energy ``e`` (keV); index clamped to the grid."""
    pos = (math.log(e) - F[F_LOGE0]) * F[F_INVDLOG]
    ie = int(pos)
    return ie, pos - ie


@inline_jit
def layer_mu(F, o_lmu, ne, layer, ie, fr):
    """Linear attenuation coefficient of ``layer`` at grid position (ie, fr), 1/m.

    ``o_lmu`` is ``IX[O_LMU]`` and ``ne`` the energy-grid size ``IX[I_NE]`` (the history
    holds both in locals); at the top of the grid the last value itself.
    """
    if ie > ne - 2:
        return F[uidx(o_lmu + layer * ne + ne - 1)]
    km = uidx(o_lmu + layer * ne + ie)
    return F[km] + fr * (F[km + 1] - F[km])


@device_jit
def inside_layer(F, IX, layer, x, y):
    """Whether (x, y) lies within the lateral extent of ``layer``."""
    return abs(x) <= F[uidx(IX[O_LHX] + layer)] and abs(y) <= F[uidx(IX[O_LHY] + layer)]


@inline_jit
def cos_sin_turn(F, IX, t):
    """(cos 2πt, sin 2πt) for t in [0, 1): table of NTRIG angles and a Taylor step.

    The step δ < 2π/NTRIG = 0.025 rad; the series to δ⁴ and δ⁵ is exact to 10⁻¹³.
    """
    pos = t * NTRIG
    k = int(pos)
    if k >= NTRIG:
        k = NTRIG - 1
    d = (pos - k) * (2.0 * math.pi / NTRIG)
    d2 = d * d
    cd = 1.0 - d2 * (0.5 - d2 * (1.0 / 24.0))
    sd = d * (1.0 - d2 * (1.0 / 6.0 - d2 * (1.0 / 120.0)))
    base = uidx(IX[O_TRIG] + 2 * k)
    c0 = F[base]
    s0 = F[base + 1]
    return c0 * cd - s0 * sd, s0 * cd + c0 * sd


@inline_jit
def isotropic(F, IX, s0, s1):
    """A direction drawn uniformly on the unit sphere: cos θ uniform, φ uniform."""
    _r0, s0, s1 = rng_next(s0, s1)
    w = 2.0 * _r0 - 1.0
    s = math.sqrt(fmax(0.0, 1.0 - w * w))
    _r0, s0, s1 = rng_next(s0, s1)
    c, sn = cos_sin_turn(F, IX, _r0)
    return s * c, s * sn, w, s0, s1


@device_jit
def rotate(F, IX, u, v, w, cost, s0, s1):
    """Turn direction (u, v, w) by polar angle acos(cost) and a uniform azimuth."""
    sint = math.sqrt(fmax(0.0, 1.0 - cost * cost))
    _r0, s0, s1 = rng_next(s0, s1)
    cphi, sphi = cos_sin_turn(F, IX, _r0)
    rho2 = u * u + v * v
    if rho2 > 1e-20:
        rho = math.sqrt(rho2)
        c = sint / rho
        un = u * cost + c * (u * w * cphi - v * sphi)
        vn = v * cost + c * (v * w * cphi + u * sphi)
        wn = w * cost - sint * cphi * rho
    else:
        un = sint * cphi
        vn = sint * sphi
        wn = cost if w > 0 else -cost
    norm = 1.0 / math.sqrt(un * un + vn * vn + wn * wn)
    return un * norm, vn * norm, wn * norm, s0, s1


# ------------------------------------------------------------------------ source
@device_jit
def sample_cdf(F, offset, n, r):
    """Index i of the cumulative table ``cdf = F[offset:offset + n]`` (last entry 1).

    Returns the i with cdf[i−1] <= r < cdf[i] by binary search: entries of zero
    probability (cdf[i] = cdf[i−1]) are never returned.
    """
    lo = 0
    hi = n - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if F[offset + mid] > r:
            hi = mid
        else:
            lo = mid + 1
    return lo


@inline_jit
def sample_source(F, IX, s0, s1):
    """Entry point on z = 0, direction, energy (keV) and its grid position."""
    typ = int(F[F_SRC + SRC_TYPE])
    n = IX[I_NSPEC]
    cell = -1
    if typ == 3 and IX[I_MAPNE] > 0:
        # fluence map with a spectrum per cell: (line, cell) drawn jointly
        ncell = IX[I_MAPNX] * IX[I_MAPNY]
        _r0, s0, s1 = rng_next(s0, s1)
        j = sample_cdf(F, IX[O_MAPCDF], IX[I_MAPN], _r0)
        k = j // ncell
        cell = j - k * ncell
    elif n == 1:
        k = 0
    else:
        _r0, s0, s1 = rng_next(s0, s1)
        r = _r0 * n
        k = int(r)
        if k >= n:
            k = n - 1
        if r - k >= F[IX[O_SPQ] + k]:
            k = IX[IX[O_SPA] + k]
    e = F[IX[O_SPE] + k]
    width = F[IX[O_SPW] + k]
    if width > 0.0:
        _r0, s0, s1 = rng_next(s0, s1)
        e += (_r0 - 0.5) * width
        ie, fr = energy_index(F, e)
    else:
        ie = IX[IX[O_SPIE] + k]
        fr = F[IX[O_SPFR] + k]
    x = F[F_SRC + SRC_X]
    y = F[F_SRC + SRC_Y]
    u = F[F_SRC + SRC_U]
    v = F[F_SRC + SRC_V]
    w = F[F_SRC + SRC_W]
    if typ == 1:
        _r0, s0, s1 = rng_next(s0, s1)
        x += (2.0 * _r0 - 1.0) * F[F_SRC + SRC_HX]
        _r0, s0, s1 = rng_next(s0, s1)
        y += (2.0 * _r0 - 1.0) * F[F_SRC + SRC_HY]
    elif typ == 3:
        if cell < 0:
            _r0, s0, s1 = rng_next(s0, s1)
            cell = sample_cdf(F, IX[O_MAPCDF], IX[I_MAPN], _r0)
        mnx = IX[I_MAPNX]
        iy = cell // mnx
        ix = cell - iy * mnx
        hx = F[F_SRC + SRC_HX]
        hy = F[F_SRC + SRC_HY]
        _r0, s0, s1 = rng_next(s0, s1)
        x += (2.0 * (ix + _r0) / mnx - 1.0) * hx
        _r0, s0, s1 = rng_next(s0, s1)
        y += (2.0 * (iy + _r0) / IX[I_MAPNY] - 1.0) * hy
    elif typ == 2:
        px = F[F_SRC + SRC_PX]
        py = F[F_SRC + SRC_PY]
        pz = F[F_SRC + SRC_PZ]
        cmax3 = F[F_SRC + SRC_COSMAX] ** 3
        x0 = x
        y0 = y
        dx = 0.0
        dy = 0.0
        d = -pz
        for _ in range(100000):
            _r0, s0, s1 = rng_next(s0, s1)
            x = x0 + (2.0 * _r0 - 1.0) * F[F_SRC + SRC_HX]
            _r0, s0, s1 = rng_next(s0, s1)
            y = y0 + (2.0 * _r0 - 1.0) * F[F_SRC + SRC_HY]
            dx = x - px
            dy = y - py
            d = math.sqrt(dx * dx + dy * dy + pz * pz)
            c = -pz / d
            _r0, s0, s1 = rng_next(s0, s1)
            if _r0 * cmax3 <= c * c * c:
                break
        u = dx / d
        v = dy / d
        w = -pz / d
    return x, y, 0.0, u, v, w, e, ie, fr, s0, s1
