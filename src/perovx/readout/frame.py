"""Frame formation: from photons on the detector to ADC codes.

The pipeline of one read (a frame of a panel, a line of a line scanner, a point of a
point scan), each step a stage of Cunningham's cascaded linear-systems model:

1. **Quanta.** In every cell (pitch/oversample) the photons of each energy group that
   deposit energy are Poisson distributed, mean n̄·M0 (M0: depositing fraction of the
   Monte Carlo kernel).
2. **Gain.** Each depositing photon gives a collected charge Q with the mean and second
   moment of :class:`~perovx.transport.charge.SpreadFunction` (absorbed-energy spread —
   Swank factor —, depth-dependent collection, Fano). The sum over the photons of a cell
   is drawn exactly (Poisson count, gamma-distributed total with the compound mean and
   variance) where fewer than :data:`EXACT_BELOW_PHOTONS` photons are expected, and as a
   normal variable with the same mean and variance elsewhere (central-limit theorem).
3. **Spread.** The charge of a cell reaches the pixels through the spread function
   (Monte Carlo deposit spread ⊗ Shockley–Ramo induced charge ⊗ diffusion), integrated
   over the pixel: a correlation on the cell grid sampled at the pixel pitch (FFT). The
   spread is applied to the gained quanta as a whole (serial cascade); the extra
   high-frequency noise of K-fluorescence reabsorbed far from its origin (Hajdok, Yao and
   Cunningham, Med. Phys. 33, 3601 (2006)) is not modelled separately — its effect at
   zero frequency is in the Swank factor. The photon-by-photon reads
   (:func:`deposit_charge` on a Monte Carlo deposit map) include it.
4. **Readout** (:func:`read_out`): lag (a fraction of each read's charge is trapped and
   released in the following reads with a time constant), dark charge with its shot noise,
   pixel gain and offset non-uniformity, electronic noise, ADC quantisation and
   saturation at full scale, dead pixels.

:func:`flat_field_noise_budget` gives the variance of a flat-field pixel predicted by the
cascaded model for the same parameters: quantum + Swank (gain) excess + dark shot +
electronic + quantisation, the presampling spread entering through ∫|MTF|² (Parseval).

References
----------
I. A. Cunningham, "Applied linear-systems theory", in Handbook of Medical Imaging vol. 1,
SPIE Press 2000, ch. 2; I. A. Cunningham, M. S. Westmore and A. Fenster, Med. Phys. 21,
417 (1994). R. K. Swank, J. Appl. Phys. 44, 4199 (1973).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.readout.budget import NoiseBudget, flat_field_noise_budget
from perovx.readout.electronics import POISSON_NORMAL_ABOVE, ReadResult, read_out
from perovx.transport.charge import PixelResponse, SpreadFunction

__all__ = [
    "EXACT_BELOW_PHOTONS",
    "KERNEL_TAIL",
    "POISSON_NORMAL_ABOVE",
    "NoiseBudget",
    "ReadResult",
    "collected_charge",
    "deposit_charge",
    "deposit_spreads",
    "flat_field_noise_budget",
    "read_out",
    "sample_cell_charge",
]

#: Cells expecting fewer depositing photons than this are drawn exactly (Poisson × gamma);
#: above, a normal variable with the compound mean and variance. A pixel sums the cells
#: of several energy groups and oversampled cells, so its value is close to normal
#: already at a few photons per cell; the threshold only keeps low-count cells (behind
#: lead, at low dose) non-negative and skewed as they should be.
EXACT_BELOW_PHOTONS = 5.0

#: The spread kernels of a read are cut to the smallest common margin outside which every
#: group's kernel holds at most this fraction of its weight: a pixel's charge changes by
#: at most this fraction of the local charge — the rounding of the float32 cell charges
#: (6 × 10⁻⁸) — while the block FFTs shrink (the benchmark's 1 mm layer: kernels of
#: 206 cells cut to about 150, windows 720² → 660²).
KERNEL_TAIL = 1e-7



def _common_kernels(
    spreads: Sequence[SpreadFunction],
    tail: float = 0.0,
) -> tuple[list[np.ndarray], int]:
    """Embed all spread functions in arrays of one size with one margin.

    With ``tail`` > 0 the margin is cut to the smallest one outside which every kernel
    holds at most ``tail`` of its total weight (|values|), the same for all groups.
    """
    margin = max(s.margin for s in spreads)
    size_y = max(s.psf.shape[0] - 2 * s.margin for s in spreads) + 2 * margin
    size_x = max(s.psf.shape[1] - 2 * s.margin for s in spreads) + 2 * margin
    out = []
    for s in spreads:
        k = np.zeros((size_y, size_x), dtype=np.float32)
        o = margin - s.margin
        k[o : o + s.psf.shape[0], o : o + s.psf.shape[1]] = s.normalised()
        out.append(k)
    if tail > 0 and margin > 0:
        keep = 0  # smallest margin whose outside holds <= tail of every kernel
        for k in out:
            a = np.abs(k.astype(np.float64))
            total = a.sum()
            if total <= 0:
                continue
            # weight outside margin m, for m = margin − 1 … 0 (rings added from outside in)
            outside = 0.0
            m = margin
            while m > keep:
                d = margin - m  # the outermost ring still held
                ny, nx = a.shape
                ring = (a[d, d : nx - d].sum() + a[ny - 1 - d, d : nx - d].sum()
                        + a[d + 1 : ny - 1 - d, d].sum() + a[d + 1 : ny - 1 - d, nx - 1 - d].sum())
                if outside + ring > tail * total:
                    break
                outside += ring
                m -= 1
            keep = max(keep, m)
        cut = margin - keep
        if cut > 0:
            out = [np.ascontiguousarray(k[cut : k.shape[0] - cut, cut : k.shape[1] - cut])
                   for k in out]
            margin = keep
    return out, margin


def _to_cells(pixel_map: np.ndarray, oversample: int, shape: tuple[int, int]) -> np.ndarray:
    """Expand a per-pixel map to the cell grid; cells beyond the pixel array get 1."""
    cells = np.repeat(np.repeat(np.asarray(pixel_map, dtype=np.float32), oversample, axis=0),
                      oversample, axis=1)
    out = np.ones(shape, dtype=np.float32)
    ny, nx = min(shape[0], cells.shape[0]), min(shape[1], cells.shape[1])
    out[:ny, :nx] = cells[:ny, :nx]
    return out


def _gain_moments(spread: SpreadFunction) -> tuple[float, float, float, float]:
    """(mean, second moment, gamma shape, gamma scale) of the charge per photon, e and e²."""
    m = float(spread.mean_electrons)
    msq = float(spread.mean_square_electrons2)
    var = max(msq - m * m, 0.0)
    if var > 0 and m > 0:
        return m, msq, m * m / var, var / m
    return m, msq, 0.0, 0.0


def _kernel_words(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random input of the compiled sampler: one 64-bit word of ``rng`` per cell (its
    normal deviate or Poisson count) and the 256-bit state of the generator of the rare
    extra draws (four more words)."""
    words = rng.bit_generator.random_raw(n + 4).astype(np.uint64, copy=False)
    state = words[n:].copy()
    if not state.any():  # the one state xoshiro256++ cannot leave (probability 2⁻²⁵⁶)
        state[0] = 1
    return words, state


