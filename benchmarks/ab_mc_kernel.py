"""A/B speed of two versions of the Monte Carlo CPU kernel, in one process.

Runs on a shared machine drift by ±10 % from one run to the next, more than most
changes to the kernel are worth. This script loads two copies of
``perovx/interaction/montecarlo/_cpu.py`` side by side, packs the tables, and
alternates the two ``run_batches`` on the same problem (60 keV pencil beam, 1 mm slab,
one thread), so the drift hits both alike; on a busy machine the best of many short
runs is the steadier figure and is printed too. For each material (CdTe and MAPbI3
unless ``--material`` names one) it prints each rate in histories/s per core, their
ratio, and whether the two gave bit-identical tallies (a pure speed change must; a
change to the sampling changes the random stream, and then the EGSnrc tests judge the
answers). It also prints the rates per CPU-second of the process (``process_time``)
and their ratio: when other jobs take the cores, wall time counts the waits as well,
CPU time does not, and that ratio scatters less (self-comparison at load 3–4:
1.000–1.008 against 1.004–1.021 for wall time). Last it prints the median of the
per-rep ratios (old and new run back to back in each rep, so both see the same load):
on a machine shared with three other jobs, 30 reps of 3e5 histories
(``--histories 3e5 --reps 30``) resolve about 2 %.

Each kernel runs on the tables its own version packs (its ``tables.py``, or the
installed one for a version without it, such as a lone ``_cpu.py``): a step that
changes the tables would otherwise change them for the old kernel too. Both versions
must use slots of the installed ``_layout.py`` (a layout that only grows keeps older
kernels valid). Each version is named by a git revision (``HEAD~1``), a folder holding
the kernel modules (the ``_*.py`` files of ``perovx/interaction/montecarlo``, and
``tables.py`` if it is there) or one ``_cpu.py`` file; the
installed kernel is used as it is, any other version is copied into a private package
in a scratch folder and compiled there (tens of seconds), so numba's cache of the
installed package is never touched. ``--keep DIR`` keeps that scratch folder (and the
compiled copies in it) for the next run.

Run::

    python benchmarks/ab_mc_kernel.py HEAD~1 [NEW] [--material CdTe|MAPbI3|Pb]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

MATERIALS = {"CdTe": ("CdTe", 5850.0), "MAPbI3": ("CH6NPbI3", 4160.0), "Pb": ("Pb", 11350.0)}


KERNEL_DIR = "src/perovx/interaction/montecarlo"
TABLES = "tables.py"  # packs the tables; a version that brings its own packs its own


def kernel_sources(spec: str, installed: Path) -> dict[str, str] | None:
    """``{file name: source}`` of the kernel version ``spec``; None for the installed one.

    ``spec`` is a ``_cpu.py`` file, a folder of kernel modules or a git revision.
    """
    path = Path(spec)
    if path.is_file():
        if path.resolve() == (installed / "_cpu.py").resolve():
            return None
        return {"_cpu.py": path.read_text()}
    if path.is_dir():
        if path.resolve() == installed.resolve():
            return None
        return {f.name: f.read_text() for f in sorted(path.glob("*.py"))
                if (f.name.startswith("_") and f.name != "__init__.py")
                or f.name == TABLES}
    root = Path(__file__).resolve().parents[1]
    listing = subprocess.run(["git", "ls-tree", "--name-only", f"{spec}:{KERNEL_DIR}"],
                             cwd=root, capture_output=True, text=True, check=False)
    if listing.returncode != 0:
        raise SystemExit(f"{spec}: neither a file, a folder nor a git revision "
                         f"({listing.stderr.strip()})")
    return {name: subprocess.run(["git", "show", f"{spec}:{KERNEL_DIR}/{name}"], cwd=root,
                                 capture_output=True, text=True, check=True).stdout
            for name in listing.stdout.split()
            if (name.startswith("_") and name.endswith(".py") and name != "__init__.py")
            or name == TABLES}


def load_kernel(spec: str, name: str, installed: ModuleType, scratch: Path) -> ModuleType:
    """The ``_cpu`` module of kernel version ``spec``: the installed one, or a private copy.

    A copy becomes the package ``name`` in ``scratch`` (files rewritten only when some
    text changed, so a kept scratch folder keeps its numba cache), and numba's on-disk
    cache for it stays there. Importing a file that is also imported under its package
    name would put entries under a second module name in the same cache, and break
    later ordinary runs.
    """
    sources = kernel_sources(spec, Path(installed.__file__).parent)
    if sources is None:
        return installed
    package = scratch / name
    package.mkdir(parents=True, exist_ok=True)
    files = {"__init__.py": "", **sources}
    # numba checks a cached function against its own file only, not the files of the
    # functions it inlined: when any module changed, rewrite them all
    if any(not (package / f).exists() or (package / f).read_text() != text
           for f, text in files.items()):
        for fname, text in files.items():
            (package / fname).write_text(text)
    if str(scratch) not in sys.path:
        sys.path.insert(0, str(scratch))
    return importlib.import_module(f"{name}._cpu")


def tables_module(kernel: ModuleType) -> ModuleType:
    """The ``tables`` module that goes with ``kernel``: its own copy, else the installed."""
    package = kernel.__name__.rsplit(".", 1)[0]
    if (Path(kernel.__file__).parent / TABLES).exists():
        return importlib.import_module(f"{package}.tables")
    from perovx.interaction.montecarlo import tables

    return tables


def main() -> None:
    import numba

    from perovx.interaction.montecarlo import _cpu
    from perovx.interaction.montecarlo import _layout as lay
    from perovx.interaction.montecarlo.engine import Tallies, batch_keys
    from perovx.interaction.montecarlo.geometry import Stack
    from perovx.interaction.montecarlo.sources import PencilBeam, as_spectrum

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="reference kernel: git revision, folder or _cpu.py")
    parser.add_argument("new", nargs="?", default=str(Path(_cpu.__file__).parent),
                        help="candidate kernel (default: the installed one)")
    parser.add_argument("--material", choices=sorted(MATERIALS),
                        help="one material (default: CdTe and MAPbI3)")
    parser.add_argument("--histories", type=float, default=1e6)
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="scratch folder to keep (compiled copies)")
    args = parser.parse_args()

    numba.set_num_threads(1)
    tallies = Tallies()
    keys = batch_keys(7, 1)
    n = int(args.histories)

    def pack(name: str, tables: ModuleType) -> object:
        formula, density = MATERIALS[name]
        return tables.pack_tables(
            Stack.slab(formula, 1e-3, density_kg_m3=density), as_spectrum(60.0),
            PencilBeam(), tables.Physics(), pulse_height_bins=tallies.pulse_height_bins,
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
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="perovx-ab-"))
    try:
        modules = {"old": load_kernel(args.old, "_ab_old", _cpu, scratch),
                   "new": load_kernel(args.new, "_ab_new", _cpu, scratch)}
        kernels = {label: m.run_batches for label, m in modules.items()}
        # each kernel on the tables its own version packs (a step may change them)
        problems = {name: {label: pack(name, tables_module(m))
                           for label, m in modules.items()} for name in names}
        for label, run in kernels.items():  # compile (copies: tens of seconds each)
            first = problems[names[0]][label]
            run(first.F, first.IX, keys, np.array([1000]), *buffers(first))
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    for name, packs in problems.items():
        seconds: dict[str, list[float]] = {"old": [], "new": []}
        cpu: dict[str, list[float]] = {"old": [], "new": []}
        tallies_out: dict[str, tuple[np.ndarray, ...]] = {}
        for rep in range(args.reps):
            order = ("old", "new") if rep % 2 == 0 else ("new", "old")
            for label in order:
                packed = packs[label]
                out = buffers(packed)
                c0 = time.process_time()
                t0 = time.perf_counter()
                kernels[label](packed.F, packed.IX, keys, np.array([n]), *out)
                seconds[label].append(time.perf_counter() - t0)
                cpu[label].append(time.process_time() - c0)
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
        c_old = float(np.median(cpu["old"]))
        c_new = float(np.median(cpu["new"]))
        print(f"per CPU-second: old {n / c_old:.4g}, new {n / c_new:.4g}, new/old "
              f"{c_old / c_new:.3f} (best {min(cpu['old']) / min(cpu['new']):.3f}; "
              "CPU time of the process: steadier than wall time on a loaded machine)")
        # each rep runs old and new back to back: the ratio within a pair sees the same
        # load, and the median of those ratios is the steadiest figure of all
        paired = np.array(cpu["old"]) / np.array(cpu["new"])
        q1, q3 = np.percentile(paired, [25, 75])
        print(f"paired CPU-time ratio new/old: median {np.median(paired):.3f} "
              f"(quartiles {q1:.3f}-{q3:.3f})")


if __name__ == "__main__":
    main()
