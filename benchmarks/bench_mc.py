"""Speed of the Monte Carlo photon transport: histories per second per CPU core (and GPU).

Problem: 60 keV pencil beam, normal incidence, 1 mm MAPbI3 (4.16 g cm⁻³) and CdTe
(5.85 g cm⁻³) slabs, fluorescence, Rayleigh and bound Compton on, 1 keV cut-off,
pulse-height and depth tallies. Reference: EGSnrc with electrons deposited on the spot
runs about 2.9e6 histories/s on one core of this machine kind (CdTe,
shared/reference/egsnrc-slabs.md). Targets (issue 16): >= 8e6 histories/s per CPU core
on an idle core for both materials (4x EGSnrc photon-only as measured side by side),
>= 1e9 histories/s on an H100-class GPU.

The per-core rate is the kernel time of a one-thread run (``MCResult.histories_per_second``,
tables and compilation excluded), best of three; the all-core rate is given too, and a
rate per second of process CPU time, which stays meaningful when other jobs share the
cores. Run: ``python benchmarks/bench_mc.py [histories]``.
"""

from __future__ import annotations

import argparse
import time

EGSNRC_PER_CORE = 2.9e6  # histories/s, photon-only EGSnrc, CdTe 60 keV, one core
TARGET_PER_CORE = 8.0e6
TARGET_GPU = 1.0e9

CASES = (("MAPbI3", "CH6NPbI3", 4160.0), ("CdTe", "CdTe", 5850.0))


def measure(formula: str, density: float, histories: int, threads: int | None,
            backend: str = "cpu") -> tuple[float, float]:
    """(kernel rate, CPU-time rate) in histories/s; best of 3 runs."""
    from perovx.interaction.montecarlo import Stack, run

    stack = Stack.slab(formula, 1e-3, density_kg_m3=density)
    run(stack, 60.0, histories=1000, threads=threads, backend=backend)  # compile / cache
    best_rate = best_cpu = 0.0
    for rep in range(3):
        c0 = time.process_time()
        result = run(stack, 60.0, histories=histories, seed=rep, threads=threads,
                     backend=backend)
        cpu = time.process_time() - c0
        best_rate = max(best_rate, result.histories_per_second)
        best_cpu = max(best_cpu, histories / cpu)
    return best_rate, best_cpu


def main() -> None:
    import numba

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("histories", nargs="?", type=float, default=4e6,
                        help="histories per timed run (default 4e6)")
    histories = int(parser.parse_args().histories)
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"Monte Carlo, 60 keV pencil beam, 1 mm slabs, {histories:.3g} histories, "
          f"{cores} cores")
    print(f"{'material':8s} {'threads':>7s} {'hist/s':>10s} {'per core':>10s} "
          f"{'per CPU-s':>10s} {'/EGSnrc':>8s} {'/target':>8s}")
    for name, formula, density in CASES:
        for threads in sorted({1, cores}):
            rate, cpu = measure(formula, density, histories, threads)
            per_core = rate / threads
            print(f"{name:8s} {threads:7d} {rate:10.3g} {per_core:10.3g} {cpu:10.3g} "
                  f"{per_core / EGSNRC_PER_CORE:8.2f} {per_core / TARGET_PER_CORE:8.2f}")
    try:
        from numba import cuda

        gpu = bool(cuda.is_available())
    except Exception:
        gpu = False
    if gpu:
        for name, formula, density in CASES:
            rate, _ = measure(formula, density, max(histories, 10**8), None, "cuda")
            print(f"{name:8s} {'GPU':>7s} {rate:10.3g} {'':10s} {'':10s} {'':8s} "
                  f"{rate / TARGET_GPU:8.2f}")
    else:
        print("no NVIDIA GPU: CUDA back-end not timed")


if __name__ == "__main__":
    main()
