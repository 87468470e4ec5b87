"""Statistics of the compiled cell sampler (readout/_cell_kernel.py).

Reference distributions are analytic: the standard normal (scipy.stats), a compound
Poisson sum with mean λm and variance λ⟨Q²⟩, P(no photon) = e^(−λ). Tolerances are
about five standard errors of the estimates for the sample sizes used.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from perovx.readout import _cell_kernel as ck
from perovx.readout.frame import EXACT_BELOW_PHOTONS, sample_cell_charge


class _Spread:
    def __init__(self, mean: float, mean_square: float) -> None:
        self.mean_electrons = mean
        self.mean_square_electrons2 = mean_square


def _block(lam: float, mean: float, msq: float, n: int = 1024, seed: int = 5) -> np.ndarray:
    var = max(msq - mean * mean, 0.0)
    shape, scale = (mean * mean / var, var / mean) if var > 0 else (0.0, 0.0)
    out = np.empty((n, n), dtype=np.float32)
    empty = np.empty((0, 0), dtype=np.float32)
    state = np.random.default_rng(seed).bit_generator.random_raw(4).astype(np.uint64)
    ck.sample_block(out, np.full((1, 1), lam, dtype=np.float32), 1.0, empty, empty, 0, 0, 2,
                    mean, msq, shape, scale, True, state)
    return out.astype(np.float64).ravel()


def test_kernel_threshold_is_the_frame_threshold():
    assert ck.EXACT_BELOW_PHOTONS == EXACT_BELOW_PHOTONS


def test_normal_path_is_standard_normal():
    z = (_block(1e6, 1.0, 1.0) - 1e6) / 1e3  # λ = 10⁶ photons of charge 1: N(10⁶, 10⁶)
    n = z.size
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert z.var() == pytest.approx(1.0, abs=5 * math.sqrt(2 / n))
    assert abs(stats.skew(z)) < 5 * math.sqrt(6 / n)
    assert abs(stats.kurtosis(z)) < 5 * math.sqrt(24 / n)
    assert stats.kstest(z, "norm").pvalue > 1e-4
    for t in (2.0, 3.0):  # tail counts against 2Φ(−t)
        expected = 2 * stats.norm.sf(t) * n
        assert abs((np.abs(z) > t).sum() - expected) < 5 * math.sqrt(expected)


def test_low_count_cells_are_compound_poisson_gamma():
    lam, m, var = 2.5, 1000.0, 2e5
    q = _block(lam, m, var + m * m)
    n = q.size
    assert q.mean() == pytest.approx(lam * m, rel=5 * math.sqrt((var + m * m) / lam / n) / m)
    assert q.var() == pytest.approx(lam * (var + m * m), rel=0.02)
    p0 = math.exp(-lam)
    assert (q == 0).mean() == pytest.approx(p0, abs=5 * math.sqrt(p0 * (1 - p0) / n))
    # a gamma shape below 1 (broad charge per photon): m = 1, ⟨Q²⟩ = 5
    q = _block(1.0, 1.0, 5.0)
    assert q.mean() == pytest.approx(1.0, abs=5 * math.sqrt(5.0 / q.size))
    assert q.var() == pytest.approx(5.0, rel=0.03)


def test_neighbouring_cells_are_independent_and_streams_are_seeded():
    z = _block(1e6, 1.0, 1.0)
    n = z.size
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 5 / math.sqrt(n)
    assert np.array_equal(_block(1e6, 1.0, 1.0, n=64), _block(1e6, 1.0, 1.0, n=64))
    assert not np.array_equal(_block(1e6, 1.0, 1.0, n=64), _block(1e6, 1.0, 1.0, n=64, seed=6))


def test_sample_cell_charge_applies_the_gain_and_keeps_the_shape():
    rng = np.random.default_rng(2)
    lam = np.full((3, 200, 300), 40.0, dtype=np.float32)
    gain = np.full((200, 300), 2.0, dtype=np.float32)
    q = sample_cell_charge(lam, _Spread(100.0, 1.2e4), rng, gain)
    assert q.shape == lam.shape and q.dtype == np.float32
    assert q.mean() == pytest.approx(2 * 40 * 100.0, rel=5 * math.sqrt(1.2e4 * 40)
                                     / (40 * 100.0) / math.sqrt(q.size))
    assert q.var() == pytest.approx(4 * 40 * 1.2e4, rel=0.03)
    assert (q >= 0).all()


def test_poisson_count_is_the_plain_inversion_loop():
    # the sampler forms its first partial sums without branches and counts those below
    # u: the count must be the plain loop's n for every word, including u near 0 and 1
    rng = np.random.default_rng(11)
    lam = np.concatenate([rng.uniform(1e-6, EXACT_BELOW_PHOTONS, 20_000),
                          [1e-12, 0.3, 2.0, 4.999]]).astype(np.float32)
    words = rng.integers(0, 2**64, size=lam.size, dtype=np.uint64)
    words[-4:] = np.array([0, 2**64 - 1, 2**64 - 1, 2**64 - 2**11], dtype=np.uint64)
    out = np.empty(lam.size, dtype=np.float32)
    state = np.array([1, 2, 3, 4], dtype=np.uint64)
    # no spread of the charge per photon (shape 0): the charge is n × mean, mean = 1
    ck.sample_flat(lam, np.empty(0, dtype=np.float32), out, 1.0, 1.0, 0.0, 0.0, words, state)
    want = np.empty(lam.size)
    for i, (la, w) in enumerate(zip(lam.astype(np.float64), words, strict=True)):
        u = float(int(w) >> 11) * 2.0**-53
        p = math.exp(-la)
        cdf, n = p, 0
        while u > cdf and n < 1000:
            n += 1
            p *= la / n
            cdf += p
        want[i] = n
    assert want.max() > 10  # the loop past the unrolled sums was taken
    assert np.array_equal(out.astype(np.float64), want)
