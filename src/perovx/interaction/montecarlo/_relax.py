"""Device functions for what photoabsorption leaves behind: energy deposits, the
relaxation cascade of the vacancy (alias tables of whole cascades) and the photon stack.
"""

from __future__ import annotations

import math

from ._compile import inline_jit, uidx
from ._layout import (
    I_NT,
    INF_OVF,
    KIND_FLUOR_K,
    KIND_FLUOR_L,
    MAXDEP,
    MAXST,
    O_CXA,
    O_CXLOC,
    O_CXOFF,
    O_CXP0,
    O_CXPE,
    O_CXPK,
    O_CXQ,
    O_GB,
    O_LHX,
    O_LHY,
    O_LRNG,
    O_LZ0,
    O_LZ1,
    O_RXFR,
    O_RXIE,
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
)
from ._photon import isotropic
from ._rng import rng_next

__all__ = ["add_deposit", "push_photon", "relax"]


# ------------------------------------------------------------------------ buffers
@inline_jit
def push_photon(stack, nst, info, x, y, z, u, v, w, e, kind, line, layer, inside, ie, fr):
    """Put a photon on the stack; returns the new stack size (or the old one if full)."""
    if nst >= MAXST:
        return nst
    top = uidx(nst)
    stack[top, P_X] = x
    stack[top, P_Y] = y
    stack[top, P_Z] = z
    stack[top, P_U] = u
    stack[top, P_V] = v
    stack[top, P_W] = w
    stack[top, P_E] = e
    stack[top, P_KIND] = kind
    stack[top, P_LINE] = line
    stack[top, P_LAYER] = layer
    stack[top, P_IN] = 1.0 if inside else 0.0
    stack[top, P_IE] = ie
    stack[top, P_FR] = fr
    return nst + 1


@inline_jit
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
    row = uidx(ndep)
    dep[row, 0] = x
    dep[row, 1] = y
    dep[row, 2] = z
    dep[row, 3] = e
    dep[row, 4] = layer
    return ndep + 1, s0, s1


# ------------------------------------------------------------------------ relaxation
@inline_jit
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
    first = IX[uidx(slot)]
    n = IX[uidx(slot + 1)] - first
    _r0, s0, s1 = rng_next(s0, s1)
    r = _r0 * n
    j = int(r)
    if j >= n:
        j = n - 1
    j += first
    if r - (j - first) >= F[uidx(IX[O_CXQ] + j)]:
        j = IX[uidx(IX[O_CXA] + j)]
    local = F[uidx(IX[O_CXLOC] + j)] + (budget - F[uidx(IX[O_GB] + g * 5 + shell)])
    got = False  # the first photon is returned, not stacked
    pu = 0.0
    pv = 0.0
    pw = 1.0
    pe = 0.0
    pk = KIND_FLUOR_K
    pline = -1.0
    pie = 0
    pfr = 0.0
    p0 = IX[uidx(IX[O_CXP0] + j)]
    p1 = IX[uidx(IX[O_CXP0] + j + 1)]
    # line indices (g·4 + shell)·nt + t: those of this element's K lines lie below kl
    kl = (g * 4 + 1) * nt
    for q in range(p0, p1):
        k = IX[uidx(o_pk + q)]
        eph = F[uidx(o_pe + q)]
        kind = KIND_FLUOR_K if k < kl else KIND_FLUOR_L
        if not got:
            pu, pv, pw, s0, s1 = isotropic(F, IX, s0, s1)
            pk = kind
            pe = eph
            pline = float(k)
            pie = IX[uidx(o_rxie + k)]
            pfr = F[uidx(o_rxfr + k)]
            got = True
        elif nst < MAXST:
            u, v, w, s0, s1 = isotropic(F, IX, s0, s1)
            nst = push_photon(
                stack, nst, info, x, y, z, u, v, w, eph, kind, float(k), layer,
                inside, float(IX[uidx(o_rxie + k)]), F[uidx(o_rxfr + k)],
            )
        else:
            local += eph
            info[INF_OVF] += 1.0
    return local, nst, got, pu, pv, pw, pe, pk, pline, pie, pfr, s0, s1