def sample_cell_charge(
    mean_count: np.ndarray,
    spread: SpreadFunction,
    rng: np.random.Generator,
    gain_factor: np.ndarray | None = None,
) -> np.ndarray:
    """Draw the charge (electrons) that the depositing photons of each cell produce.

    Drawn by the compiled sampler of :mod:`perovx.readout._cell_kernel` (its generator
    seeded by four words of ``rng``).

    Parameters
    ----------
    mean_count
        Expected number of depositing photons in each cell (any shape).
    spread
        Gain statistics of the energy group (mean and second moment per photon).
    rng
        Random generator.
    gain_factor
        Optional factor of the charge per photon, broadcast to ``mean_count``.

    Returns
    -------
    numpy.ndarray
        float32 charge per cell, electrons: compound Poisson–gamma below
        :data:`EXACT_BELOW_PHOTONS` expected photons, moment-matched normal above
        (clipped at 0).
    """
    from perovx.readout import _cell_kernel as ck

    lam = np.ascontiguousarray(mean_count, dtype=np.float32)
    if gain_factor is None:
        gain = np.empty(0, dtype=np.float32)
    else:
        gain = np.ascontiguousarray(np.broadcast_to(np.asarray(gain_factor, dtype=np.float32),
                                                    lam.shape)).ravel()
    out = np.empty(lam.shape, dtype=np.float32)
    m, msq, shape, scale = _gain_moments(spread)
    words, state = _kernel_words(rng, lam.size)
    ck.sample_flat(lam.ravel(), gain, out.ravel(), m, msq, shape, scale, words, state)
    return out


