"""Numba kernels of the Monte Carlo: the physics, shared by the CPU and CUDA back-ends.

The device functions live in the modules of :data:`KERNEL_MODULES`, one per concept:
compile options and scalar helpers (``_compile``), random numbers (``_rng``), photon
state and source (``_photon``), scattering (``_scatter``), deposits and relaxation
(``_relax``), the transport of one history (``_history``) and the tallies (``_tally``);
this module holds the CPU kernels that run batches of histories.

Every function except :func:`run_batch` and :func:`run_batches` is a *device function*:
written in the subset of Python that both ``numba.njit`` and
``numba.cuda.jit(device=True)`` compile (scalars, ``math``, indexing of arrays passed
in; no allocation, no exceptions).
:mod:`._cuda` recompiles their Python source for the GPU, replacing only
:func:`tally_add` by an atomic add. The tables arrive packed in two flat arrays ``F``
(float64) and ``IX`` (int64); the slot names are in ``_layout``.

Random numbers: xoroshiro128+ (Blackman & Vigna 2018). Each history seeds its own state
with splitmix64 from the 128-bit key of its batch and its index in the batch, so a
history's random numbers depend on (seed, batch, index) only — not on the thread that
runs it, nor on the back-end.

Transport of one history (photons only; electrons deposit locally):

* free path from the total cross section of the current layer (mean-free-path counter
  carried across interfaces, drawn by the exponential ziggurat of ``_rng``); lateral
  faces of finite layers and a vacuum outside them;
* interaction channel chosen from the cumulative table of (element, type) shares;
* photoabsorption: shell from Kissel partial cross sections; the vacancy cascade (K→L by
  radiative lines, Auger and Coster–Kronig), drawn whole from the precomputed cascades
  of ``tables`` (alias method), emits fluorescence photons isotropically, the rest of
  the binding energy is deposited on the spot;
* Compton: Klein–Nishina (Butcher–Messel/EGS4 sampling) rejected with S(x, Z)/Z, or
  with Doppler broadening from shell Compton profiles (impulse approximation);
* Rayleigh: x² sampled from ∫F² d(x²) by inverse CDF (a guide table, then a short walk),
  rejected with (1 + cos²θ)/2.

For speed the photon being tracked lives in local variables (the first fluorescence
photon of a cascade carries on in them; further ones wait on a small stack), the hot
functions are inlined, the hot table indices are unsigned (``uidx``: numba then emits no
wraparound of negative indices), and the CPU kernels run without numba's reference
counting.

Compile time: the history (inlined helpers and all) is inlined once, into the serial
:func:`run_batch`; the parallel :func:`run_batches` only calls it per batch. Inlining the
history into the parallel loop itself made numba's parallel passes walk the whole
inlined body: ~2 min of CPU to compile in a fresh clone, against ~20 s now.

numba checks a cached kernel against its own source file only, not against the files of
the functions it inlined: after editing a kernel module, delete the numba cache
(``__pycache__/*.nbi``, ``*.nbc`` here, or the ``NUMBA_CACHE_DIR``) before testing or
timing. An installed perovx is not affected (installing rewrites every file).
"""

from __future__ import annotations

import numba
from numba import prange

from . import _compile, _history, _photon, _relax, _rng, _scatter, _tally
from ._compile import NO_NRT, device_jit
from ._history import simulate_history
from ._rng import rng_seed
from ._tally import (
    FLAG_FIRST,
    FLAG_FULL,
    FLAG_INT,
    FLAG_KESC,
    FLAG_LESC,
    FLAG_POS,
    add_history_stats,
    tally_history,
)

__all__ = ["DEVICE_FUNCTIONS", "KERNEL_MODULES", "run_batch", "run_batches"]

#: Modules holding the device functions and the constants they use (for the CUDA build).
KERNEL_MODULES = (_compile, _rng, _photon, _scatter, _relax, _history, _tally)
#: Device functions shared with the CUDA back-end, in dependency order.
DEVICE_FUNCTIONS = (
    "splitmix64",
    "rng_seed",
    "rng_uniform",
    "rng_next",
    "rng_next_bits",
    "rng_exp_rare",
    "rng_exp",
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


@device_jit
def run_batch(F, IX, key0, key1, n, acc, sm, bg, st, stack, vac, dep, info):
    """Run the ``n`` histories of the batch keyed (key0, key1) into zeroed tallies.

    ``acc``, ``sm`` and ``bg`` are the batch's statistics and small and grid tallies;
    ``st``, ``stack``, ``vac``, ``dep`` and ``info`` its work buffers. A function of its
    own (not the body of the parallel loop) so that numba's parallel passes never see
    the large inlined history: that keeps the compile time down.
    """
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
    for j in range(n):
        rng_seed(st, key0, key1, j)
        ndep = simulate_history(F, IX, st, stack, vac, dep, info)
        e_inc, e_sens, e_all, flags, err = tally_history(F, IX, dep, ndep, info, acc, sm, bg)
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
    add_history_stats(acc, float(n), s_einc, s_einc2, s_dep, s_dep2, s_depall,
                      float(c_pos), float(c_full), float(c_int), float(c_first),
                      float(c_k), float(c_l), err_max)


@numba.njit(cache=True, parallel=True, error_model="numpy", **NO_NRT)
def run_batches(F, IX, keys, nhist, stats, small, big, rng, stack, vac, dep, info):
    """Run batches ``b`` of ``nhist[b]`` histories each, one thread per batch.

    ``keys[b]`` is the 128-bit RNG key of batch ``b``; the tallies of batch ``b`` go to
    ``stats[b]``, ``small[b]`` and ``big[b]`` (zeroed here), so the result does not
    depend on how batches are spread over threads. ``rng``, ``stack``, ``vac``, ``dep``
    and ``info`` are per-batch work buffers (first axis: batch).
    """
    for b in prange(nhist.shape[0]):
        run_batch(F, IX, keys[b, 0], keys[b, 1], nhist[b], stats[b], small[b], big[b],
                  rng[b], stack[b], vac[b], dep[b], info[b])
