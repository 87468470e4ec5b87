"""Running the Monte Carlo: batching, seeding, back-ends, reduction of the tallies.

Histories are split into batches whose size depends only on the number of histories
(never on the core count). ``numpy.random.SeedSequence(seed).spawn(n_batches)`` gives
each batch a 128-bit key; inside a batch, history ``j`` seeds its xoroshiro128+ state
from (key, j). Batches run in parallel, each into its own tally arrays, and the batch
tallies are summed in batch order — so a seed gives the same result, to the last bit,
on any number of cores. Batches are processed in chunks so memory is bounded by the
tallies, never by the number of histories.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from perovx.errors import InputError
from perovx.interaction.montecarlo import _layout as L
from perovx.interaction.montecarlo.geometry import Stack
from perovx.interaction.montecarlo.result import MCResult, build_result
from perovx.interaction.montecarlo.sources import (
    FluenceMapSource,
    PencilBeam,
    Source,
    as_spectrum,
)
from perovx.interaction.montecarlo.tables import PackedTables, Physics, pack_tables

__all__ = ["MAX_HISTORIES", "Grid", "Tallies", "batch_plan", "cuda_available", "run"]

#: Largest number of histories of one run.
MAX_HISTORIES = 10**13
_MAX_BATCH = 1 << 20
_MIN_BATCH = 16
_CHUNK_BYTES = 32 * 2**20
_MAX_CHUNK = 64
_MAX_GROUPS = 1024  # batch groups kept for the jackknife uncertainties


@dataclass(frozen=True)
class Grid:
    """A 3-D tally grid over the sensitive layer: x, y bins × depth bins.

    Parameters
    ----------
    nx, ny
        Lateral bins (>= 1).
    nz
        Depth bins across the sensitive layer (>= 1).
    bin_x_m, bin_y_m
        Lateral bin widths, m (> 0); ``bin_y_m`` defaults to ``bin_x_m``.
    centre_x_m, centre_y_m
        Centre of the grid, m.
    """

    nx: int
    ny: int
    nz: int
    bin_x_m: float
    bin_y_m: float | None = None
    centre_x_m: float = 0.0
    centre_y_m: float = 0.0

    def __post_init__(self) -> None:
        for name in ("nx", "ny", "nz"):
            n = getattr(self, name)
            if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
                raise InputError(f"grid {name} must be an integer >= 1, got {n!r}")
        if self.bin_y_m is None:
            object.__setattr__(self, "bin_y_m", self.bin_x_m)
        for name in ("bin_x_m", "bin_y_m"):
            b = getattr(self, name)
            if not (math.isfinite(b) and b > 0):
                raise InputError(f"grid {name} must be a finite number > 0 m, got {b!r} m")
        if self.nx * self.ny * self.nz > 50_000_000:
            raise InputError(
                f"grid of {self.nx}×{self.ny}×{self.nz} bins is too large (limit 5e7 bins)"
            )

    @property
    def x_edges_m(self) -> np.ndarray:
        """Bin edges in x, m."""
        return self.centre_x_m + (np.arange(self.nx + 1) - self.nx / 2) * self.bin_x_m

    @property
    def y_edges_m(self) -> np.ndarray:
        """Bin edges in y, m."""
        return self.centre_y_m + (np.arange(self.ny + 1) - self.ny / 2) * self.bin_y_m


@dataclass(frozen=True)
class Tallies:
    """What to tally besides the scalar results.

    Parameters
    ----------
    pulse_height_bins
        Bins of the pulse-height spectrum from 0 to the highest source energy (>= 16).
    depth_bins
        Bins of the depth profiles across the sensitive layer (>= 1).
    grid
        Optional 3-D energy-deposition grid over the sensitive layer.
    full_energy_threshold
        Fraction of the photon energy a history must deposit to count in the
        full-energy peak, in (0, 1].
    """

    pulse_height_bins: int = 4096
    depth_bins: int = 100
    grid: Grid | None = None
    full_energy_threshold: float = 0.99

    def __post_init__(self) -> None:
        if not (16 <= self.pulse_height_bins <= 1_000_000):
            raise InputError(
                f"pulse_height_bins must be within 16–1000000, got {self.pulse_height_bins!r}"
            )
        if not (1 <= self.depth_bins <= 100_000):
            raise InputError(f"depth_bins must be within 1–100000, got {self.depth_bins!r}")
        if not (0 < self.full_energy_threshold <= 1):
            raise InputError(
                f"full_energy_threshold must be in (0, 1], got {self.full_energy_threshold!r}"
            )


def _histories(value: Any) -> int:
    try:
        n = float(value)
    except (TypeError, ValueError):
        raise InputError(f"histories must be a whole number >= 1, got {value!r}") from None
    if not (math.isfinite(n) and n == int(n) and 1 <= n <= MAX_HISTORIES):
        raise InputError(
            f"histories must be a whole number within 1–{MAX_HISTORIES:.0e}, got {value!r}"
        )
    return int(n)


def batch_plan(histories: int) -> np.ndarray:
    """Histories of each batch: a function of ``histories`` only."""
    size = min(_MAX_BATCH, max(_MIN_BATCH, -(-histories // 64)))
    n = -(-histories // size)
    out = np.full(n, size, dtype=np.int64)
    out[-1] = histories - size * (n - 1)
    return out


def batch_keys(seed: int, n_batches: int) -> np.ndarray:
    """128-bit RNG key of each batch from ``SeedSequence(seed).spawn(n_batches)``."""
    children = np.random.SeedSequence(seed).spawn(n_batches)
    return np.array([c.generate_state(2, dtype=np.uint64) for c in children], dtype=np.uint64)


def _with_fluence_map(packed: PackedTables, source: FluenceMapSource,
                      weights: np.ndarray) -> PackedTables:
    """Append the cumulative table of a fluence map to the packed arrays."""
    from dataclasses import replace

    cdf = source.cumulative(weights)
    F = np.concatenate([packed.F, cdf])
    IX = packed.IX.copy()
    ny, nx = source.shape
    IX[L.O_MAPCDF] = packed.F.size
    IX[L.I_MAPNX], IX[L.I_MAPNY] = nx, ny
    IX[L.I_MAPNE] = weights.shape[0] if weights.ndim == 3 else 0
    IX[L.I_MAPN] = cdf.size
    F.flags.writeable = False
    IX.flags.writeable = False
    return replace(packed, F=F, IX=IX)


def cuda_available() -> bool:
    """Whether ``backend="cuda"`` can run here: numba's CUDA support and an NVIDIA GPU
    with a working driver (``numba.cuda.is_available()``)."""
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:  # no CUDA support in this numba, a broken driver
        return False


def _cpu_runner(threads: int | None) -> tuple[Callable[..., None], int]:
    import numba

    from perovx.interaction.montecarlo._cpu import run_batches

    available = numba.config.NUMBA_NUM_THREADS
    if threads is None:
        threads = numba.get_num_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= available:
        raise InputError(f"threads must be an integer within 1–{available}, got {threads!r}")

    def runner(*args: Any) -> None:
        previous = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            run_batches(*args)
        finally:
            numba.set_num_threads(previous)

    return runner, threads


def run(
    stack: Stack,
    beam: Any,
    *,
    source: Source | None = None,
    histories: int | float = 1_000_000,
    seed: int = 0,
    physics: Physics | None = None,
    tallies: Tallies | None = None,
    backend: Literal["cpu", "cuda"] = "cpu",
    threads: int | None = None,
    progress: bool | Callable[[int, int], None] = False,
) -> MCResult:
    """Simulate photon histories in a layer stack.

    Parameters
    ----------
    stack
        The detector stack (:class:`~perovx.interaction.montecarlo.geometry.Stack`).
    beam
        Photon energies: keV (float), a beam name (``"60keV"``, ``"RQA5"``), a ``Beam``
        or a :class:`~perovx.interaction.montecarlo.sources.Spectrum`. 1–800 keV.
    source
        Geometry of the source; default a pencil beam at normal incidence on (0, 0). A
        :class:`~perovx.interaction.montecarlo.sources.FluenceMapSource` with a spectrum
        per cell takes its energies from ``beam`` (one line per energy plane) and their
        probabilities from the map.
    histories
        Number of source photons, 1–10¹³.
    seed
        Seed (int >= 0); the result for a seed is the same on any number of cores.
    physics
        Physics options (:class:`~perovx.interaction.montecarlo.tables.Physics`).
    tallies
        Binning of the spectra, profiles and optional 3-D grid.
    backend
        ``"cpu"`` (numba, all cores) or ``"cuda"`` (numba.cuda on an NVIDIA GPU).
    threads
        CPU threads (default: all numba threads).
    progress
        ``True`` for a progress bar on stderr, or a callable ``f(done, total)`` called
        after every chunk of batches.

    Returns
    -------
    MCResult
        Tallies and derived quantities with 1σ uncertainties from batch statistics.
    """
    n = _histories(histories)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be an integer >= 0, got {seed!r}")
    if not isinstance(stack, Stack):
        raise InputError(f"stack must be a Stack, got {type(stack).__name__}")
    spectrum = as_spectrum(beam)
    source = PencilBeam() if source is None else source
    map_weights = None
    if isinstance(source, FluenceMapSource):
        spectrum, map_weights = source.spectrum_for(spectrum)
    physics = Physics() if physics is None else physics
    tallies = Tallies() if tallies is None else tallies
    grid = None
    if tallies.grid is not None:
        gr = tallies.grid
        grid = (
            gr.nx, gr.ny, gr.nz, float(gr.x_edges_m[0]), float(gr.y_edges_m[0]),
            gr.bin_x_m, float(gr.bin_y_m),
        )
    packed = pack_tables(
        stack,
        spectrum,
        source,
        physics,
        pulse_height_bins=tallies.pulse_height_bins,
        depth_bins=tallies.depth_bins,
        grid=grid,
        full_energy_threshold=tallies.full_energy_threshold,
    )
    if isinstance(source, FluenceMapSource):
        assert map_weights is not None
        packed = _with_fluence_map(packed, source, map_weights)
    if backend == "cpu":
        runner, threads_used = _cpu_runner(threads)
    elif backend == "cuda":
        from perovx.interaction.montecarlo._cuda import cuda_runner

        runner, threads_used = cuda_runner()
    else:
        raise InputError(f"backend must be 'cpu' or 'cuda', got {backend!r}")

    plan = batch_plan(n)
    keys = batch_keys(int(seed), plan.size)
    nsmall = int(packed.IX[L.I_NSMALL])
    nbig = max(1, int(packed.IX[L.I_NBIG]))
    # a runner that keeps the grid tally itself (the GPU's, on the device) is given one
    # row for it and read once at the end
    grid_total = getattr(runner, "grid_total", None)
    per_batch = 8 * (nsmall + (0 if grid_total is not None else nbig) + L.NS)
    # at least one batch per thread in flight, even when a large grid makes the chunk
    # exceed _CHUNK_BYTES (never more batches than the run has)
    chunk = max(1, min(plan.size, max(threads_used, min(_MAX_CHUNK, _CHUNK_BYTES // per_batch))))

    small = np.zeros((chunk, nsmall))
    big = np.zeros((chunk if grid_total is None else 1, nbig))
    work = (
        np.zeros((chunk, 2), dtype=np.uint64),
        np.zeros((chunk, L.MAXST, L.NPF)),
        np.zeros((chunk, L.MAXV, 2)),
        np.zeros((chunk, L.MAXDEP, 5)),
        np.zeros((chunk, L.NINFO)),
    )
    # compile (or load from cache) outside the timing
    runner(packed.F, packed.IX, keys[:1], np.zeros(1, np.int64), np.zeros((1, L.NS)),
           small[:1], big[:1], *(a[:1] for a in work))

    # batch statistics for the uncertainties, merged into at most _MAX_GROUPS groups of
    # consecutive batches so memory stays bounded for any number of histories
    n_groups = min(plan.size, _MAX_GROUPS)
    group_of = np.arange(plan.size) * n_groups // plan.size
    stats_all = np.zeros((n_groups, L.NS))
    stats = np.zeros((chunk, L.NS))
    small_sum = np.zeros(nsmall)
    big_sum = np.zeros(nbig)
    report = _progress(progress, n)
    elapsed = 0.0
    done = 0
    try:
        for b0 in range(0, plan.size, chunk):
            b1 = min(plan.size, b0 + chunk)
            k = b1 - b0
            t0 = time.perf_counter()
            runner(packed.F, packed.IX, keys[b0:b1], plan[b0:b1], stats[:k],
                   small[:k], big[:k], *(a[:k] for a in work))
            elapsed += time.perf_counter() - t0
            for i in range(k):  # batch order: deterministic sums
                small_sum += small[i]
                if grid_total is None:
                    big_sum += big[i]
                row = stats_all[group_of[b0 + i]]
                err = max(row[L.S_ERR], stats[i, L.S_ERR])
                row += stats[i]
                row[L.S_ERR] = err
            done += int(plan[b0:b1].sum())
            report(done)
    finally:
        report(-1)
    if grid_total is not None:
        t0 = time.perf_counter()
        big_sum = np.asarray(grid_total(), dtype=np.float64).reshape(nbig)
        elapsed += time.perf_counter() - t0
    return build_result(
        stats_all,
        small_sum,
        big_sum,
        packed=packed,
        stack=stack,
        spectrum=spectrum,
        tallies=tallies,
        seed=int(seed),
        backend=backend,
        threads=threads_used,
        batch_size=int(plan[0]),
        n_batches=int(plan.size),
        elapsed_s=elapsed,
    )


def _progress(progress: bool | Callable[[int, int], None], total: int) -> Callable[[int], None]:
    if callable(progress):
        return lambda done: progress(done, total) if done >= 0 else None
    if not progress:
        return lambda done: None
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("Monte Carlo"),
        BarColumn(),
        TextColumn("{task.completed:.3g}/{task.total:.3g} histories"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("mc", total=total)
    bar.start()

    def update(done: int) -> None:
        if done < 0:
            bar.stop()
        else:
            bar.update(task, completed=done)

    return update
