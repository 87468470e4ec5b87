"""Benchmark: a 10⁴-point design sweep on a 1-worker and a 2-worker Dask LocalCluster.

Target (issue 13): the 2-worker cluster runs at ≥ 1.7× the 1-worker rate. Both runs are
in this process, on the same axes (2 materials × 2 pixel pitches × 50 thicknesses × 50
fields under RQA5 = 10⁴ points, blocks of 64 points), after a warm-up sweep on each
cluster (workers import perovx, spectra and coefficient tables are built); the rate is
points per second of wall time for the whole sweep, results gathered in this process.
The two runs' datasets must be identical (checked). The ratio can only approach 2 on a
machine with two idle cores: other load on the machine lowers it. "Workers computing"
(the summed compute time of the blocks over the wall time, from Dask's task stream)
shows what the engine allows: near 2 with two workers means the blocks ran side by side
and any shortfall of the ratio is the machine's (each point slowed by shared cores).

Run: ``python benchmarks/bench_sweep.py [--points N] [--block-points B]``
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

TARGET_RATIO = 1.7


def _axes(points: int) -> Any:
    from perovx.sweep import sweep_axes

    side = max(1, round((points / 4) ** 0.5))
    return sweep_axes(["MAPbI3", "CZT"], beams=["RQA5"], pixel_pitch_m=[1e-4, 1e-3],
                      thickness_m=np.geomspace(50e-6, 2e-3, side),
                      field_V_per_m=np.geomspace(1e4, 2e6, side))


def _run(workers: int, axes: Any, block_points: int) -> tuple[Any, float, float, float]:
    from dask.distributed import Client, LocalCluster, get_task_stream

    from perovx.sweep import sweep

    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None,
                      processes=True, silence_logs=40) as cluster, Client(cluster) as client:
        sweep(["MAPbI3", "CZT"], thickness_m=[1e-3, 2e-3], field_V_per_m=[1e5],
              beams=["RQA5"], pixel_pitch_m=[1e-4, 1e-3], scheduler=client,
              block_points=1)  # warm-up: every worker imports and caches
        with get_task_stream(client) as stream:
            start = time.perf_counter()
            ds = sweep(axes, scheduler=client, block_points=block_points)
            elapsed = time.perf_counter() - start
        busy = sum(s["stop"] - s["start"] for task in stream.data
                   for s in task["startstops"] if s["action"] == "compute")
    return ds, axes.size / elapsed, elapsed, busy / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--block-points", type=int, default=64)
    args = parser.parse_args()
    axes = _axes(args.points)
    print(f"sweep of {axes.size} points {dict(zip(axes.dims, axes.shape, strict=True))}, "
          f"blocks of {args.block_points}; machine: {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    one, rate1, t1, busy1 = _run(1, axes, args.block_points)
    print(f"1 worker : {t1:7.1f} s  {rate1:7.1f} points/s  workers computing {busy1:.2f} "
          "of the wall time")
    two, rate2, t2, busy2 = _run(2, axes, args.block_points)
    print(f"2 workers: {t2:7.1f} s  {rate2:7.1f} points/s  workers computing {busy2:.2f} "
          "of the wall time")
    for key in one.data_vars:
        np.testing.assert_array_equal(one[key].values, two[key].values)
    ratio = rate2 / rate1
    print(f"rate ratio 2 workers / 1 worker: {ratio:.2f} (target >= {TARGET_RATIO}); "
          f"load average {os.getloadavg()[0]:.1f} at end; datasets identical")


if __name__ == "__main__":  # Dask worker processes re-import this file
    main()
