"""Device functions sampling photon scattering: Compton (Klein–Nishina, bound with
S(x, Z)/Z or Doppler-broadened from shell Compton profiles) and Rayleigh.
"""

from __future__ import annotations

import math

from ._compile import device_jit
from ._layout import (
    F_SZINVDT,
    I_BINDING,
    I_DOPPLER,
    I_NE,
    I_NP,
    I_NSH,
    I_NU,
    I_NX,
    NRG,
    O_DCUM,
    O_DN,
    O_DPZ,
    O_DU,
    O_RA,
    O_RAMAX,
    O_RG,
    O_RGS,
    O_RU,
    O_SZ,
)
from ._rng import rng_next

__all__ = ["doppler_energy", "s_over_z", "sample_compton", "sample_klein_nishina",
    "sample_rayleigh"]

ELECTRON_REST_KEV = 510.99895
HC_KEV_ANGSTROM = 12.398419843320026
ALPHA_INV = 137.035999084  # m c in atomic units of momentum


# ------------------------------------------------------------------------ scattering
@device_jit
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


@device_jit
def s_over_z(F, IX, g, x):
    """Incoherent scattering function S(x, Z)/Z of element ``g`` (x in 1/Å)."""
    nx = IX[I_NX]
    pos = math.sqrt(x) * F[F_SZINVDT]
    j = int(pos)
    if j >= nx - 1:
        return F[IX[O_SZ] + g * nx + nx - 1]
    k = IX[O_SZ] + g * nx + j
    return F[k] + (pos - j) * (F[k + 1] - F[k])


@device_jit
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


@device_jit
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


@device_jit
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
    guide = IX[O_RG] + g * NRG
    gscale = F[IX[O_RGS] + g]
    for _ in range(100000):
        _r0, s0, s1 = rng_next(s0, s1)
        a = _r0 * amax
        # the last lo <= nu - 2 with F[base + lo] <= a, walked to from the guide table
        k = int(a * gscale)
        if k >= NRG:
            k = NRG - 1
        lo = IX[guide + k]
        while lo < nu - 2 and F[base + lo + 1] <= a:
            lo += 1
        while lo > 0 and F[base + lo] > a:
            lo -= 1
        hi = lo + 1
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
