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
cores. On a machine with an NVIDIA GPU the CUDA back-end is timed too (the GPU's rate,
host-device copies included, best of three runs sized from a first 10⁷-history run to
last about 2 s each), then with ``--gpu-sweep`` every launch shape of
``THREADS_PER_BLOCK`` × ``HISTORIES_PER_THREAD`` in {64, 128, 256} × {4, 16, 64} on
MAPbI3, and with ``--gpu-registers 168,128,…`` each register cap of the kernel
(``PEROVX_CUDA_MAX_REGISTERS``) with 128 and 256 threads per block. Run:
``python benchmarks/bench_mc.py [histories] [--gpu-only] [--gpu-sweep]
[--gpu-registers CAPS] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import time

EGSNRC_PER_CORE = 2.9e6  # histories/s, photon-only EGSnrc, CdTe 60 keV, one core
TARGET_PER_CORE = 8.0e6
TARGET_GPU = 1.0e9

CASES = (("MAPbI3", "CH6NPbI3", 4160.0), ("CdTe", "CdTe", 5850.0))


def measure(formula: str, density: float, histories: int, threads: int | None,
            backend: str = "cpu", repeats: int = 3) -> tuple[float, float]:
    """(kernel rate, CPU-time rate) in histories/s; best of ``repeats`` runs."""
    from perovx.interaction.montecarlo import Stack, run

    stack = Stack.slab(formula, 1e-3, density_kg_m3=density)
    run(stack, 60.0, histories=1000, threads=threads, backend=backend)  # compile / cache
    best_rate = best_cpu = 0.0
    for rep in range(repeats):
        c0 = time.process_time()
        result = run(stack, 60.0, histories=histories, seed=rep, threads=threads,
                     backend=backend)
        cpu = time.process_time() - c0
        best_rate = max(best_rate, result.histories_per_second)
        best_cpu = max(best_cpu, histories / cpu)
    return best_rate, best_cpu


def _gpu_histories(formula: str, density: float) -> int:
    """Histories for about 2 s of GPU time, from a first 10⁷-history run."""
    rate, _ = measure(formula, density, 10**7, None, "cuda")
    return int(min(2e9, max(1e7, 2.0 * rate)))


def _resources(cap: int | None) -> dict:
    """Registers, local and shared memory of the compiled kernel (cap: register cap)."""
    from perovx.interaction.montecarlo import _cuda

    try:
        k = _cuda._kernel(cap)
        res = {"regs": k.get_regs_per_thread(), "local_bytes": k.get_local_mem_per_thread(),
               "shared_bytes": k.get_shared_mem_per_block()}
        res = {key: next(iter(v.values()), None) if isinstance(v, dict) else v
               for key, v in res.items()}
    except Exception as exc:  # these queries differ between numba-cuda versions
        res = {"error": str(exc)}
    print(f"kernel (register cap {cap}): {res}")
    return res


def _register_sweep(caps: list[int], record: dict) -> None:
    """Rate of MAPbI3 for each register cap × block size, 64 histories per thread."""
    import os

    from perovx.interaction.montecarlo import _cuda

    mat, formula, density = CASES[0]
    n = record["gpu"]["rates"][mat]["histories"] // 2
    defaults = (_cuda.THREADS_PER_BLOCK, _cuda.HISTORIES_PER_THREAD)
    old = os.environ.get(_cuda.ENV_MAX_REGISTERS)
    record["gpu"]["registers"] = []
    best = (0.0, None, None)
    print(f"register caps, {mat}, {n:.3g} histories, one run each: cap, threads/block, hist/s")
    try:
        for cap in caps:
            os.environ[_cuda.ENV_MAX_REGISTERS] = str(cap)
            for tpb in (128, 256):
                _cuda.THREADS_PER_BLOCK, _cuda.HISTORIES_PER_THREAD = tpb, 64
                rate, _ = measure(formula, density, n, None, "cuda", repeats=1)
                record["gpu"]["registers"].append({"cap": cap, "tpb": tpb, "rate": rate})
                print(f"  {cap:4d} {tpb:4d} {rate:10.3g}")
                best = max(best, (rate, cap, tpb))
            record["gpu"]["registers"][-1].update(_resources(cap))  # compiled by now
    finally:
        _cuda.THREADS_PER_BLOCK, _cuda.HISTORIES_PER_THREAD = defaults
        if old is None:
            os.environ.pop(_cuda.ENV_MAX_REGISTERS, None)
        else:
            os.environ[_cuda.ENV_MAX_REGISTERS] = old
    record["gpu"]["best"] = {"rate": best[0], "cap": best[1], "tpb": best[2]}
    print(f"best: {best[0]:.3g} histories/s with register cap {best[1]}, {best[2]} threads/block")


