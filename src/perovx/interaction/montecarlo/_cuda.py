"""CUDA back-end of the Monte Carlo (numba.cuda), running the physics of :mod:`._cpu`.

The device functions are not written twice: the Python source of every function named
in ``_cpu.DEVICE_FUNCTIONS`` (found in ``_cpu.KERNEL_MODULES``) is recompiled with
``numba.cuda.jit(device=True)`` in a namespace where the calls between them resolve to
the CUDA versions, and where
``tally_add`` is an atomic add. Histories are spread over threads: the blocks of one
batch share a key, thread ``t`` of the batch runs histories ``t, t + T, t + 2T, …`` with
the same per-history seeding as the CPU (so both back-ends simulate the same histories,
up to the last-bit differences of the GPU's ``log``/``sqrt``). Scalar statistics are
accumulated per thread and the small tallies (spectra, profiles) per block in shared
memory, then added atomically; floating-point sums in a different order make GPU
results reproducible statistically, not bit for bit.

``NUMBA_ENABLE_CUDASIM=1`` runs this module on the numba CUDA simulator (slow, for
tests without a GPU).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from perovx.errors import InputError
from perovx.interaction.montecarlo import _cpu
from perovx.interaction.montecarlo import _layout as L

__all__ = ["CudaRunner", "cuda_runner", "device_namespace", "kernel_function"]

SHARED_TALLY_SLOTS = 6144  # float64 slots of the per-block shared tally (48 KiB)
# Launch shape and register cap measured on an H200 (numba-cuda 0.30, MAPbI3 60 keV,
# docs/performance.md): 64 histories per thread 1.02x over 16 (fewer per-thread tally
# flushes); the compiler's 218 registers allow 8 warps per multiprocessor, a cap of 128
# allows 16 and ran 1.08x (168: 1.06x, 96: 1.04x, 64: 0.91-1.07x).
THREADS_PER_BLOCK = 128
HISTORIES_PER_THREAD = 64
MAX_REGISTERS = 128
#: Environment variable setting the kernel's register cap per thread (16–255; default
#: :data:`MAX_REGISTERS`): fewer registers let more warps run at once, at the cost of
#: spills to local memory.
ENV_MAX_REGISTERS = "PEROVX_CUDA_MAX_REGISTERS"


def max_registers() -> int:
    """The register cap of the kernel: ``PEROVX_CUDA_MAX_REGISTERS`` (16–255), else
    :data:`MAX_REGISTERS`."""
    import os

    text = os.environ.get(ENV_MAX_REGISTERS, "").strip()
    if not text:
        return MAX_REGISTERS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 16 <= value <= 255:
        raise InputError(f"{ENV_MAX_REGISTERS} must be an integer within 16–255, got {text!r}")
    return value


def _tally_add_atomic(arr, k, value):
    cuda.atomic.add(arr, k, value)  # noqa: F821 - resolved in the CUDA namespace


def _run_batches_cuda(F, IX, keys, nhist, stats, small, big, blocks_per_batch, use_shared):
    sh = cuda.shared.array(SHARED_TALLY_SLOTS, float64)  # noqa: F821
    st = cuda.local.array(2, uint64)  # noqa: F821
    stack = cuda.local.array((MAXST, NPF), float64)  # noqa: F821
    vac = cuda.local.array((MAXV, 2), float64)  # noqa: F821
    dep = cuda.local.array((MAXDEP, 5), float64)  # noqa: F821
    info = cuda.local.array(NINFO, float64)  # noqa: F821
    acc = cuda.local.array(NS, float64)  # noqa: F821
    b = cuda.blockIdx.x // blocks_per_batch  # noqa: F821
    blk = cuda.blockIdx.x % blocks_per_batch  # noqa: F821
    tid = cuda.threadIdx.x  # noqa: F821
    nthreads = cuda.blockDim.x  # noqa: F821
    nsmall = small.shape[1]
    if use_shared:
        k = tid
        while k < nsmall:
            sh[k] = 0.0
            k += nthreads
    cuda.syncthreads()  # noqa: F821
    for k in range(NS):  # noqa: F821
        acc[k] = 0.0
    stride = blocks_per_batch * nthreads
    j = blk * nthreads + tid
    n = nhist[b]
    row_small = small[b]
    row_big = big[b % big.shape[0]]  # one row: the grid is summed over all batches
    count = 0
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
    while j < n:
        rng_seed(st, keys[b, 0], keys[b, 1], j)  # noqa: F821
        nd = simulate_history(F, IX, st, stack, vac, dep, info)  # noqa: F821
        if use_shared:
            e_inc, e_sens, e_all, flags, err = tally_history(  # noqa: F821
                F, IX, dep, nd, info, acc, sh, row_big
            )
        else:
            e_inc, e_sens, e_all, flags, err = tally_history(  # noqa: F821
                F, IX, dep, nd, info, acc, row_small, row_big
            )
        count += 1
        s_einc += e_inc
        s_einc2 += e_inc * e_inc
        s_dep += e_sens
        s_dep2 += e_sens * e_sens
        s_depall += e_all
        c_pos += flags & FLAG_POS  # noqa: F821
        c_full += (flags & FLAG_FULL) >> 1  # noqa: F821
        c_int += (flags & FLAG_INT) >> 2  # noqa: F821
        c_first += (flags & FLAG_FIRST) >> 3  # noqa: F821
        c_k += (flags & FLAG_KESC) >> 4  # noqa: F821
        c_l += (flags & FLAG_LESC) >> 5  # noqa: F821
        if err > err_max:
            err_max = err
        j += stride
    add_history_stats(  # noqa: F821
        acc, float(count), s_einc, s_einc2, s_dep, s_dep2, s_depall, float(c_pos),
        float(c_full), float(c_int), float(c_first), float(c_k), float(c_l), err_max,
    )
    for k in range(NS):  # noqa: F821
        if k == S_ERR:  # noqa: F821
            cuda.atomic.max(stats, (b, k), acc[k])  # noqa: F821
        elif acc[k] != 0.0:
            cuda.atomic.add(stats, (b, k), acc[k])  # noqa: F821
    cuda.syncthreads()  # noqa: F821
    if use_shared:
        k = tid
        while k < nsmall:
            if sh[k] != 0.0:
                cuda.atomic.add(small, (b, k), sh[k])  # noqa: F821
            k += nthreads


def _rebind(func: Callable[..., Any], namespace: dict[str, Any], name: str) -> Any:
    return types.FunctionType(func.__code__, namespace, name, func.__defaults__, func.__closure__)


def device_namespace() -> dict[str, Any]:
    """Globals in which the device functions of ``_cpu`` are rebuilt for CUDA."""
    from numba import cuda, float64, uint64

    ns: dict[str, Any] = {}
    for module in _cpu.KERNEL_MODULES:
        ns.update(vars(module))
    ns.update({k: v for k, v in vars(L).items() if k.isupper()})
    ns.update(
        cuda=cuda, float64=float64, uint64=uint64, SHARED_TALLY_SLOTS=SHARED_TALLY_SLOTS
    )
    for name in _cpu.DEVICE_FUNCTIONS:
        py = _tally_add_atomic if name == "tally_add" else ns[name].py_func
        ns[name] = cuda.jit(device=True)(_rebind(py, ns, name))
    return ns


def kernel_function() -> Callable[..., None]:
    """The Python function of the CUDA kernel, bound to the CUDA device functions."""
    return _rebind(_run_batches_cuda, device_namespace(), "run_batches_cuda")


@functools.cache
def _kernel(registers: int | None = None) -> Any:
    """Compile (lazily) the device functions and the kernel for CUDA, with at most
    ``registers`` registers per thread (None: the compiler's choice)."""
    from numba import config, cuda

    # the simulator (NUMBA_ENABLE_CUDASIM) has no registers to cap
    options = {} if registers is None or config.ENABLE_CUDASIM else {"max_registers": registers}
    return cuda.jit(kernel_function(), **options)


class CudaRunner:
    """Runs batches on the GPU with the signature of ``_cpu.run_batches``.

    The tables stay on the device between calls, and so does the 3-D grid tally
    (:meth:`grid_total`): every batch of every call adds into one device array, which
    the host reads once at the end, instead of moving a grid per batch over the bus (the
    engine calls :meth:`grid_total` instead of summing the runner's grid rows).
    ``threads_per_block`` and ``histories_per_thread`` set the launch shape (default:
    the module's :data:`THREADS_PER_BLOCK` and :data:`HISTORIES_PER_THREAD`), and
    ``PEROVX_CUDA_MAX_REGISTERS`` the kernel's register cap.
    """

    def __init__(self, threads_per_block: int | None = None,
                 histories_per_thread: int | None = None) -> None:
        from numba import cuda

        self._cuda = cuda
        self._kernel = _kernel(max_registers())
        # module values read at construction, so a benchmark can set them
        self.threads_per_block = int(threads_per_block or THREADS_PER_BLOCK)
        self.histories_per_thread = int(histories_per_thread or HISTORIES_PER_THREAD)
        self._tables: tuple[int, Any, Any] | None = None
        self._grid: Any = None

    def __call__(self, F, IX, keys, nhist, stats, small, big, *_work) -> None:
        cuda = self._cuda
        if self._tables is None or self._tables[0] != id(F):
            self._tables = (id(F), cuda.to_device(F), cuda.to_device(IX))
        _, d_F, d_I = self._tables
        if self._grid is None or self._grid.shape[1] != big.shape[1]:
            self._grid = cuda.to_device(np.zeros((1, big.shape[1])))
        nb = nhist.shape[0]
        per_block = self.threads_per_block * self.histories_per_thread
        blocks_per_batch = max(1, -(-int(nhist.max(initial=0)) // per_block))
        d_stats = cuda.to_device(np.zeros_like(stats))
        d_small = cuda.to_device(np.zeros_like(small))
        use_shared = small.shape[1] <= SHARED_TALLY_SLOTS
        with np.errstate(over="ignore"):  # uint64 arithmetic wraps (simulator: numpy scalars)
            self._kernel[nb * blocks_per_batch, self.threads_per_block](
                d_F, d_I, cuda.to_device(np.ascontiguousarray(keys)),
                cuda.to_device(np.ascontiguousarray(nhist)), d_stats, d_small, self._grid,
                blocks_per_batch, use_shared,
            )
        stats[...] = d_stats.copy_to_host()
        small[...] = d_small.copy_to_host()

    def grid_total(self) -> np.ndarray:
        """The grid tally summed over every batch run so far (keV per cell, unnormalised)."""
        if self._grid is None:
            return np.zeros(0)
        return self._grid.copy_to_host()[0]


def cuda_runner(threads_per_block: int | None = None,
                histories_per_thread: int | None = None) -> tuple[CudaRunner, int]:
    """A :class:`CudaRunner` and 1 (the "thread" count used for per-core rates).

    Raises
    ------
    InputError
        Without numba's CUDA support or an NVIDIA GPU with a working driver.
    """
    from perovx.interaction.montecarlo.engine import cuda_available

    if not cuda_available():
        raise InputError(
            "backend='cuda' needs an NVIDIA GPU with a working CUDA driver; none was found "
            "(numba.cuda.is_available() is False); use backend='cpu'"
        )
    return CudaRunner(threads_per_block, histories_per_thread), 1
