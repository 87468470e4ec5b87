"""A/B speed of two versions of the Monte Carlo CPU kernel, in one process.

Runs on a shared machine drift by ±10 % from one run to the next, more than most
changes to the kernel are worth. This script loads two copies of
``perovx/interaction/montecarlo/_cpu.py`` side by side, packs the tables once, and
alternates the two ``run_batches`` on the same problem (60 keV pencil beam, 1 mm slab,
one thread), so the drift hits both alike; on a busy machine the best of many short
runs is the steadier figure and is printed too. For each material (CdTe and MAPbI3
unless ``--material`` names one) it prints each rate in histories/s per core, their
ratio, and whether the two gave bit-identical tallies (a pure speed change must; a
change to the sampling changes the random stream, and then the EGSnrc tests judge the
answers).

Both versions must use the packed-table layout of the installed perovx. A file other
than the installed kernel is compiled afresh from a temporary copy (about 40 s), so
numba's cache of the installed package is never touched.

Run::

    git show HEAD~1:src/perovx/interaction/montecarlo/_cpu.py > /tmp/old_cpu.py
    python benchmarks/ab_mc_kernel.py /tmp/old_cpu.py [NEW.py] [--material CdTe|MAPbI3|Pb]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

MATERIALS = {"CdTe": ("CdTe", 5850.0), "MAPbI3": ("CH6NPbI3", 4160.0), "Pb": ("Pb", 11350.0)}


def load_kernel(path: Path, name: str, installed: ModuleType, scratch: Path) -> ModuleType:
    """The kernel module in ``path``: the installed one itself, or a private copy.

    Any other file is copied into ``scratch`` and imported from there as ``name``, so
    numba's on-disk cache for it stays in that folder. Importing a file that is also
    imported under its package name would put entries under a second module name in the
    same cache, and break later ordinary runs.
    """
    if path.resolve() == Path(installed.__file__).resolve():
        return installed
    copy = scratch / f"{name}.py"
    copy.write_text(path.read_text())
    spec = importlib.util.spec_from_file_location(name, copy)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    import numba

    from perovx.interaction.montecarlo import _cpu
    from perovx.interaction.montecarlo import _layout as lay
    from perovx.interaction.montecarlo.engine import Tallies, batch_keys
    from perovx.interaction.montecarlo.geometry import Stack
    from perovx.interaction.montecarlo.sources import PencilBeam, as_spectrum
    from perovx.interaction.montecarlo.tables import Physics, pack_tables

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="reference _cpu.py")
    parser.add_argument("new", type=Path, nargs="?", default=Path(_cpu.__file__),
                        help="candidate _cpu.py (default: the installed one)")
    parser.add_argument("--material", choices=sorted(MATERIALS),
                        help="one material (default: CdTe and MAPbI3)")
    parser.add_argument("--histories", type=float, default=1e6)
    parser.add_argument("--reps", type=int, default=8)
    args = parser.parse_args()

    numba.set_num_threads(1)
    tallies = Tallies()
    keys = batch_keys(7, 1)
    n = int(args.histories)

    def pack(name: str) -> object:
        formula, density = MATERIALS[name]
        return pack_tables(
            Stack.slab(formula, 1e-3, density_kg_m3=density), as_spectrum(60.0),
            PencilBeam(), Physics(), pulse_height_bins=tallies.pulse_height_bins,
            depth_bins=tallies.depth_bins, grid=None,
            full_energy_threshold=tallies.full_energy_threshold,
        )

    def buffers(packed: object) -> tuple[np.ndarray, ...]:
        nsmall = int(packed.IX[lay.I_NSMALL])
        return (np.zeros((1, lay.NS)), np.zeros((1, nsmall)), np.zeros((1, 1)),
                np.zeros((1, 2), dtype=np.uint64), np.zeros((1, lay.MAXST, lay.NPF)),
                np.zeros((1, lay.MAXV, 2)), np.zeros((1, lay.MAXDEP, 5)),
                np.zeros((1, lay.NINFO)))

    names = [args.material] if args.material else ["CdTe", "MAPbI3"]
    problems = {name: pack(name) for name in names}
    first = problems[names[0]]
    scratch = Path(tempfile.mkdtemp(prefix="perovx-ab-"))
    try:
        kernels = {"old": load_kernel(args.old, "_ab_old", _cpu, scratch).run_batches,
                   "new": load_kernel(args.new, "_ab_new", _cpu, scratch).run_batches}
        for run in kernels.values():  # compile: about 40 s for each copied file
            run(first.F, first.IX, keys, np.array([1000]), *buffers(first))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name, packed in problems.items():
        seconds: dict[str, list[float]] = {"old": [], "new": []}
        tallies_out: dict[str, tuple[np.ndarray, ...]] = {}
        for rep in range(args.reps):
            order = ("old", "new") if rep % 2 == 0 else ("new", "old")
            for label in order:
                out = buffers(packed)
                t0 = time.perf_counter()
                kernels[label](packed.F, packed.IX, keys, np.array([n]), *out)
                seconds[label].append(time.perf_counter() - t0)
                tallies_out[label] = out
        identical = all(np.array_equal(a, b) for a, b in
                        zip(tallies_out["old"][:2], tallies_out["new"][:2], strict=True))
        t_old = float(np.median(seconds["old"]))
        t_new = float(np.median(seconds["new"]))
        b_old, b_new = min(seconds["old"]), min(seconds["new"])
        print(f"{name}, 60 keV, 1 mm, {n:.3g} histories, one thread, "
              f"median (best) of {args.reps}")
        print(f"old {n / t_old:10.4g} ({n / b_old:.4g}) histories/s per core   {args.old}")
        print(f"new {n / t_new:10.4g} ({n / b_new:.4g}) histories/s per core   {args.new}")
        print(f"new/old speed {t_old / t_new:.3f} (best {b_old / b_new:.3f})   "
              f"bit-identical tallies: {identical}")


if __name__ == "__main__":
    main()
