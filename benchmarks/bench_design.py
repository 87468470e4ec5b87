"""Benchmark: the CSA model of one design, of 10⁵ designs in a batch, and a 10⁵-candidate search.

Targets (issue 13): one design < 5 ms; a design search over ≥ 10⁵ candidate designs
< 60 s on 2 cores. Three timings, all with the layers' Monte Carlo inputs already
computed (they are cached per material × thickness × beam, once for any number of
designs; their one-off cost is printed first):

1. **one design**: :func:`perovx.design.csa.csa_model` of a new design (another bias each
   time, so the whole cascade, the induced-charge transfer included, is recomputed);
2. **10⁵ designs in a batch**: :func:`perovx.design.csa.csa_batch` of 10⁵ distinct
   designs (material × thickness × pitch × process × 1 250 biases) at the 3 frequencies a
   search needs; the reference in the same process is the one-design path's time × 10⁵;
3. **exhaustive search**: :func:`perovx.design.search.search` with ``grid_fields=2500``:
   every one of 2 materials × 2 thicknesses × 2 pitches × 5 processes × 2 500 fields =
   10⁵ candidate designs scored (targets LoD and MTF(2 lp/mm), DQE(1 lp/mm) maximised,
   as in the issue's example), then the Pareto set and the unmet targets;
4. **NSGA-II search**: the same with a population of 1 000 over 100 generations (10⁵
   candidates proposed; a design proposed twice is scored once, the distinct count is
   printed; pymoo's own bookkeeping per individual is part of the time).

The Monte Carlo here uses 20 000 histories per group (the speed of the model does not
depend on it). The machine is shared: the load average is printed with each figure.

Run: ``python benchmarks/bench_design.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

TARGET_ONE_S = 5e-3
TARGET_SEARCH_S = 60.0
HISTORIES = 20_000


def _load() -> str:
    return "load average " + " ".join(f"{v:.1f}" for v in os.getloadavg())


def _cpu(start: float) -> str:
    """CPU seconds of this process since ``start`` (what an idle machine would spend)."""
    return f"CPU {time.process_time() - start:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10⁴ designs and candidates")
    args = parser.parse_args()
    scale = 10 if args.quick else 1

    import numba

    from perovx.design.csa import Design, csa_batch, csa_model, layer
    from perovx.design.search import parse_goal, search

    materials = ["CZT", "a-Se"]
    thickness = [0.5e-3, 1e-3]
    pitches = [100e-6, 150e-6]
    processes = [None, "blade_coating", "vapour_deposition", "pressing", "spray_coating"]
    print(f"numba threads: {numba.get_num_threads()}, cores: {os.cpu_count()}, {_load()}")
    start = time.perf_counter()
    for m in materials:
        for t in thickness:
            layer(Design(m, t, 1.0 if m == "a-Se" else -1.0, 100e-6, histories=HISTORIES))
    print(f"Monte Carlo inputs of {len(materials) * len(thickness)} layers: "
          f"{time.perf_counter() - start:.1f} s (once; cached on disk)")

    base = Design("CZT", 1e-3, -1000.0, 100e-6, histories=HISTORIES)
    csa_model(base, air_kerma_Gy=2.5e-6)
    n = 100
    start = time.perf_counter()
    for i in range(n):
        csa_model(Design("CZT", 1e-3, -1000.0 - i, 100e-6, histories=HISTORIES),
                  air_kerma_Gy=2.5e-6)
    one = (time.perf_counter() - start) / n
    print(f"one design (MTF, NPS, DQE at 65 frequencies): {one * 1e3:.2f} ms "
          f"(target < {TARGET_ONE_S * 1e3:g} ms: {'met' if one < TARGET_ONE_S else 'NOT met'}); "
          f"{_load()}")

    freqs = np.array([0.0, 1e3, 2e3])
    per = 100_000 // scale // (len(materials) * len(thickness) * len(pitches) * len(processes))
    designs = [Design(m, t, (1.0 if m == "a-Se" else -1.0) * (100.0 + 7.0 * k), p,
                      histories=HISTORIES, process=proc)
               for m in materials for t in thickness for p in pitches for proc in processes
               for k in range(per)]
    csa_batch(designs[:: max(1, len(designs) // 50)], air_kerma_Gy=2.5e-6,
              frequency_per_m=freqs)  # layers and grids of every group
    start, cpu = time.perf_counter(), time.process_time()
    batch = csa_batch(designs, air_kerma_Gy=2.5e-6, frequency_per_m=freqs)
    elapsed = time.perf_counter() - start
    print(f"{len(designs)} distinct designs in a batch: {elapsed:.1f} s = "
          f"{elapsed / len(designs) * 1e3:.3f} ms per design; the one-design path would take "
          f"{one * len(designs):.0f} s (ratio {one * len(designs) / elapsed:.1f}×); "
          f"{_cpu(cpu)}; {_load()}")
    i = len(designs) // 3
    same = csa_model(designs[i], air_kerma_Gy=2.5e-6, frequency_per_m=freqs)
    assert np.array_equal(same.dqe, batch.dqe[i]) and np.array_equal(same.mtf, batch.mtf[i])

    targets = [parse_goal("lod<10nGy/s"), parse_goal("mtf@2lp/mm>0.5")]
    objectives = [parse_goal("dqe@1lp/mm", objective="max")]
    kw = dict(thickness_m=thickness, field_V_per_m=(1e5, 2e7), pitch_m=pitches,
              processes=processes, air_kerma_Gy=2.5e-6, targets=targets,
              objectives=objectives, histories=HISTORIES)
    target = TARGET_SEARCH_S / scale
    start, cpu = time.perf_counter(), time.process_time()
    res = search(materials, grid_fields=2500 // scale, **kw)
    elapsed = time.perf_counter() - start
    print(f"exhaustive search: {res.candidates} candidate designs scored, "
          f"{res.pareto.sizes['candidate']} in the Pareto set: {elapsed:.1f} s "
          f"(target < {target:g} s: {'met' if elapsed < target else 'NOT met'}); "
          f"{_cpu(cpu)}; {_load()}")
    population, generations = 1000 // scale, 100
    start, cpu = time.perf_counter(), time.process_time()
    res = search(materials, population=population, generations=generations, **kw)
    elapsed = time.perf_counter() - start
    print(f"NSGA-II search, population {population} × {generations} generations: "
          f"{res.candidates} candidates, {res.evaluations} distinct designs scored, "
          f"{res.pareto.sizes['candidate']} in the Pareto set: {elapsed:.1f} s "
          f"(target < {target:g} s: {'met' if elapsed < target else 'NOT met'}); "
          f"{_cpu(cpu)}; {_load()}")


if __name__ == "__main__":
    main()
