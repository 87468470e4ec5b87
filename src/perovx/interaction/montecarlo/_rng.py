"""Random numbers of the Monte Carlo kernel: xoroshiro128+ seeded by splitmix64.

xoroshiro128+ (Blackman & Vigna 2018); splitmix64 (Steele, Lea & Flood 2014). Each
history seeds its own state from the 128-bit key of its batch and its index in it.
"""

from __future__ import annotations

import numpy as np

from ._compile import device_jit, inline_jit

__all__ = ["rng_next", "rng_seed", "rng_uniform", "splitmix64"]

INV_2POW53 = 1.0 / 9007199254740992.0

U64_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
U64_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
U64_MIX2 = np.uint64(0x94D049BB133111EB)
U64_11 = np.uint64(11)
U64_16 = np.uint64(16)
U64_24 = np.uint64(24)
U64_27 = np.uint64(27)
U64_30 = np.uint64(30)
U64_31 = np.uint64(31)
U64_37 = np.uint64(37)
U64_40 = np.uint64(40)


# ------------------------------------------------------------------------ random numbers
@device_jit
def splitmix64(z):
    """One step of splitmix64 (Steele, Lea & Flood 2014) on a uint64."""
    z = z + U64_GOLDEN
    z = (z ^ (z >> U64_30)) * U64_MIX1
    z = (z ^ (z >> U64_27)) * U64_MIX2
    return z ^ (z >> U64_31)


@device_jit
def rng_seed(st, key0, key1, index):
    """Seed xoroshiro128+ state ``st`` for history ``index`` of the batch keyed (key0, key1)."""
    step = np.uint64(index) * U64_GOLDEN
    a = splitmix64(key0 + step)
    b = splitmix64(key1 + step)
    if a == 0 and b == 0:
        a = U64_GOLDEN
    st[0] = a
    st[1] = b


@device_jit
def rng_uniform(st):
    """Next uniform double in [0, 1) from xoroshiro128+ (53 high bits)."""
    s0 = st[0]
    s1 = st[1]
    r = s0 + s1
    s1 = s1 ^ s0
    st[0] = ((s0 << U64_24) | (s0 >> U64_40)) ^ s1 ^ (s1 << U64_16)
    st[1] = (s1 << U64_37) | (s1 >> U64_27)
    return float(r >> U64_11) * INV_2POW53


@inline_jit
def rng_next(s0, s1):
    """xoroshiro128+ on a state held in two local uint64: (uniform in [0, 1), s0, s1).

    The same generator and stream as :func:`rng_uniform`; the kernels carry the state in
    local variables (registers) instead of reading and writing an array on every draw.
    """
    r = s0 + s1
    s1 = s1 ^ s0
    n0 = ((s0 << U64_24) | (s0 >> U64_40)) ^ s1 ^ (s1 << U64_16)
    n1 = (s1 << U64_37) | (s1 >> U64_27)
    return float(r >> U64_11) * INV_2POW53, n0, n1