def _gpu(sweep: bool, record: dict, registers: list[int] | None = None) -> None:
    from numba import cuda

    from perovx.interaction.montecarlo import _cuda

    dev = cuda.get_current_device()
    name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
    print(f"GPU: {name}, compute capability {dev.compute_capability}, "
          f"{dev.MULTIPROCESSOR_COUNT} multiprocessors")
    record["gpu"] = {"name": name, "cc": list(dev.compute_capability), "rates": {}}
    for mat, formula, density in CASES:
        n = _gpu_histories(formula, density)
        rate, _ = measure(formula, density, n, None, "cuda")
        record["gpu"]["rates"][mat] = {"histories": n, "rate": rate}
        print(f"{mat:8s} {'GPU':>7s} {rate:10.3g} {'':10s} {'':10s} "
              f"{rate / EGSNRC_PER_CORE:8.0f} {rate / TARGET_GPU:8.2f}  ({n:.3g} histories)")
    record["gpu"]["kernel"] = _resources(_cuda.max_registers())
    if registers:
        _register_sweep(registers, record)
    if not sweep:
        return
    mat, formula, density = CASES[0]
    n = record["gpu"]["rates"][mat]["histories"]
    record["gpu"]["sweep"] = []
    defaults = (_cuda.THREADS_PER_BLOCK, _cuda.HISTORIES_PER_THREAD)
    print(f"launch shapes, {mat}, {n // 2:.3g} histories, one run each: threads/block, "
          "histories/thread, hist/s")
    try:
        for tpb in (64, 128, 256):
            for hpt in (4, 16, 64):
                _cuda.THREADS_PER_BLOCK, _cuda.HISTORIES_PER_THREAD = tpb, hpt
                rate, _ = measure(formula, density, n // 2, None, "cuda", repeats=1)
                record["gpu"]["sweep"].append({"tpb": tpb, "hpt": hpt, "rate": rate})
                print(f"  {tpb:4d} {hpt:4d} {rate:10.3g}")
    finally:
        _cuda.THREADS_PER_BLOCK, _cuda.HISTORIES_PER_THREAD = defaults


def main() -> None:
    import json

    import numba

    from perovx.interaction.montecarlo import cuda_available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("histories", nargs="?", type=float, default=4e6,
                        help="histories per timed CPU run (default 4e6)")
    parser.add_argument("--gpu-sweep", action="store_true",
                        help="also time the CUDA launch shapes")
    parser.add_argument("--gpu-registers", default="",
                        help="comma-separated register caps to time (e.g. 168,128,96,64)")
    parser.add_argument("--gpu-only", action="store_true", help="skip the CPU rates")
    parser.add_argument("--json", default="", help="write the figures to this JSON file")
    args = parser.parse_args()
    histories = int(args.histories)
    record: dict = {"histories": histories, "cpu": []}
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"Monte Carlo, 60 keV pencil beam, 1 mm slabs, {histories:.3g} histories, "
          f"{cores} cores")
    print(f"{'material':8s} {'threads':>7s} {'hist/s':>10s} {'per core':>10s} "
          f"{'per CPU-s':>10s} {'/EGSnrc':>8s} {'/target':>8s}")
    for name, formula, density in CASES if not args.gpu_only else ():
        for threads in sorted({1, cores}):
            rate, cpu = measure(formula, density, histories, threads)
            per_core = rate / threads
            print(f"{name:8s} {threads:7d} {rate:10.3g} {per_core:10.3g} {cpu:10.3g} "
                  f"{per_core / EGSNRC_PER_CORE:8.2f} {per_core / TARGET_PER_CORE:8.2f}")
            record["cpu"].append({"material": name, "threads": threads, "rate": rate,
                                  "per_cpu_s": cpu})
    if cuda_available():
        caps = [int(c) for c in args.gpu_registers.split(",") if c.strip()]
        _gpu(args.gpu_sweep, record, caps)
    else:
        print("no NVIDIA GPU: CUDA back-end not timed")
    if args.json:
        from pathlib import Path

        Path(args.json).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
