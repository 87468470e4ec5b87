"""The transport of one source photon and its secondaries through the layer stack.
"""

from __future__ import annotations

from ._compile import INF, fmax, fmin, inline_jit, uidx
from ._layout import (
    F_CUT,
    F_WX,
    F_WY,
    I_ERANGE,
    I_FLUOR,
    I_NCH,
    I_NE,
    I_NL,
    I_SENS,
    INF_EINC,
    INF_ELINES,
    INF_ESC,
    INF_FIRSTL,
    INF_FIRSTZ,
    INF_LINE,
    INF_NK,
    INF_NL,
    KIND_FLUOR_K,
    KIND_FLUOR_L,
    KIND_PRIMARY,
    KIND_SCATTERED,
    NINFO,
    O_GB,
    O_GSH,
    O_LHX,
    O_LHY,
    O_LMAT,
    O_LMU,
    O_LNMU,
    O_LZ0,
    O_LZ1,
    O_MCHEL,
    O_MCHTY,
    O_MCUM,
    O_MNCH,
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
from ._photon import energy_index, inside_layer, layer_mu, rotate, sample_source
from ._relax import add_deposit, relax
from ._rng import rng_exp, rng_next
from ._scatter import sample_compton, sample_rayleigh

__all__ = ["cross_z_face", "escape", "left_sensitive", "simulate_history"]


# ------------------------------------------------------------------------ one history
@inline_jit
def escape(info, face, kind, e):
    """Book a photon of energy ``e`` leaving the stack by ``face`` (0 front, 1 back, 2 side)."""
    cls = 0
    if kind == KIND_SCATTERED:
        cls = 1
    elif kind >= KIND_FLUOR_K:
        cls = 2
    info[INF_ESC + face * 3 + cls] += e


@inline_jit
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


@inline_jit
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


@inline_jit
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
    o_lnmu = IX[O_LNMU]
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
    first = True  # the history's first interaction is the primary's
    inside = inside_layer(F, IX, 0, x, y)
    # μ of the current photon in its layer: set when the photon, its energy or its layer
    # changes; a fluorescence photon takes it from the table of its line
    mu = layer_mu(F, o_lmu, ne, 0, ie, fr)
    while True:
        # the current photon is in (x … fr); the others wait on the stack
        nmfp, s0, s1 = rng_exp(s0, s1)
        alive = True
        while alive:
            z0 = F[uidx(o_lz0 + layer)]
            z1 = F[uidx(o_lz1 + layer)]
            hx = F[uidx(o_lhx + layer)]
            hy = F[uidx(o_lhy + layer)]
            # the face ahead picked by a select: the sign of w is a coin toss for
            # fluorescence photons, a branch on it mispredicts half the time
            zf = z1 if w > 0.0 else z0
            dz = INF
            if w != 0.0:
                dz = (zf - z) / w
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
                if mu > 0.0 and nmfp < mu * d:
                    # ---------------------------------------------- interaction
                    s = nmfp / mu
                    x += s * u
                    y += s * v
                    z += s * w
                    if first:
                        first = False
                        info[INF_FIRSTL] = layer
                        info[INF_FIRSTZ] = z
                    m = IX[uidx(o_lmat + layer)]
                    ien = ie + 1 if fr >= 0.5 else ie
                    if ien > ne - 1:
                        ien = ne - 1
                    nch = IX[uidx(o_mnch + m)]
                    cbase = o_mcum + (m * ne + ien) * nch_max
                    _r0, s0, s1 = rng_next(s0, s1)
                    r = _r0
                    c = 0
                    while c < nch - 1 and r > F[uidx(cbase + c)]:
                        c += 1
                    g = IX[uidx(o_mchel + m * nch_max + c)]
                    typ = IX[uidx(o_mchty + m * nch_max + c)]
                    if typ == 0:
                        # photoabsorption
                        local = e
                        got = False
                        if fluor:
                            _r0, s0, s1 = rng_next(s0, s1)
                            r = _r0
                            sb = o_gsh + (g * ne + ien) * 4
                            sh = 0
                            while sh < 4 and r > F[uidx(sb + sh)]:
                                sh += 1
                            if sh < 4:
                                b = F[uidx(o_gb + g * 5 + sh)]
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
                            mu = F[uidx(o_lnmu + int(pline) * nl + layer)]
                            nmfp, s0, s1 = rng_exp(s0, s1)
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
                            mu = layer_mu(F, o_lmu, ne, layer, ie, fr)
                            kind = KIND_SCATTERED
                            nmfp, s0, s1 = rng_exp(s0, s1)
                    else:
                        # Rayleigh scattering
                        cost, s0, s1 = sample_rayleigh(F, IX, g, e, ien, s0, s1)
                        u, v, w, s0, s1 = rotate(F, IX, u, v, w, cost, s0, s1)
                        if kind == KIND_PRIMARY:
                            kind = KIND_SCATTERED
                        nmfp, s0, s1 = rng_exp(s0, s1)
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
                    if alive:
                        mu = layer_mu(F, o_lmu, ne, layer, ie, fr)
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
                if alive:
                    mu = layer_mu(F, o_lmu, ne, layer, ie, fr)
        if nst == 0:
            break
        nst -= 1
        top = uidx(nst)
        x = stack[top, P_X]
        y = stack[top, P_Y]
        z = stack[top, P_Z]
        u = stack[top, P_U]
        v = stack[top, P_V]
        w = stack[top, P_W]
        e = stack[top, P_E]
        kind = int(stack[top, P_KIND])
        line = stack[top, P_LINE]
        layer = int(stack[top, P_LAYER])
        inside = stack[top, P_IN] > 0.5
        ie = int(stack[top, P_IE])
        fr = stack[top, P_FR]
        mu = F[uidx(o_lnmu + int(line) * nl + layer)]  # stacked photons are fluorescence lines
    st[0] = s0
    st[1] = s1
    return ndep
