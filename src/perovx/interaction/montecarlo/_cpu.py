"""Numba kernels of the Monte Carlo: the physics, shared by the CPU and CUDA back-ends.

Every function below except :func:`run_batches` is a *device function*: written in the
subset of Python that both ``numba.njit`` and ``numba.cuda.jit(device=True)`` compile
(scalars, ``math``, indexing of arrays passed in; no allocation, no exceptions).
:mod:`._cuda` recompiles their Python source for the GPU, replacing only
:func:`tally_add` by an atomic add. The tables arrive packed in two flat arrays ``F``
(float64) and ``IX`` (int64); the slot names are in ``_layout``.

Random numbers: xoroshiro128+ (Blackman & Vigna 2018). Each history seeds its own state
with splitmix64 from the 128-bit key of its batch and its index in the batch, so a
history's random numbers depend on (seed, batch, index) only — not on the thread that
runs it, nor on the back-end.

Transport of one history (photons only; electrons deposit locally):

* free path from the total cross section of the current layer (mean-free-path counter
  carried across interfaces); lateral faces of finite layers and a vacuum outside them;
* interaction channel chosen from the cumulative table of (element, type) shares;
* photoabsorption: shell from Kissel partial cross sections; the vacancy cascade (K→L by
  radiative lines, Auger and Coster–Kronig), drawn whole from the precomputed cascades
  of ``tables`` (alias method), emits fluorescence photons isotropically, the rest of
  the binding energy is deposited on the spot;
* Compton: Klein–Nishina (Butcher–Messel/EGS4 sampling) rejected with S(x, Z)/Z, or
  with Doppler broadening from shell Compton profiles (impulse approximation);
* Rayleigh: x² sampled from ∫F² d(x²) by inverse CDF, rejected with (1 + cos²θ)/2.

For speed the photon being tracked lives in local variables (the first fluorescence
photon of a cascade carries on in them; further ones wait on a small stack), the hot
functions are inlined, and the CPU kernels run without numba's reference counting.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from perovx.interaction.montecarlo._layout import (
    F_CUT,
    F_DINVDZ,
    F_FPEAK,
    F_GINVDX,
    F_GINVDY,
    F_GINVDZ,
    F_GX0,
    F_GY0,
    F_INVDLOG,
    F_LOGE0,
    F_PHINV,
    F_SRC,
    F_SZ0,
    F_SZINVDT,
    F_WX,
    F_WY,
    I_BINDING,
    I_DOPPLER,
    I_ERANGE,
    I_FLUOR,
    I_GNX,
    I_GNY,
    I_GNZ,
    I_GRID,
    I_MAPN,
    I_MAPNE,
    I_MAPNX,
    I_MAPNY,
    I_NCH,
    I_NE,
    I_NL,
    I_NP,
    I_NPH,
    I_NSH,
    I_NSPEC,
    I_NT,
    I_NU,
    I_NX,
    I_NZ,
    I_SENS,
    I_TDEPTH,
    I_TFIRST,
    I_TLAYER,
    I_TLINES,
    I_TPH,
    INF_EINC,
    INF_ELINES,
    INF_ESC,
    INF_FIRSTL,
    INF_FIRSTZ,
    INF_LINE,
    INF_NK,
    INF_NL,
    INF_OVF,
    KIND_FLUOR_K,
    KIND_FLUOR_L,
    KIND_PRIMARY,
    KIND_SCATTERED,
    MAXDEP,
    MAXST,
    NINFO,
    NTRIG,
    O_CXA,
    O_CXLOC,
    O_CXOFF,
    O_CXP0,
    O_CXPE,
    O_CXPK,
    O_CXQ,
    O_DCUM,
    O_DN,
    O_DPZ,
    O_DU,
    O_GB,
    O_GSH,
    O_LHX,
    O_LHY,
    O_LMAT,
    O_LMU,
    O_LRNG,
    O_LZ0,
    O_LZ1,
    O_MAPCDF,
    O_MCHEL,
    O_MCHTY,
    O_MCUM,
    O_MNCH,
    O_RA,
    O_RAMAX,
    O_RU,
    O_RXFR,
    O_RXIE,
    O_SPA,
    O_SPE,
    O_SPFR,
    O_SPIE,
    O_SPQ,
    O_SPW,
    O_SZ,
    O_TRIG,
    P_E,
    P_FR,
    P_IE,
    P_IN,
    P_KIND,
    P_LAYER,
    P_LINE,
    P_U,
    P_V,
    P_W,
    P_X,
    P_Y,
    P_Z,
    S_DEP,
    S_DEP2,
    S_DEPALL,
    S_EINC,
    S_EINC2,
    S_ERR,
    S_ESC,
    S_KESC,
    S_LESC,
    S_N,
    S_NFIRST,
    S_NFULL,
    S_NINT,
    S_NPOS,
    S_OVF,
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

__all__ = ["DEVICE_FUNCTIONS", "run_batches"]


def _without_nrt() -> dict[str, bool]:
    """``{"_nrt": False}`` where this numba knows that private option, else ``{}``.

    Without reference counting the kernels run ~1.6× faster: the arrays are all owned
    by the caller, and NRT's atomic increments around every inlined call cost more than
    the physics. A numba that drops the option still runs the kernels, only slower.
    """
    try:
        from numba.core.cpu import CPUTargetOptions
    except ImportError:
        return {}
    return {"_nrt": False} if hasattr(CPUTargetOptions, "_nrt") else {}


NO_NRT = _without_nrt()
# Hot functions are inlined at the numba-IR level (``inline="always"``).
_jit = numba.njit(cache=True, nogil=True, error_model="numpy", **NO_NRT)
_jit_inline = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always", **NO_NRT)

INF = math.inf
ELECTRON_REST_KEV = 510.99895
HC_KEV_ANGSTROM = 12.398419843320026
ALPHA_INV = 137.035999084  # m c in atomic units of momentum
INV_2POW53 = 1.0 / 9007199254740992.0
# flags returned by tally_history
FLAG_POS = 1  # energy deposited in the sensitive layer
FLAG_FULL = 2  # in the full-energy peak
FLAG_INT = 4  # the primary interacted
FLAG_FIRST = 8  # ... first in the sensitive layer
FLAG_KESC = 16  # sharp K-escape event
FLAG_LESC = 32  # sharp L-escape event

U64_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
U64_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
U64_MIX2 = np.uint64(0x94D049BB133111EB)
U64_11 = np.uint64(11)
U64_16 = np.uint64(16)
U64_24 = np.uint64(24)
U64_27 = np.uint64(27)
U64_30 = np.uint64(30)
U64_31 = np.uint64(31)
U64_37 = np.uint64(37)
U64_40 = np.uint64(40)


# ------------------------------------------------------------------------ random numbers
@_jit
def splitmix64(z):
    """One step of splitmix64 (Steele, Lea & Flood 2014) on a uint64."""
    z = z + U64_GOLDEN
    z = (z ^ (z >> U64_30)) * U64_MIX1
    z = (z ^ (z >> U64_27)) * U64_MIX2
    return z ^ (z >> U64_31)


@_jit
def rng_seed(st, key0, key1, index):
    """Seed xoroshiro128+ state ``st`` for history ``index`` of the batch keyed (key0, key1)."""
    step = np.uint64(index) * U64_GOLDEN
    a = splitmix64(key0 + step)
    b = splitmix64(key1 + step)
    if a == 0 and b == 0:
        a = U64_GOLDEN
    st[0] = a
    st[1] = b


@_jit
def rng_uniform(st):
    """Next uniform double in [0, 1) from xoroshiro128+ (53 high bits)."""
    s0 = st[0]
    s1 = st[1]
    r = s0 + s1
    s1 = s1 ^ s0
    st[0] = ((s0 << U64_24) | (s0 >> U64_40)) ^ s1 ^ (s1 << U64_16)
    st[1] = (s1 << U64_37) | (s1 >> U64_27)
    return float(r >> U64_11) * INV_2POW53


@_jit_inline
def rng_next(s0, s1):
    """xoroshiro128+ on a state held in two local uint64: (uniform in [0, 1), s0, s1).

    The same generator and stream as :func:`rng_uniform`; the kernels carry the state in
    local variables (registers) instead of reading and writing an array on every draw.
    """
    r = s0 + s1
    s1 = s1 ^ s0
    n0 = ((s0 << U64_24) | (s0 >> U64_40)) ^ s1 ^ (s1 << U64_16)
    n1 = (s1 << U64_37) | (s1 >> U64_27)
    return float(r >> U64_11) * INV_2POW53, n0, n1


# ------------------------------------------------------------------------ helpers
@_jit
def fmin(a, b):
    """Smaller of two floats (builtin min is not available on every target)."""
    return a if a < b else b


@_jit
def fmax(a, b):
    """Larger of two floats."""
    return a if a > b else b


@_jit
def tally_add(arr, k, value):
    """Add ``value`` to ``arr[k]`` (atomic in the CUDA build)."""
    arr[k] += value


@_jit
def energy_index(F, e):
    """Grid index and fraction of energy ``e`` (keV); index clamped to the grid."""
    pos = (math.log(e) - F[F_LOGE0]) * F[F_INVDLOG]
    ie = int(pos)
    return ie, pos - ie


@_jit
def layer_mu(F, IX, layer, ie, fr):
    """Linear attenuation coefficient of ``layer`` at grid position (ie, fr), 1/m."""
    ne = IX[I_NE]
    if ie > ne - 2:
        ie = ne - 2
        fr = 1.0
    k = IX[O_LMU] + layer * ne + ie
    return F[k] + fr * (F[k + 1] - F[k])


@_jit
def inside_layer(F, IX, layer, x, y):
    """Whether (x, y) lies within the lateral extent of ``layer``."""
    return abs(x) <= F[IX[O_LHX] + layer] and abs(y) <= F[IX[O_LHY] + layer]


@_jit_inline
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
    base = IX[O_TRIG] + 2 * k
    c0 = F[base]
    s0 = F[base + 1]
    return c0 * cd - s0 * sd, s0 * cd + c0 * sd


@_jit_inline
def isotropic(F, IX, s0, s1):
    """A direction drawn uniformly on the unit sphere: cos θ uniform, φ uniform."""
    _r0, s0, s1 = rng_next(s0, s1)
    w = 2.0 * _r0 - 1.0
    s = math.sqrt(fmax(0.0, 1.0 - w * w))
    _r0, s0, s1 = rng_next(s0, s1)
    c, sn = cos_sin_turn(F, IX, _r0)
    return s * c, s * sn, w, s0, s1


@_jit
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
@_jit
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


@_jit_inline
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


# ------------------------------------------------------------------------ scattering
@_jit
def sample_klein_nishina(e, s0, s1):
    """Free-electron Compton scattering: (E'/E, cos θ) by the EGS4 mixture method."""
    k = e / ELECTRON_REST_KEV
    eps0 = 1.0 / (1.0 + 2.0 * k)
    eps02 = eps0 * eps0
    a1 = -math.log(eps0)
    a2 = 0.5 * (1.0 - eps02)
    p1 = a1 / (a1 + a2)
    for _ in range(100000):
        _r0, s0, s1 = rng_next(s0, s1)
        if _r0 < p1:
            _r0, s0, s1 = rng_next(s0, s1)
            eps = math.exp(-a1 * _r0)
        else:
            _r0, s0, s1 = rng_next(s0, s1)
            eps = math.sqrt(eps02 + (1.0 - eps02) * _r0)
        t = (1.0 - eps) / (k * eps)
        sin2 = t * (2.0 - t)
        _r0, s0, s1 = rng_next(s0, s1)
        if _r0 <= 1.0 - eps * sin2 / (1.0 + eps * eps):
            return eps, 1.0 - t, s0, s1
    return 1.0, 1.0, s0, s1


@_jit
def s_over_z(F, IX, g, x):
    """Incoherent scattering function S(x, Z)/Z of element ``g`` (x in 1/Å)."""
    nx = IX[I_NX]
    pos = math.sqrt(x) * F[F_SZINVDT]
    j = int(pos)
    if j >= nx - 1:
        return F[IX[O_SZ] + g * nx + nx - 1]
    k = IX[O_SZ] + g * nx + j
    return F[k] + (pos - j) * (F[k + 1] - F[k])


@_jit
def doppler_energy(e, cost, pz_au):
    """Scattered energy for an electron with momentum projection p_z (atomic units)."""
    k = e / ELECTRON_REST_KEV
    inv_tc = 1.0 + k * (1.0 - cost)  # 1 / (E_Compton / E)
    rho = pz_au / ALPHA_INV
    rho2 = rho * rho
    a = inv_tc * inv_tc - rho2
    b = inv_tc - rho2 * cost
    c = 1.0 - rho2
    disc = b * b - a * c
    if a <= 0.0 or disc < 0.0:
        return -1.0
    root = math.sqrt(disc)
    if rho > 0:
        return e * (b + root) / a
    return e * (b - root) / a


@_jit
def sample_compton(F, IX, g, e, s0, s1):
    """Compton scattering on element ``g``: (scattered energy keV, cos θ)."""
    if IX[I_DOPPLER] == 1:
        nsh = IX[I_NSH]
        npz = IX[I_NP]
        nshell = IX[IX[O_DN] + g]
        for _ in range(10000):
            eps, cost, s0, s1 = sample_klein_nishina(e, s0, s1)
            _r0, s0, s1 = rng_next(s0, s1)
            r = _r0
            i = 0
            while i < nshell - 1 and r > F[IX[O_DCUM] + g * nsh + i]:
                i += 1
            ub = F[IX[O_DU] + g * nsh + i]
            if ub >= e:
                continue
            _r0, s0, s1 = rng_next(s0, s1)
            r = _r0
            s = 2.0 * r - 1.0
            pos = abs(s) * (npz - 1)
            j = int(pos)
            if j >= npz - 1:
                j = npz - 2
            kk = IX[O_DPZ] + (g * nsh + i) * npz + j
            pz = F[kk] + (pos - j) * (F[kk + 1] - F[kk])
            if s < 0:
                pz = -pz
            e2 = doppler_energy(e, cost, pz)
            if e2 > 0.0 and e - e2 >= ub:
                return e2, cost, s0, s1
        eps, cost, s0, s1 = sample_klein_nishina(e, s0, s1)
        return eps * e, cost, s0, s1
    if IX[I_BINDING] == 1:
        for _ in range(100000):
            eps, cost, s0, s1 = sample_klein_nishina(e, s0, s1)
            x = math.sqrt(0.5 * (1.0 - cost)) * e / HC_KEV_ANGSTROM
            _r0, s0, s1 = rng_next(s0, s1)
            if _r0 <= s_over_z(F, IX, g, x):
                return eps * e, cost, s0, s1
    eps, cost, s0, s1 = sample_klein_nishina(e, s0, s1)
    return eps * e, cost, s0, s1


@_jit
def sample_rayleigh(F, IX, g, e, ie, s0, s1):
    """cos θ of Rayleigh scattering on element ``g`` at energy ``e`` (grid point ie)."""
    nu = IX[I_NU]
    ne = IX[I_NE]
    if ie > ne - 1:
        ie = ne - 1
    amax = F[IX[O_RAMAX] + g * ne + ie]
    base = IX[O_RA] + g * nu
    ru = IX[O_RU]
    umax = (e / HC_KEV_ANGSTROM) ** 2
    for _ in range(100000):
        _r0, s0, s1 = rng_next(s0, s1)
        a = _r0 * amax
        lo = 0
        hi = nu - 1
        while hi - lo > 1:
            mid = (lo + hi) >> 1
            if F[base + mid] > a:
                hi = mid
            else:
                lo = mid
        da = F[base + hi] - F[base + lo]
        t = (a - F[base + lo]) / da if da > 0 else 0.0
        uu = F[ru + lo] + t * (F[ru + hi] - F[ru + lo])
        cost = 1.0 - 2.0 * uu / umax
        if cost < -1.0:
            cost = -1.0
        _r0, s0, s1 = rng_next(s0, s1)
        if 2.0 * _r0 <= 1.0 + cost * cost:
            return cost, s0, s1
    return 1.0, s0, s1


# ------------------------------------------------------------------------ buffers
@_jit_inline
def push_photon(stack, nst, info, x, y, z, u, v, w, e, kind, line, layer, inside, ie, fr):
    """Put a photon on the stack; returns the new stack size (or the old one if full)."""
    if nst >= MAXST:
        return nst
    stack[nst, P_X] = x
    stack[nst, P_Y] = y
    stack[nst, P_Z] = z
    stack[nst, P_U] = u
    stack[nst, P_V] = v
    stack[nst, P_W] = w
    stack[nst, P_E] = e
    stack[nst, P_KIND] = kind
    stack[nst, P_LINE] = line
    stack[nst, P_LAYER] = layer
    stack[nst, P_IN] = 1.0 if inside else 0.0
    stack[nst, P_IE] = ie
    stack[nst, P_FR] = fr
    return nst + 1


@_jit_inline
def add_deposit(F, IX, s0, s1, dep, ndep, info, x, y, z, e, layer, spread):
    """Record energy ``e`` (keV) deposited at (x, y, z); returns the new deposit count.

    With ``spread`` (the electron-range option) the point moves along an isotropic
    direction by a uniform fraction of the Kanaya–Okayama range of an electron of
    energy ``e``, kept within the layer.
    """
    if e <= 0.0:
        return ndep, s0, s1
    if spread:
        _r0, s0, s1 = rng_next(s0, s1)
        r = F[IX[O_LRNG] + layer] * math.exp(1.67 * math.log(e)) * _r0
        du, dv, dw, s0, s1 = isotropic(F, IX, s0, s1)
        x += r * du
        y += r * dv
        z += r * dw
        z0 = F[IX[O_LZ0] + layer]
        z1 = F[IX[O_LZ1] + layer]
        if z < z0:
            z = z0
        elif z > z1:
            z = z1
        hx = F[IX[O_LHX] + layer]
        hy = F[IX[O_LHY] + layer]
        if x > hx:
            x = hx
        elif x < -hx:
            x = -hx
        if y > hy:
            y = hy
        elif y < -hy:
            y = -hy
    if ndep >= MAXDEP:
        dep[MAXDEP - 1, 3] += e
        info[INF_OVF] += 1.0
        return ndep, s0, s1
    dep[ndep, 0] = x
    dep[ndep, 1] = y
    dep[ndep, 2] = z
    dep[ndep, 3] = e
    dep[ndep, 4] = layer
    return ndep + 1, s0, s1


# ------------------------------------------------------------------------ relaxation
@_jit_inline
def relax(F, IX, s0, s1, g, shell, budget, x, y, z, layer, inside, vac, stack, nst, info):
    """Relax a vacancy in ``shell`` (0 K, 1–3 L1–L3) of element ``g``.

    Returns (energy to deposit on the spot in keV, new stack size, whether a photon was
    emitted, and the first fluorescence photon above the cut-off: direction u, v, w,
    energy keV, kind, line index, grid index and fraction); later photons go on the
    stack. The energy released is exactly ``budget`` (the binding energy of the shell).

    The whole cascade (every transition of this vacancy and of the L vacancies it
    makes) is drawn at once from the precomputed cascades of ``tables`` by the alias
    method: one random number instead of one per transition. ``vac`` is unused (kept
    for the signature shared with the CUDA back-end).
    """
    nt = IX[I_NT]
    o_rxie = IX[O_RXIE]
    o_rxfr = IX[O_RXFR]
    o_pk = IX[O_CXPK]
    o_pe = IX[O_CXPE]
    slot = IX[O_CXOFF] + g * 4 + shell
    first = IX[slot]
    n = IX[slot + 1] - first
    _r0, s0, s1 = rng_next(s0, s1)
    r = _r0 * n
    j = int(r)
    if j >= n:
        j = n - 1
    j += first
    if r - (j - first) >= F[IX[O_CXQ] + j]:
        j = IX[IX[O_CXA] + j]
    local = F[IX[O_CXLOC] + j] + (budget - F[IX[O_GB] + g * 5 + shell])
    got = False  # the first photon is returned, not stacked
    pu = 0.0
    pv = 0.0
    pw = 1.0
    pe = 0.0
    pk = KIND_FLUOR_K
    pline = -1.0
    pie = 0
    pfr = 0.0
    p0 = IX[IX[O_CXP0] + j]
    p1 = IX[IX[O_CXP0] + j + 1]
    for q in range(p0, p1):
        k = IX[o_pk + q]
        eph = F[o_pe + q]
        kind = KIND_FLUOR_K if (k // nt) % 4 == 0 else KIND_FLUOR_L
        if not got:
            pu, pv, pw, s0, s1 = isotropic(F, IX, s0, s1)
            pk = kind
            pe = eph
            pline = float(k)
            pie = IX[o_rxie + k]
            pfr = F[o_rxfr + k]
            got = True
        elif nst < MAXST:
            u, v, w, s0, s1 = isotropic(F, IX, s0, s1)
            nst = push_photon(
                stack, nst, info, x, y, z, u, v, w, eph, kind, float(k), layer,
                inside, float(IX[o_rxie + k]), F[o_rxfr + k],
            )
        else:
            local += eph
            info[INF_OVF] += 1.0
    return local, nst, got, pu, pv, pw, pe, pk, pline, pie, pfr, s0, s1


# ------------------------------------------------------------------------ one history
@_jit_inline
def escape(info, face, kind, e):
    """Book a photon of energy ``e`` leaving the stack by ``face`` (0 front, 1 back, 2 side)."""
    cls = 0
    if kind == KIND_SCATTERED:
        cls = 1
    elif kind >= KIND_FLUOR_K:
        cls = 2
    info[INF_ESC + face * 3 + cls] += e


@_jit_inline
def left_sensitive(info, kind, e, line):
    """Book a fluorescence photon leaving the sensitive layer (for the escape peaks)."""
    if kind == KIND_FLUOR_K:
        info[INF_NK] += 1.0
        info[INF_ELINES] += e
        info[INF_LINE] = line
    elif kind == KIND_FLUOR_L:
        info[INF_NL] += 1.0
        info[INF_ELINES] += e
        info[INF_LINE] = line


@_jit_inline
def cross_z_face(F, IX, info, layer, nl, x, y, w, z0, z1, kind, e):
    """Move a photon on the face z0 or z1 of ``layer`` (direction cosine ``w``) into the
    next layer, or book it as leaving the stack by the front or back face.

    Returns (new layer, z, still alive, inside the new layer's lateral extent).
    """
    if w > 0.0:
        layer += 1
        if layer >= nl:
            escape(info, 1, kind, e)
            return layer, z1, False, False
        return layer, z1, True, inside_layer(F, IX, layer, x, y)
    layer -= 1
    if layer < 0:
        escape(info, 0, kind, e)
        return layer, z0, False, False
    return layer, z0, True, inside_layer(F, IX, layer, x, y)


@_jit_inline
def simulate_history(F, IX, st, stack, vac, dep, info):
    """Transport one source photon and all its secondaries; returns the deposit count.

    Fills ``dep[:n]`` with (x, y, z, energy keV, layer) and ``info`` with the escapes,
    the incident energy and the first interaction of the primary.
    """
    for k in range(NINFO):
        info[k] = 0.0
    info[INF_FIRSTL] = -1.0
    info[INF_LINE] = -1.0
    nl = IX[I_NL]
    sens = IX[I_SENS]
    ne = IX[I_NE]
    nch_max = IX[I_NCH]
    cut = F[F_CUT]
    wx = F[F_WX]
    wy = F[F_WY]
    fluor = IX[I_FLUOR] == 1
    erange = IX[I_ERANGE] == 1
    o_lz0 = IX[O_LZ0]
    o_lz1 = IX[O_LZ1]
    o_lhx = IX[O_LHX]
    o_lhy = IX[O_LHY]
    o_lmu = IX[O_LMU]
    o_lmat = IX[O_LMAT]
    o_mnch = IX[O_MNCH]
    o_mcum = IX[O_MCUM]
    o_mchel = IX[O_MCHEL]
    o_mchty = IX[O_MCHTY]
    o_gsh = IX[O_GSH]
    o_gb = IX[O_GB]
    s0 = st[0]
    s1 = st[1]
    x, y, z, u, v, w, e, ie, fr, s0, s1 = sample_source(F, IX, s0, s1)
    info[INF_EINC] = e
    ndep = 0
    nst = 0
    kind = KIND_PRIMARY
    line = -1.0
    layer = 0
    inside = inside_layer(F, IX, 0, x, y)
    while True:
        # the current photon is in (x … fr); the others wait on the stack
        _r0, s0, s1 = rng_next(s0, s1)
        nmfp = -math.log(1.0 - _r0)
        alive = True
        while alive:
            z0 = F[o_lz0 + layer]
            z1 = F[o_lz1 + layer]
            hx = F[o_lhx + layer]
            hy = F[o_lhy + layer]
            dz = INF
            if w > 0.0:
                dz = (z1 - z) / w
            elif w < 0.0:
                dz = (z0 - z) / w
            if inside:
                d = dz
                which = 0
                if hx < INF:
                    dx = INF
                    if u > 0.0:
                        dx = (hx - x) / u
                    elif u < 0.0:
                        dx = (-hx - x) / u
                    if dx < d:
                        d = dx
                        which = 1
                if hy < INF:
                    dy = INF
                    if v > 0.0:
                        dy = (hy - y) / v
                    elif v < 0.0:
                        dy = (-hy - y) / v
                    if dy < d:
                        d = dy
                        which = 2
                if ie > ne - 2:
                    km = o_lmu + layer * ne + ne - 2
                    mu = F[km + 1]
                else:
                    km = o_lmu + layer * ne + ie
                    mu = F[km] + fr * (F[km + 1] - F[km])
                if mu > 0.0 and nmfp < mu * d:
                    # ---------------------------------------------- interaction
                    s = nmfp / mu
                    x += s * u
                    y += s * v
                    z += s * w
                    if kind == KIND_PRIMARY and info[INF_FIRSTL] < 0.0:
                        info[INF_FIRSTL] = layer
                        info[INF_FIRSTZ] = z
                    m = IX[o_lmat + layer]
                    ien = ie + 1 if fr >= 0.5 else ie
                    if ien > ne - 1:
                        ien = ne - 1
                    nch = IX[o_mnch + m]
                    cbase = o_mcum + (m * ne + ien) * nch_max
                    _r0, s0, s1 = rng_next(s0, s1)
                    r = _r0
                    c = 0
                    while c < nch - 1 and r > F[cbase + c]:
                        c += 1
                    g = IX[o_mchel + m * nch_max + c]
                    typ = IX[o_mchty + m * nch_max + c]
                    if typ == 0:
                        # photoabsorption
                        local = e
                        got = False
                        if fluor:
                            _r0, s0, s1 = rng_next(s0, s1)
                            r = _r0
                            sb = o_gsh + (g * ne + ien) * 4
                            sh = 0
                            while sh < 4 and r > F[sb + sh]:
                                sh += 1
                            if sh < 4:
                                b = F[o_gb + g * 5 + sh]
                                if 0.0 < b < e:
                                    (add, nst, got, pu, pv, pw, pe, pk, pline, pie,
                                     pfr, s0, s1) = relax(F, IX, s0, s1, g, sh, b, x, y, z,
                                                          layer, inside, vac, stack, nst,
                                                          info)
                                    local = e - b + add
                        ndep, s0, s1 = add_deposit(
                            F, IX, s0, s1, dep, ndep, info, x, y, z, local, layer, erange
                        )
                        if got:
                            # go on with the first fluorescence photon from this point
                            u = pu
                            v = pv
                            w = pw
                            e = pe
                            kind = pk
                            line = pline
                            ie = pie
                            fr = pfr
                            _r0, s0, s1 = rng_next(s0, s1)
                            nmfp = -math.log(1.0 - _r0)
                        else:
                            alive = False
                    elif typ == 1:
                        # Compton scattering
                        e2, cost, s0, s1 = sample_compton(F, IX, g, e, s0, s1)
                        local = e - e2
                        if e2 < cut:
                            local = e
                            alive = False
                        ndep, s0, s1 = add_deposit(
                            F, IX, s0, s1, dep, ndep, info, x, y, z, local, layer, erange
                        )
                        if alive:
                            u, v, w, s0, s1 = rotate(F, IX, u, v, w, cost, s0, s1)
                            e = e2
                            ie, fr = energy_index(F, e)
                            kind = KIND_SCATTERED
                            _r0, s0, s1 = rng_next(s0, s1)
                            nmfp = -math.log(1.0 - _r0)
                    else:
                        # Rayleigh scattering
                        cost, s0, s1 = sample_rayleigh(F, IX, g, e, ien, s0, s1)
                        u, v, w, s0, s1 = rotate(F, IX, u, v, w, cost, s0, s1)
                        if kind == KIND_PRIMARY:
                            kind = KIND_SCATTERED
                        _r0, s0, s1 = rng_next(s0, s1)
                        nmfp = -math.log(1.0 - _r0)
                    continue
                # ---------------------------------------------- to a boundary
                if d == INF:
                    escape(info, 2, kind, e)
                    if layer == sens:
                        left_sensitive(info, kind, e, line)
                    alive = False
                    continue
                if mu > 0.0:
                    nmfp -= mu * d
                x += d * u
                y += d * v
                z += d * w
                if which == 0:
                    if layer == sens:
                        left_sensitive(info, kind, e, line)
                    layer, z, alive, inside = cross_z_face(F, IX, info, layer, nl, x, y, w,
                                                           z0, z1, kind, e)
                else:
                    if which == 1:
                        x = hx if u > 0.0 else -hx
                    else:
                        y = hy if v > 0.0 else -hy
                    inside = False
                    if layer == sens:
                        left_sensitive(info, kind, e, line)
            else:
                # ------------------------------------ vacuum beside a finite layer
                if abs(x) > wx or abs(y) > wy:
                    escape(info, 2, kind, e)  # outside the world: nothing to meet
                    alive = False
                    continue
                dwall = INF
                if u > 0.0:
                    dwall = (wx - x) / u
                elif u < 0.0:
                    dwall = (-wx - x) / u
                if v > 0.0:
                    dwall = fmin(dwall, (wy - y) / v)
                elif v < 0.0:
                    dwall = fmin(dwall, (-wy - y) / v)
                if dwall < 0.0:
                    dwall = 0.0
                # entry into the layer's box through a lateral face
                tmin = -INF
                tmax = INF
                if u != 0.0:
                    t1 = (-hx - x) / u
                    t2 = (hx - x) / u
                    tmin = fmax(tmin, fmin(t1, t2))
                    tmax = fmin(tmax, fmax(t1, t2))
                elif abs(x) > hx:
                    tmax = -INF
                if v != 0.0:
                    t1 = (-hy - y) / v
                    t2 = (hy - y) / v
                    tmin = fmax(tmin, fmin(t1, t2))
                    tmax = fmin(tmax, fmax(t1, t2))
                elif abs(y) > hy:
                    tmax = -INF
                tenter = INF
                if tmax > 0.0 and tmax > tmin:
                    tenter = tmin if tmin > 0.0 else 0.0
                d = fmin(dz, fmin(dwall, tenter))
                if d == INF or (d == dwall and d < dz and d < tenter):
                    if d != INF:
                        x += d * u
                        y += d * v
                        z += d * w
                    escape(info, 2, kind, e)
                    alive = False
                    continue
                x += d * u
                y += d * v
                z += d * w
                if d == tenter and tenter < dz:
                    inside = True
                    continue
                layer, z, alive, inside = cross_z_face(F, IX, info, layer, nl, x, y, w, z0, z1,
                                                       kind, e)
        if nst == 0:
            break
        nst -= 1
        x = stack[nst, P_X]
        y = stack[nst, P_Y]
        z = stack[nst, P_Z]
        u = stack[nst, P_U]
        v = stack[nst, P_V]
        w = stack[nst, P_W]
        e = stack[nst, P_E]
        kind = int(stack[nst, P_KIND])
        line = stack[nst, P_LINE]
        layer = int(stack[nst, P_LAYER])
        inside = stack[nst, P_IN] > 0.5
        ie = int(stack[nst, P_IE])
        fr = stack[nst, P_FR]
    st[0] = s0
    st[1] = s1
    return ndep


# ------------------------------------------------------------------------ tallies
@_jit_inline
def tally_history(F, IX, dep, ndep, info, acc, small, big):
    """Add one history to the tallies ``small`` and ``big`` and the rare statistics in ``acc``.

    Returns (incident energy, energy in the sensitive layer, energy in the stack, flags
    (FLAG_*), |energy-conservation error|) for the caller to sum in scalars.
    """
    sens = IX[I_SENS]
    e_inc = info[INF_EINC]
    e_sens = 0.0
    e_all = 0.0
    nz = IX[I_NZ]
    z0s = F[F_SZ0]
    inv_dz = F[F_DINVDZ]
    t_layer = IX[I_TLAYER]
    t_depth = IX[I_TDEPTH]
    grid = IX[I_GRID] == 1
    several = IX[I_NL] > 1
    for k in range(ndep):
        e = dep[k, 3]
        layer = int(dep[k, 4])
        e_all += e
        if several:
            tally_add(small, t_layer + layer, e)
        if layer == sens:
            e_sens += e
            zz = dep[k, 2] - z0s
            zb = int(zz * inv_dz)
            if zb < 0:
                zb = 0
            elif zb >= nz:
                zb = nz - 1
            tally_add(small, t_depth + zb, e)
            if grid:
                fx = (dep[k, 0] - F[F_GX0]) * F[F_GINVDX]
                fy = (dep[k, 1] - F[F_GY0]) * F[F_GINVDY]
                gnx = IX[I_GNX]
                gny = IX[I_GNY]
                gnz = IX[I_GNZ]
                if fx >= 0.0 and fy >= 0.0 and fx < gnx and fy < gny:
                    iz = int(zz * F[F_GINVDZ])
                    if iz < 0:
                        iz = 0
                    elif iz >= gnz:
                        iz = gnz - 1
                    tally_add(big, (iz * gny + int(fy)) * gnx + int(fx), e)
    if not several and e_all > 0.0:
        tally_add(small, t_layer, e_all)
    flags = 0
    if e_sens > 0.0:
        flags |= FLAG_POS
        nph = IX[I_NPH]
        b = int(e_sens * F[F_PHINV])
        if b >= nph:
            b = nph - 1
        tally_add(small, IX[I_TPH] + b, 1.0)
        if e_sens >= F[F_FPEAK] * e_inc:
            flags |= FLAG_FULL
    first = int(info[INF_FIRSTL])
    if first >= 0:
        flags |= FLAG_INT
        if first == sens:
            flags |= FLAG_FIRST
            zb = int((info[INF_FIRSTZ] - z0s) * inv_dz)
            if zb < 0:
                zb = 0
            elif zb >= nz:
                zb = nz - 1
            tally_add(small, IX[I_TFIRST] + zb, 1.0)
    esc = 0.0
    if e_all < e_inc:
        for k in range(9):
            ek = info[INF_ESC + k]
            if ek > 0.0:
                esc += ek
                acc[S_ESC + k] += ek
        nk = info[INF_NK]
        nlines = nk + info[INF_NL]
        if nlines > 0.0 and abs(e_inc - e_sens - info[INF_ELINES]) <= 1e-9 * e_inc:
            if nk == 1.0:
                flags |= FLAG_KESC
            elif nk == 0.0:
                flags |= FLAG_LESC
            if nlines == 1.0:
                tally_add(small, IX[I_TLINES] + int(info[INF_LINE]), 1.0)
    if info[INF_OVF] > 0.0:
        acc[S_OVF] += info[INF_OVF]
    return e_inc, e_sens, e_all, flags, abs(e_inc - e_all - esc)


@_jit_inline
def add_history_stats(acc, n, s_einc, s_einc2, s_dep, s_dep2, s_depall, c_pos, c_full,
                      c_int, c_first, c_k, c_l, err_max):
    """Add the per-history sums kept in scalars by the kernels to the statistics ``acc``."""
    acc[S_N] += n
    acc[S_EINC] += s_einc
    acc[S_EINC2] += s_einc2
    acc[S_DEP] += s_dep
    acc[S_DEP2] += s_dep2
    acc[S_DEPALL] += s_depall
    acc[S_NPOS] += c_pos
    acc[S_NFULL] += c_full
    acc[S_NINT] += c_int
    acc[S_NFIRST] += c_first
    acc[S_KESC] += c_k
    acc[S_LESC] += c_l
    if err_max > acc[S_ERR]:
        acc[S_ERR] = err_max


#: Device functions shared with the CUDA back-end, in dependency order.
DEVICE_FUNCTIONS = (
    "splitmix64",
    "rng_seed",
    "rng_uniform",
    "rng_next",
    "fmin",
    "fmax",
    "tally_add",
    "energy_index",
    "layer_mu",
    "inside_layer",
    "cos_sin_turn",
    "isotropic",
    "rotate",
    "sample_cdf",
    "sample_source",
    "sample_klein_nishina",
    "s_over_z",
    "doppler_energy",
    "sample_compton",
    "sample_rayleigh",
    "push_photon",
    "add_deposit",
    "relax",
    "escape",
    "left_sensitive",
    "cross_z_face",
    "simulate_history",
    "tally_history",
    "add_history_stats",
)


@numba.njit(cache=True, parallel=True, error_model="numpy", **NO_NRT)
def run_batches(F, IX, keys, nhist, stats, small, big, rng, stack, vac, dep, info):
    """Run batches ``b`` of ``nhist[b]`` histories each, one thread per batch.

    ``keys[b]`` is the 128-bit RNG key of batch ``b``; the tallies of batch ``b`` go to
    ``stats[b]``, ``small[b]`` and ``big[b]`` (zeroed here), so the result does not
    depend on how batches are spread over threads. ``rng``, ``stack``, ``vac``, ``dep``
    and ``info`` are per-batch work buffers (first axis: batch).
    """
    nb = nhist.shape[0]
    for b in prange(nb):
        st = rng[b]
        acc = stats[b]
        sm = small[b]
        bg = big[b]
        for k in range(acc.shape[0]):
            acc[k] = 0.0
        for k in range(sm.shape[0]):
            sm[k] = 0.0
        for k in range(bg.shape[0]):
            bg[k] = 0.0
        s_einc = 0.0
        s_einc2 = 0.0
        s_dep = 0.0
        s_dep2 = 0.0
        s_depall = 0.0
        c_pos = 0
        c_full = 0
        c_int = 0
        c_first = 0
        c_k = 0
        c_l = 0
        err_max = 0.0
        for j in range(nhist[b]):
            rng_seed(st, keys[b, 0], keys[b, 1], j)
            ndep = simulate_history(F, IX, st, stack[b], vac[b], dep[b], info[b])
            e_inc, e_sens, e_all, flags, err = tally_history(
                F, IX, dep[b], ndep, info[b], acc, sm, bg
            )
            s_einc += e_inc
            s_einc2 += e_inc * e_inc
            s_dep += e_sens
            s_dep2 += e_sens * e_sens
            s_depall += e_all
            c_pos += flags & FLAG_POS
            c_full += (flags & FLAG_FULL) >> 1
            c_int += (flags & FLAG_INT) >> 2
            c_first += (flags & FLAG_FIRST) >> 3
            c_k += (flags & FLAG_KESC) >> 4
            c_l += (flags & FLAG_LESC) >> 5
            if err > err_max:
                err_max = err
        add_history_stats(acc, float(nhist[b]), s_einc, s_einc2, s_dep, s_dep2, s_depall,
                          float(c_pos), float(c_full), float(c_int), float(c_first),
                          float(c_k), float(c_l), err_max)