def collected_charge(
    photons_per_cell: Sequence[np.ndarray | float] | np.ndarray,
    spreads: Sequence[SpreadFunction],
    *,
    out_shape: tuple[int, int],
    seed: int | np.random.Generator | None = 0,
    noise: bool = True,
    interaction_factor: np.ndarray | None = None,
    gain_factor: np.ndarray | None = None,
    kernel_cache: dict[Any, np.ndarray] | None = None,
    scale: float = 1.0,
    threads: int | None = None,
    tile_blocks: int | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Signal charge collected by each pixel of one read, electrons.

    The panel is processed on the fixed block grids of :mod:`perovx.readout.blocks`:
    each (energy group, block of :data:`~perovx.readout.blocks.BLOCK_PIXELS` pixels a
    side) draws its cells' quanta and gain from its own random stream, and each output
    block (:data:`~perovx.readout.blocks.CONVOLVE_PIXELS` a side) is one overlap-save
    FFT correlation with a halo of the kernel's reach, so the result for a seed does not
    depend on ``threads`` or ``tile_blocks``.

    Parameters
    ----------
    photons_per_cell
        Expected incident photons in each cell for each energy group, shape
        (groups, cells y, cells x) (an array, or a
        :class:`~perovx.interaction.phantoms.FluenceField` computed block by block);
        cell (0, 0) is the first cell of pixel (0, 0) and a
        pixel spans ``oversample`` cells per axis. Cells beyond the last pixel are allowed
        (photons hitting outside the array that still reach it). A group may be given as
        a scalar (the same photons in every cell of the panel: an open field).
    spreads
        One :class:`~perovx.transport.charge.SpreadFunction` per group, same oversample.
    out_shape
        (rows, columns) of pixels.
    seed
        Seed or generator of the quantum and gain noise (a generator gives one draw: the
        root of the block streams).
    noise
        ``False`` returns the expected charge (no Poisson or gain noise).
    interaction_factor
        Optional per-pixel factor (film non-uniformity) of the number of depositing
        photons: (rows, columns), or (groups, rows, columns) for one map per group.
    gain_factor
        Optional per-pixel factor (rows, columns) of the charge collected per photon.
    kernel_cache
        A dictionary in which the spread functions' Fourier transforms are kept between
        calls with the same grid (an acquisition's calibration and object reads).
    scale
        Factor applied to ``photons_per_cell`` (e.g. air kerma × cell area on a fluence
        per Gy), so that a scaled copy of a full-size map is never made.
    threads
        Worker threads (default: the cores this process may use, ``PEROVX_THREADS``).
    tile_blocks
        Output block rows convolved at a time (memory: these plus two halo rows of cell
        samples per group); default :data:`~perovx.readout.blocks.DEFAULT_TILE_BLOCKS`.
    out
        A float64 array of ``out_shape`` to write the charge into (an acquisition's
        frame stack: no fresh full-size array per read); every element is written.

    Returns
    -------
    numpy.ndarray
        Charge per pixel, electrons, float64, shape ``out_shape`` (``out`` when given).
    """
    import scipy.fft as sfft

    from perovx.readout.blocks import (
        BLOCK_PIXELS,
        CONVOLVE_PIXELS,
        DEFAULT_TILE_BLOCKS,
        STAGE_CELLS,
        block_generator,
        block_grid,
        halo_window,
        root_seed,
    )
    from perovx.threads import block_pool, run_blocks

    if len(spreads) == 0:
        raise InputError("no spread functions: at least one energy group is needed")
    photons = photons_per_cell
    if len(photons) != len(spreads):
        raise InputError(
            f"{len(photons)} photon maps for {len(spreads)} energy groups: give one per group"
        )
    os_ = spreads[0].oversample
    if any(s.oversample != os_ for s in spreads):
        raise InputError("all spread functions must have the same oversample")
    from perovx.interaction.phantoms import FluenceMap

    rows, cols = out_shape
    # a FluenceMap is read by windows (block by block below), never as a whole
    maps = [p if np.ndim(p) == 0 or isinstance(p, FluenceMap) else np.asarray(p)
            for p in photons]
    shapes = {m.shape for m in maps if np.ndim(m) != 0}
    if len(shapes) > 1:
        raise InputError(f"photon maps of different shapes {sorted(shapes)}: give one grid")
    ny, nx = shapes.pop() if shapes else (rows * os_, cols * os_)
    if ny < rows * os_ or nx < cols * os_:
        raise InputError(
            f"photon maps of {ny}×{nx} cells do not cover {rows}×{cols} pixels of "
            f"{os_}×{os_} cells"
        )
    tiles = DEFAULT_TILE_BLOCKS if tile_blocks is None else int(tile_blocks)
    if tiles < 1:
        raise InputError(f"tile_blocks must be an integer >= 1, got {tile_blocks!r}")
    root = root_seed(seed) if noise else 0
    kernels, margin = _common_kernels(spreads, KERNEL_TAIL)
    ky, kx = kernels[0].shape
    inter = None if interaction_factor is None else np.asarray(interaction_factor)
    if inter is not None and inter.ndim == 3 and inter.shape[0] != len(spreads):
        raise InputError("interaction_factor needs one map per energy group")
    gain = None if gain_factor is None else np.asarray(gain_factor)
    active = [g for g, s in enumerate(spreads)
              if s.depositing_fraction > 0 and s.mean_electrons > 0]
    if out is None:
        out = np.zeros(out_shape)
    elif out.shape != tuple(out_shape) or out.dtype != np.float64:
        raise InputError(f"out must be a float64 array of shape {tuple(out_shape)}, got "
                         f"{out.dtype} {out.shape}")
    if not active or rows == 0 or cols == 0:
        out[...] = 0.0
        return out  # (otherwise every output block writes all its pixels)
    cell_y = block_grid(ny, BLOCK_PIXELS * os_)
    cell_x = block_grid(nx, BLOCK_PIXELS * os_)
    # output blocks of the convolution: a coarser grid than the sampled blocks
    pix_y = block_grid(rows, CONVOLVE_PIXELS)
    pix_x = block_grid(cols, CONVOLVE_PIXELS)
    cache = {} if kernel_cache is None else kernel_cache

    from perovx.readout import _cell_kernel as ck

    none2 = np.empty((0, 0), dtype=np.float32)
    inter32 = None if inter is None else np.asarray(inter, dtype=np.float32)
    gain32 = none2 if gain is None else np.asarray(gain, dtype=np.float32)
    moments = [_gain_moments(s) for s in spreads]

    # The cells of a block are drawn into a buffer taken from ``spare`` and given back
    # once no output block reads them: the same few hundred 1 MB buffers serve every
    # block of the read, instead of fresh arrays that the allocator maps and returns to
    # the kernel block row by block row (page faults: ~45 % of the read's system time).
    # list.pop/append are atomic under the GIL: the pool needs no lock.
    block_cells = BLOCK_PIXELS * os_ * BLOCK_PIXELS * os_
    spare: list[np.ndarray] = []
    owner: dict[tuple[int, int, int], np.ndarray] = {}  # (group, bi, bj) → its buffer

    def release(g: int, key: tuple[int, int]) -> None:
        buf = owner.pop((g, *key), None)
        if buf is not None:
            spare.append(buf)

    def sample(g: int, bi: int, bj: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Charge of the cells of block (bi, bj) in group g and the buffer holding it
        (None: no charge)."""
        (y0, y1), (x0, x1) = cell_y[bi], cell_x[bj]
        factor = float(np.float32(scale) * np.float32(spreads[g].depositing_fraction))
        p = maps[g]
        if np.ndim(p) == 0:
            block = np.full((1, 1), np.float32(p), dtype=np.float32)
        elif isinstance(p, FluenceMap):  # computed into this thread's buffer
            fb = getattr(local, "fluence_block", None)
            if fb is None:
                fb = local.fluence_block = np.empty(block_cells, dtype=np.float32)
            block = p.window(y0, y1, x0, x1, out=fb)
        else:
            block = p[y0:y1, x0:x1]
            if block.dtype != np.float32:
                block = block.astype(np.float32)
        if inter32 is None:
            inter_g = none2
        else:
            inter_g = inter32[g] if inter32.ndim == 3 else inter32
        try:
            buf = spare.pop()
        except IndexError:
            buf = np.empty(block_cells, dtype=np.float32)
        cells = buf[: (y1 - y0) * (x1 - x0)].reshape(y1 - y0, x1 - x0)
        if noise:
            _, state = _kernel_words(block_generator(root, STAGE_CELLS, g, bi, bj), 0)
        else:
            state = np.zeros(4, dtype=np.uint64)
        m, msq, shape, gscale = moments[g]
        charged = ck.sample_block(cells, block, factor, inter_g, gain32, y0, x0, os_, m, msq,
                                  shape, gscale, noise, state)
        if not charged:
            spare.append(buf)
            return None
        return cells, buf

    def sample_row_block(bi: int, bj: int) -> list[tuple[np.ndarray, np.ndarray] | None]:
        return [sample(g, bi, bj) for g in active]

    def kernel_spectrum(g: int, fy: int, fx: int) -> np.ndarray:
        key = (id(spreads[g]), fy, fx)
        spec = cache.get(key)
        if spec is None:
            spec = sfft.rfft2(kernels[g][::-1, ::-1], s=(fy, fx), workers=1)
            cache[key] = spec
        return spec

    local = threading.local()  # each worker thread's FFT input window and spectrum sum
    # per group: block → (first cell row held, charge of the cells held)
    store: dict[int, dict[tuple[int, int], tuple[int, np.ndarray]]] = {g: {} for g in active}

    def convolve(bi: int, bj: int) -> None:
        """Charge of the pixels of output block (bi, bj) (overlap-save with a halo),
        written into ``out`` (the blocks of a tile are disjoint)."""
        (p0, p1), (q0, q1) = pix_y[bi], pix_x[bj]
        lo = (p0 * os_ - margin, q0 * os_ - margin)
        size = ((p1 - p0 - 1) * os_ + ky, (q1 - q0 - 1) * os_ + kx)
        fft = (sfft.next_fast_len(size[0], real=True), sfft.next_fast_len(size[1], real=True))
        buf = getattr(local, "window", None)
        if buf is None or buf.shape != fft:
            buf = local.window = np.empty(fft, dtype=np.float32)
            local.acc = np.empty((fft[0], fft[1] // 2 + 1), dtype=np.complex64)
        acc = local.acc
        summed = False
        for g in active:  # fixed group order: the same sum for any tiling or thread count
            window = halo_window(store[g], cell_y, cell_x, lo, size, fft, out=buf)
            if window is None:
                continue
            spec = sfft.rfft2(window, workers=1)
            del window
            if summed:
                spec *= kernel_spectrum(g, *fft)
                acc += spec
            else:
                np.multiply(spec, kernel_spectrum(g, *fft), out=acc)
                summed = True
            del spec
        if not summed:
            out[p0:p1, q0:q1] = 0.0
            return
        # the sum is ours: the inverse FFT may work in it (no copy of the spectrum)
        full = sfft.irfft2(acc, s=fft, workers=1, overwrite_x=True)
        out[p0:p1, q0:q1] = full[ky - 1 : ky - 1 + (p1 - p0) * os_ : os_,
                                 kx - 1 : kx - 1 + (q1 - q0) * os_ : os_]

    def cell_rows(bi: int) -> tuple[int, int]:
        """Cell block rows the output block row ``bi`` reads, [first, last]."""
        p0, p1 = pix_y[bi]
        lo = p0 * os_ - margin
        hi = (p1 - 1) * os_ - margin + ky  # exclusive
        size = BLOCK_PIXELS * os_
        return (max(0, lo // size), min(len(cell_y) - 1, (hi - 1) // size))

    pool = block_pool(threads)
    try:
        sampled = 0  # cell block rows [0, sampled) have been drawn
        for t0 in range(0, len(pix_y), tiles):
            tile = range(t0, min(t0 + tiles, len(pix_y)))
            need_lo = min(cell_rows(bi)[0] for bi in tile)
            need_hi = max(cell_rows(bi)[1] for bi in tile) + 1
            for g in active:  # drop blocks no later tile reads
                for key in [k for k in store[g] if k[0] < need_lo]:
                    del store[g][key]
                    release(g, key)
            new = [(bi, bj) for bi in range(max(sampled, need_lo), need_hi)
                   for bj in range(len(cell_x))]
            drawn = run_blocks([(lambda b=b: sample_row_block(*b)) for b in new], pool)
            for (bi, bj), cells in zip(new, drawn, strict=True):
                for g, c in zip(active, cells, strict=True):
                    if c is not None:
                        store[g][(bi, bj)] = (cell_y[bi][0], c[0])
                        owner[(g, bi, bj)] = c[1]
            sampled = max(sampled, need_hi)
            jobs = [(bi, bj) for bi in tile for bj in range(len(pix_x))]
            run_blocks([(lambda b=b: convolve(*b)) for b in jobs], pool)
            if tile.stop < len(pix_y):  # keep only the cell rows later tiles read (halo)
                keep = pix_y[tile.stop][0] * os_ - margin
                for g in active:
                    for key, (first, cells) in list(store[g].items()):
                        if first < keep < first + cells.shape[0]:
                            # a copy of the halo rows; the block's buffer serves again
                            store[g][key] = (keep, cells[keep - first :].copy())
                            release(g, key)
    finally:
        if pool is not None:
            pool.shutdown()
    return out


def deposit_spreads(response: PixelResponse) -> tuple[SpreadFunction, ...]:
    """The pixel response of each depth bin as a spread function of one pair per cell.

    Spread ``k`` has ``psf`` = the charge (e) a pixel collects from a pair created in
    depth bin ``k`` of each cell, depositing fraction 1 and a deterministic gain equal
    to the charge collected on all pixels per pair, so that
    ``collected_charge(pairs, spreads, noise=False)`` correlates the pair map of each
    depth bin with its pixel response: Σ_k Σ_r pairs_k(r) R_k(pixel − r). Keep the
    tuple for the whole acquisition (``kernel_cache`` is keyed on the objects).

    Parameters
    ----------
    response
        From :func:`perovx.transport.charge.pixel_response`.
    """
    os2 = response.oversample**2
    out = []
    for k in range(response.response.shape[0]):
        psf = np.asarray(response.response[k], dtype=float)
        per_pair = float(psf.sum()) / os2
        out.append(SpreadFunction(
            energy_keV=0.0, psf=psf, margin=response.margin, oversample=response.oversample,
            depositing_fraction=1.0, mean_electrons=per_pair,
            mean_square_electrons2=per_pair * per_pair,
        ))
    return tuple(out)


def deposit_charge(
    deposit_keV: np.ndarray,
    spreads: Sequence[SpreadFunction],
    *,
    w_pair_eV: float,
    fano_factor: float,
    out_shape: tuple[int, int],
    seed: int | np.random.Generator | None = 0,
    noise: bool = True,
    gain_factor: np.ndarray | None = None,
    kernel_cache: dict[Any, np.ndarray] | None = None,
) -> np.ndarray:
    """Charge collected by each pixel from an energy-deposit map, electrons.

    The deposits of a photon-by-photon Monte Carlo (quantum noise and the spread of the
    absorbed energy are in them already) become electron–hole pairs — mean
    E/W, variance F·E/W (Fano), drawn as a normal variable per (depth, cell) bin and
    clipped at 0 — which reach the pixels through the depth-resolved pixel response
    (trapping, Shockley–Ramo induced charge, diffusion) of :func:`deposit_spreads`.

    Parameters
    ----------
    deposit_keV
        Energy deposited in each (depth bin, cell y, cell x), keV; the depth bins are
        those of the pixel response and cell (0, 0) is the first cell of pixel (0, 0).
    spreads
        :func:`deposit_spreads` of the pixel response, one per depth bin.
    w_pair_eV
        Mean energy per electron–hole pair, eV (> 0).
    fano_factor
        Fano factor of the pair number (>= 0).
    out_shape
        (rows, columns) of pixels.
    seed
        Seed or generator of the Fano noise.
    noise
        ``False``: mean pairs, no Fano noise.
    gain_factor
        Optional per-pixel factor (rows, columns) of the collected charge (film).
    kernel_cache
        As for :func:`collected_charge`.

    Returns
    -------
    numpy.ndarray
        Charge per pixel, electrons, float64, shape ``out_shape``.
    """
    dep = np.asarray(deposit_keV, dtype=np.float64)
    if dep.ndim != 3 or dep.shape[0] != len(spreads):
        raise InputError(
            f"deposit map must be (depth bins={len(spreads)}, cells y, cells x); got "
            f"shape {dep.shape}"
        )
    if not (w_pair_eV > 0 and math.isfinite(w_pair_eV)):
        raise InputError(f"w_pair_eV must be a finite number > 0 eV, got {w_pair_eV!r}")
    if not (fano_factor >= 0 and math.isfinite(fano_factor)):
        raise InputError(f"fano_factor must be a finite number >= 0, got {fano_factor!r}")
    pairs = dep * (1e3 / w_pair_eV)
    if noise and fano_factor > 0:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        pairs += np.sqrt(fano_factor * pairs) * rng.standard_normal(pairs.shape)
        np.maximum(pairs, 0.0, out=pairs)
    return collected_charge(pairs.astype(np.float32), spreads, out_shape=out_shape, seed=0,
                            noise=False, gain_factor=gain_factor, kernel_cache=kernel_cache)
