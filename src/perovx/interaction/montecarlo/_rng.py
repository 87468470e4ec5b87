"""Random numbers of the Monte Carlo kernel: xoroshiro128+ seeded by splitmix64, and
exponential variates by the ziggurat method.

xoroshiro128+ (Blackman & Vigna 2018); splitmix64 (Steele, Lea & Flood 2014). Each
history seeds its own state from the 128-bit key of its batch and its index in it.
Free paths in mean free paths, −ln(1 − u), come from :func:`rng_exp`: the ziggurat of
Marsaglia & Tsang (2000, J. Stat. Softw. 5(8)) with 256 layers, which is exact in
distribution and needs a logarithm only in the tail beyond 7.7 (one draw in 2200) and an
exponential in the wedges (about one draw in 90).
"""

from __future__ import annotations

import math

import numpy as np

from ._compile import device_jit, inline_jit, uidx

__all__ = ["ZIG_LAYERS", "rng_exp", "rng_exp_rare", "rng_next", "rng_next_bits", "rng_seed",
    "rng_uniform", "splitmix64", "ziggurat_exponential"]

INV_2POW53 = 1.0 / 9007199254740992.0

U64_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
U64_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
U64_MIX2 = np.uint64(0x94D049BB133111EB)
U64_3 = np.uint64(3)
U64_11 = np.uint64(11)
U64_16 = np.uint64(16)
U64_24 = np.uint64(24)
U64_27 = np.uint64(27)
U64_30 = np.uint64(30)
U64_31 = np.uint64(31)
U64_37 = np.uint64(37)
U64_40 = np.uint64(40)
U64_53M = np.uint64((1 << 53) - 1)
U64_56 = np.uint64(56)

ZIG_LAYERS = 256


def ziggurat_exponential(n: int = ZIG_LAYERS) -> tuple[float, np.ndarray]:
    """Tail start ``r`` and the ``(n, 4)`` layer table of the exponential ziggurat.

    The density exp(−x) on x >= 0 is covered by ``n`` layers of equal area ``v``: the
    base layer is the rectangle of height exp(−r) and width v·e^r (its part beyond ``r``
    stands for the tail, v = (r + 1) e^(−r)); layer ``i`` >= 1 spans heights
    exp(−X[i−1]) … exp(−X[i]) over the width X[i−1], with X[0] = r and X[n−1] = 0.
    ``r`` is found by bisection so that the top layer ends at height 1 (Marsaglia &
    Tsang 2000 give r = 7.69711747013104972 for n = 256).

    Columns: width of the layer divided by 2⁵³ (so that a 53-bit integer times it is a
    uniform point across the layer), the inner edge X[i] below which a point is accepted
    at once, and the heights exp(−x) at the outer and the inner edge.
    """

    def top(r: float) -> float:
        v = (r + 1.0) * math.exp(-r)
        x = r
        for _ in range(n - 2):
            f = math.exp(-x) + v / x
            if f >= 1.0:
                return 2.0  # closed too early: r too small
            x = -math.log(f)
        return math.exp(-x) + v / x

    lo, hi = 1.0, 20.0
    for _ in range(200):  # top(r) falls as r grows; find top(r) = 1
        mid = 0.5 * (lo + hi)
        if top(mid) > 1.0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    r = 0.5 * (lo + hi)
    v = (r + 1.0) * math.exp(-r)
    edges = [r]
    for _ in range(n - 2):
        edges.append(-math.log(math.exp(-edges[-1]) + v / edges[-1]))
    edges.append(0.0)
    table = np.empty((n, 4))
    for i in range(n):
        width = v * math.exp(r) if i == 0 else edges[i - 1]
        table[i, 0] = width / 9007199254740992.0
        table[i, 1] = edges[i]
        table[i, 2] = math.exp(-width) if i > 0 else math.exp(-r)
        table[i, 3] = math.exp(-edges[i])
    return r, table


ZIG_R, ZIG = ziggurat_exponential()


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


@inline_jit
def rng_next_bits(s0, s1):
    """xoroshiro128+ on a state held in two local uint64: (64 random bits, s0, s1)."""
    r = s0 + s1
    s1 = s1 ^ s0
    n0 = ((s0 << U64_24) | (s0 >> U64_40)) ^ s1 ^ (s1 << U64_16)
    n1 = (s1 << U64_37) | (s1 >> U64_27)
    return r, n0, n1


@device_jit
def rng_exp_rare(i, x, s0, s1):
    """The rare branches of :func:`rng_exp` (a point outside the inner rectangle of layer
    ``i`` at ``x``): tail, wedge test, and new draws until one is accepted.

    A called function, not inlined, so that the hot path of the transport stays short.
    """
    for _ in range(1000):
        _r0, s0, s1 = rng_next(s0, s1)
        if i == 0:
            return ZIG_R - math.log(1.0 - _r0), s0, s1
        if ZIG[i, 2] + _r0 * (ZIG[i, 3] - ZIG[i, 2]) < math.exp(-x):
            return x, s0, s1
        bits, s0, s1 = rng_next_bits(s0, s1)
        i = int(bits >> U64_56)
        x = float((bits >> U64_3) & U64_53M) * ZIG[i, 0]
        if x < ZIG[i, 1]:
            return x, s0, s1
    _r0, s0, s1 = rng_next(s0, s1)
    return -math.log(1.0 - _r0), s0, s1


@inline_jit
def rng_exp(s0, s1):
    """An exponential variate of mean 1 (the distribution of −ln(1 − u)): (x, s0, s1).

    Ziggurat of Marsaglia & Tsang (2000) over the table :data:`ZIG`: the layer comes from
    the 8 high bits of one 64-bit draw, the point across it from the 53 bits below; a
    point inside the layer's inner rectangle (98 % of draws) is returned at once; the
    rest goes to :func:`rng_exp_rare`: a point in a wedge is kept if it falls under
    exp(−x), the base layer's overhang becomes r − ln(1 − u) (the tail beyond r, by the
    memorylessness of the exponential), and a rejected point starts a new draw.
    """
    bits, s0, s1 = rng_next_bits(s0, s1)
    i = uidx(bits >> U64_56)
    x = float((bits >> U64_3) & U64_53M) * ZIG[i, 0]
    if x < ZIG[i, 1]:
        return x, s0, s1
    return rng_exp_rare(int(i), x, s0, s1)
