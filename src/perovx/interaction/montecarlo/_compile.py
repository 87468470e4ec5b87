"""How the Monte Carlo device functions are compiled (numba options), and scalar helpers.

Every device function of the kernel is decorated with :data:`device_jit` or, when it is
small and hot, :data:`inline_jit` (inlined at the numba-IR level into its callers).
"""

from __future__ import annotations

import math

import numba

__all__ = ["INF", "NO_NRT", "device_jit", "fmax", "fmin", "inline_jit", "tally_add"]


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


NO_NRT = _without_nrt()
#: Decorator of a device function (compiled on first use, cached on disk).
device_jit = numba.njit(cache=True, nogil=True, error_model="numpy", **NO_NRT)
#: Decorator of a small hot device function, inlined at the numba-IR level into callers.
inline_jit = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always",
                        **NO_NRT)

INF = math.inf


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
    arr[k] += value
