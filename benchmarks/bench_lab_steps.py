"""Benchmark: the step search of the lab analyses (``perovx analyze response`` and
``xray-response`` without a dose-rate column), in one process.

The change-point candidates found by ruptures are pruned one at a time, and every round
re-tests the local jump of each remaining candidate (hundreds on a noisy 1700-reading
trace, some 950 rounds). :func:`perovx.metrics.lab._signal._jumps` evaluates all candidates
at once with masked arrays; the reference run here is the same computation one slice at a
time (the former code, with :func:`perovx.metrics.lab._fitting.effective_sample_size` per
slice). Both are timed on the candidates of the seed-62 demo trace
(:func:`perovx.readout.sourcemeter.response_measurement`) and must agree to 1e-9.

Target: the whole ``ResponseTime(...).analyze()`` on that trace under 1 s of CPU time
(imports excluded; it took 6 s before), and the jump evaluation at least 10 times faster
than the reference. CPU time (``time.process_time``) is used: the machine may be loaded.

Run: ``python benchmarks/bench_lab_steps.py``.
"""

from __future__ import annotations

import math
import time

import numpy as np

TARGET_ANALYZE_CPU_S = 1.0
TARGET_RATIO = 10.0


def _reference_jumps(y: np.ndarray, cuts: list[int], window: int, sigma: float) -> list:
    from perovx.metrics.lab._fitting import effective_sample_size

    def side(v: np.ndarray) -> tuple[float, float]:
        n = v.size
        if n < 3:
            return float(v.mean()), sigma**2 / max(n, 1)
        r = v - v.mean()
        s2 = max(float(np.sum(r * r)) / (n - 1), sigma**2)
        return float(v.mean()), s2 / effective_sample_size(r)

    edges = [0, *cuts, y.size]
    out = []
    for k, b in enumerate(cuts):
        a, c = edges[k], edges[k + 2]
        lo, g = max(a, b - window), b + (c - b) // 3
        hi = min(c, g + window)
        v0, var0 = side(y[lo:b])
        v1, var1 = side(y[g:hi])
        out.append((v1 - v0, math.sqrt(var0 + var1)))
    return out


def main() -> None:
    import ruptures as rpt

    from perovx.metrics.lab._signal import PENALTY_PER_LN_N, _jumps, reading_noise
    from perovx.metrics.lab.response import ResponseTime
    from perovx.readout.sourcemeter import response_measurement

    m = response_measurement(seed=62)
    t, y = m.column("Time"), m.column("Current")
    import pybaselines  # noqa: F401  (lazy imports of the analysis, not timed)
    import scipy.signal  # noqa: F401

    c0 = time.process_time()
    r = ResponseTime(t, y).analyze(lag_after_s=1.0).results_data()
    analyze_s = time.process_time() - c0
    # the candidates of the first ruptures pass, as _segment sees them
    sigma = reading_noise(y).sigma_A
    z = ((y - np.median(y)) / sigma)[:, None]
    algo = rpt.KernelCPD(kernel="linear", min_size=3, jump=1).fit(z)
    cuts = [int(b) for b in algo.predict(pen=PENALTY_PER_LN_N * math.log(y.size))][:-1]
    r_y = y - np.median(y)
    reps = 20
    c0 = time.process_time()
    for _ in range(reps):
        ref = _reference_jumps(r_y, cuts, 60, sigma)
    ref_s = (time.process_time() - c0) / reps
    c0 = time.process_time()
    for _ in range(reps):
        new = _jumps(t, r_y, cuts, 60, sigma)
    new_s = (time.process_time() - c0) / reps
    assert np.allclose(np.asarray(ref), np.asarray(new), rtol=1e-9, atol=0.0)
    print(f"ResponseTime.analyze, seed-62 demo ({y.size} readings): {analyze_s:.2f} s CPU "
          f"(target < {TARGET_ANALYZE_CPU_S} s); rise {r.rise_time.value * 1e3:.2f} ms")
    print(f"jumps of {len(cuts)} candidates: reference {ref_s * 1e3:.1f} ms, vectorised "
          f"{new_s * 1e3:.2f} ms, ratio {ref_s / new_s:.0f} (target >= {TARGET_RATIO:g})")


if __name__ == "__main__":
    main()
