"""The panel cut into fixed blocks: random streams, tiled convolution, parallel reads.

A full-size panel (3072 × 3072 pixels, two cells per pixel and axis, eight energy
groups) holds 3 × 10⁸ cell values per read: the whole-frame arrays of every group at once
take gigabytes. The imaging chain therefore works on a **fixed grid of blocks** of
:data:`BLOCK_PIXELS` × :data:`BLOCK_PIXELS` pixels:

* **Random streams.** Every random draw of a block (its cells' quanta and gain in one
  energy group, its pixels' dark shot noise, electronic noise and quantisation dither)
  comes from its own generator, ``PCG64(SeedSequence(root, spawn_key=(stage, group,
  block row, block column)))``, where ``root`` is one number drawn from the caller's seed
  or generator. The image for a seed is then the same whatever the processing tile
  (how many block rows are held at once) and however many threads run the blocks. The
  cells' charge is drawn by the compiled sampler of :mod:`perovx.readout._cell_kernel`
  from a xoshiro256++ generator whose state is four words of the block's PCG64 (one
  word per cell for its ziggurat normal or Poisson count, in cell order, and the rare
  extra words of ziggurat rejections and gamma totals).
* **Convolution across block borders.** The spread of a cell's charge to the pixels is a
  correlation with kernels of up to a few mm (K-fluorescence tails). Each output block is
  computed by overlap-save: the block's cells plus a halo of the kernel's reach on each
  side (taken from the neighbouring blocks' samples, which are drawn once and kept while
  a neighbour needs them), one real FFT per energy group of a size fixed by the block
  alone, the group spectra summed in group order, one inverse FFT. The halo approach was
  chosen over one whole-frame FFT because a whole-frame float32 spectrum of a 6144²-cell
  grid is 150 MB per group and its time per pixel grows with log N; a block's FFT size
  depends on the block and the kernel only, so the arithmetic of every block — hence the
  result — is the same for any tile size or thread count, and the time per pixel is
  constant from small to full-size panels.
* **Bounded memory.** Blocks are sampled one block row ahead of the rows being
  convolved and dropped once no neighbour needs them: a tile of ``tile_blocks`` block
  rows plus two halo rows is held per group, not the frame.
* **Threads.** numpy's random generators, pocketfft (``scipy.fft``) and numpy's
  element-wise operations on large arrays release the GIL, so a thread pool over the
  blocks of a tile (:mod:`perovx.threads`) runs on all cores without copying data
  between processes.

Precision: cell charges, kernels and spectra are float32/complex64 (relative rounding
~6 × 10⁻⁸, far below the quantum noise of even one photon per cell and below the ADC's
quantisation); the sum over energy groups of the spectra is complex64 (≤ a few tens of
terms); the pixel charge is returned as float64, and the readout (dark charge, lag, noise,
ADC) is float64 since it holds summed calibration frames of up to ~10⁸ electrons.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "BLOCK_PIXELS",
    "CONVOLVE_PIXELS",
    "DEFAULT_TILE_BLOCKS",
    "block_generator",
    "block_grid",
    "root_seed",
]

#: Side of the fixed block grid, pixels. Random streams and FFT sizes follow this grid,
#: so changing it changes the image drawn for a seed (not its statistics). 256 pixels
#: (512 cells at oversample 2) keeps the halo overhead of a 2 mm kernel near 35 % and a
#: block's FFT (~600²) inside the CPU caches.
BLOCK_PIXELS = 256

#: Side of the output blocks of the spread (overlap-save) convolution, pixels,
#: independent of the sampling grid (the random streams stay on :data:`BLOCK_PIXELS`).
#: A larger window spends less of its FFT on the halo: with the 142-cell kernels of the
#: benchmark's 1 mm layer, 384 pixels (768 cells) take 960² windows, 64 % of them output
#: cells, against 660² windows and 60 % for 256 pixels, at a lower FFT cost per element
#: (960 = 2⁶·3·5); 512 pixels (1200² windows) were no faster. The grid changes only the
#: rounding of the float32 FFTs, not the random draws; it is fixed, so the image for a
#: seed is still the same for any tile size and thread count.
CONVOLVE_PIXELS = 384

#: Output block rows (of :data:`CONVOLVE_PIXELS`) convolved per tile (memory per group:
#: the tile's cell samples, the next block row's and the halo rows of the previous one).
DEFAULT_TILE_BLOCKS = 1

#: Stage labels of the block streams (part of the random-stream key).
STAGE_CELLS = 1
STAGE_READ = 2


def root_seed(seed: int | np.random.Generator | None) -> int:
    """One integer root for the block streams of a stage.

    A generator gives one draw (so consecutive stages of an acquisition get independent
    roots in a fixed order); an integer is used as it is; ``None`` draws fresh entropy.
    """
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if seed is None:
        return int(np.random.SeedSequence().generate_state(2, np.uint64)[0] >> np.uint64(1))
    return int(seed)


def block_generator(root: int, *key: int) -> np.random.Generator:
    """The generator of one block: PCG64 seeded by ``SeedSequence(root, spawn_key=key)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(root,
                                                                       spawn_key=key)))


def block_grid(n: int, size: int) -> list[tuple[int, int]]:
    """Half-open ranges ``[start, stop)`` cutting ``n`` into blocks of ``size``."""
    return [(s, min(s + size, n)) for s in range(0, n, size)]


def halo_window(
    blocks: dict[tuple[int, int], tuple[int, np.ndarray]],
    cell_edges_y: Sequence[tuple[int, int]],
    cell_edges_x: Sequence[tuple[int, int]],
    lo: tuple[int, int],
    shape: tuple[int, int],
    fft_shape: tuple[int, int],
    out: np.ndarray | None = None,
) -> np.ndarray | None:
    """Cells ``[lo, lo + shape)`` gathered from the sampled blocks, zero outside the map.

    ``blocks`` maps (block row, block column) to (first cell row held, cell charge held):
    the rows of a block above the first row held are no longer needed by any output
    block (they were trimmed to the halo).

    Returned zero-padded to ``fft_shape`` (float32), ready for a real FFT; ``None`` when
    no sampled block overlaps the window (no signal there). ``out``: a float32 array of
    ``fft_shape`` to fill (reused between windows: no fresh pages for every block).
    """
    if out is None:
        out = np.zeros(fft_shape, dtype=np.float32)
    else:
        out.fill(0.0)
    found = False
    y0, x0 = lo
    y1, x1 = y0 + shape[0], x0 + shape[1]
    for bi, (cy0, cy1) in enumerate(cell_edges_y):
        if cy1 <= y0 or cy0 >= y1:
            continue
        for bj, (cx0, cx1) in enumerate(cell_edges_x):
            if cx1 <= x0 or cx0 >= x1:
                continue
            held = blocks.get((bi, bj))
            if held is None:
                continue  # a block with no signal in this group
            hy0, block = held  # a block whose rows above hy0 are no longer needed
            hy1 = hy0 + block.shape[0]
            sy0, sy1 = max(y0, hy0), min(y1, hy1)
            if sy1 <= sy0:
                continue
            sx0, sx1 = max(x0, cx0), min(x1, cx1)
            out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = block[
                sy0 - hy0 : sy1 - hy0, sx0 - cx0 : sx1 - cx0]
            found = True
    return out if found else None
