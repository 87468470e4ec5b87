"""How the Monte Carlo device functions are compiled (numba options), and scalar helpers.

Every device function of the kernel is decorated with :data:`device_jit` or, when it is
small and hot, :data:`inline_jit` (inlined at the numba-IR level into its callers).
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path

import numba
import numpy as np

__all__ = ["INF", "NO_NRT", "device_jit", "fmax", "fmin", "inline_jit", "tally_add", "uidx"]


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


def _stamp_with_every_kernel_module() -> None:
    """Make numba's on-disk cache of the functions here depend on every kernel module.

    numba checks a cached function against the text of its own file only, while the
    kernels inline functions from the other modules of this folder: an edit to
    ``_history.py`` would leave ``run_batch`` (in ``_cpu.py``) running the old history
    from the cache. Cache locators placed first in numba's list give the functions of
    this folder a stamp hashed from the text of all its ``_*.py`` modules. A numba
    without that (private) list keeps its own per-file stamps.
    """
    try:
        from numba.core import caching

        bases = (caching.UserProvidedCacheLocator, caching.InTreeCacheLocator)
        registry = caching.CacheImpl._locator_classes
    except (ImportError, AttributeError):
        return
    folder = Path(__file__).resolve().parent

    @functools.cache
    def stamp(files: tuple[tuple[str, int, int], ...]) -> bytes:
        digest = hashlib.sha256()
        for name, _mtime, _size in files:
            digest.update(name.encode())
            digest.update((folder / name).read_bytes())
        return digest.digest()

    class _KernelStamp:
        def get_source_stamp(self) -> bytes:
            found = []
            for path in sorted(folder.glob("_*.py")):
                st = path.stat()
                found.append((path.name, st.st_mtime_ns, st.st_size))
            return stamp(tuple(found))

        @classmethod
        def from_function(cls, py_func, py_file):
            if Path(py_file).resolve().parent != folder:
                return None
            return super().from_function(py_func, py_file)

    mine = [type(f"Kernel{base.__name__}", (_KernelStamp, base), {}) for base in bases]
    registry[:0] = mine


_stamp_with_every_kernel_module()
NO_NRT = _without_nrt()
#: Decorator of a device function (compiled on first use, cached on disk).
device_jit = numba.njit(cache=True, nogil=True, error_model="numpy", **NO_NRT)
#: Decorator of a small hot device function, inlined at the numba-IR level into callers.
inline_jit = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always",
                        **NO_NRT)

INF = math.inf
#: An array index known to be >= 0, cast to uint64: numba then indexes without the
#: wraparound of negative indices (two more instructions on the chain of every load).
uidx = np.uint64


# ------------------------------------------------------------------------ helpers
@device_jit
def fmin(a, b):
    """Smaller of two floats (builtin min is not available on every target)."""
    return a if a < b else b


@device_jit
def fmax(a, b):
    """Larger of two floats."""
    return a if a > b else b


@device_jit
def tally_add(arr, k, value):
    """Add ``value`` to ``arr[k]`` (atomic in the CUDA build)."""
    arr[uidx(k)] += value
