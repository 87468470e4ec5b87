"""Device functions adding one history to the tallies and statistics of its batch."""

from __future__ import annotations

from ._compile import inline_jit, tally_add
from ._layout import (
    F_DINVDZ,
    F_FPEAK,
    F_GINVDX,
    F_GINVDY,
    F_GINVDZ,
    F_GX0,
    F_GY0,
    F_PHINV,
    F_SZ0,
    I_GNX,
    I_GNY,
    I_GNZ,
    I_GRID,
    I_NL,
    I_NPH,
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
)

__all__ = ["FLAG_FIRST", "FLAG_FULL", "FLAG_INT", "FLAG_KESC", "FLAG_LESC", "FLAG_POS",
    "add_history_stats", "tally_history"]

# flags returned by tally_history
FLAG_POS = 1  # energy deposited in the sensitive layer
FLAG_FULL = 2  # in the full-energy peak
FLAG_INT = 4  # the primary interacted
FLAG_FIRST = 8  # ... first in the sensitive layer
FLAG_KESC = 16  # sharp K-escape event
FLAG_LESC = 32  # sharp L-escape event


# ------------------------------------------------------------------------ tallies
@inline_jit
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


@inline_jit
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
