"""Benchmark: wall time of ``perovx evaluate …`` and ``perovx --help`` as a user runs them.

Targets (issue 16): ``perovx evaluate MA3Bi2I9 --thickness 1mm --bias 100V --beam RQA5``
under 0.5 s and ``perovx --help`` under 0.3 s of wall time on an idle machine. Each
command runs in a fresh interpreter (``python -m`` style, through the installed entry
point's code) several times; best and median are printed, with ``python -c pass`` timed
in the same run as the reference, so the ratio to a bare interpreter start shows how much
is perovx's own even when the machine is busy. The best CPU time (user + system) of each
command is printed as well: on a machine shared with other jobs it stays close to the
wall time an idle machine would show, while wall times stretch.

The first evaluate run fills the on-disk caches (SpekPy spectrum, interaction tables) in
the perovx home, and Python's bytecode cache, and is reported apart as "first". The runs
ignore ``PYTHONDONTWRITEBYTECODE`` (set on some build and CI machines): an installed
perovx has its bytecode, and compiling some 50 modules from source on every start adds
~0.1–0.2 s that no user pays.

``--against SRC`` also runs both commands with ``PYTHONPATH=SRC`` (another checkout's
``src`` folder, e.g. the previous release), interleaved with this one, and prints the
ratio of medians and of best CPU times: a same-run comparison that holds on a busy
machine.

Run: ``python benchmarks/bench_startup.py [--runs 7] [--against ../other/src]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

EVALUATE = ["evaluate", "MA3Bi2I9", "--thickness", "1mm", "--bias", "100V", "--beam", "RQA5"]
TARGETS_S = {"perovx evaluate": 0.5, "perovx --help": 0.3}
# The ``perovx`` script is exactly this (the [project.scripts] entry point).
# as a user's interpreter runs it: with bytecode written and read
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENTRY = "import sys; from perovx.cli import main; sys.argv[0] = 'perovx'; sys.exit(main())"


def _wall(argv: list[str], cpu: list[float] | None = None,
          env: dict[str, str] | None = None) -> float:
    """Wall time of one run, s; its CPU time (user + system) is appended to ``cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=ENV if env is None else env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    parser.add_argument("--against", metavar="SRC", default=None,
                        help="another checkout's src folder to compare with, same run")
    args = parser.parse_args()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "perovx --help": [sys.executable, "-c", ENTRY, "--help"],
        "perovx evaluate": [sys.executable, "-c", ENTRY, *EVALUATE],
    }
    envs = {name: ENV for name in commands}
    if args.against is not None:
        other = {**ENV, "PYTHONPATH": os.path.abspath(args.against)}
        for name in ("perovx --help", "perovx evaluate"):
            commands[f"{name} [against]"] = commands[name]
            envs[f"{name} [against]"] = other
        _wall(commands["perovx evaluate [against]"], env=other)
    first = _wall(commands["perovx evaluate"])
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so load changes hit every command alike
        for name, argv in commands.items():
            times[name].append(_wall(argv, cpu[name], envs[name]))
    ref = statistics.median(times["python -c pass"])
    print(f"runs per command: {args.runs}; first evaluate (fills caches): {first:.3f} s")
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at the end of the runs")
    print(f"{'command':28s} {'best s':>8s} {'median s':>9s} {'target s':>9s} "
          f"{'median/python':>14s} {'best CPU s':>11s}")
    verdict = True
    for name, values in times.items():
        best, med = min(values), statistics.median(values)
        target = TARGETS_S.get(name)
        verdict &= target is None or best < target
        print(f"{name:28s} {best:8.3f} {med:9.3f} "
              f"{'' if target is None else f'{target:.2f}':>9s} {med / ref:14.1f} "
              f"{min(cpu[name]):11.3f}")
    if args.against is not None:
        for name in ("perovx --help", "perovx evaluate"):
            mine, theirs = name, f"{name} [against]"
            print(f"{name}: this / against = "
                  f"{statistics.median(times[mine]) / statistics.median(times[theirs]):.2f} "
                  f"(median wall), {min(cpu[mine]) / min(cpu[theirs]):.2f} (best CPU)")
    print(f"evaluate: {' '.join(EVALUATE)}")
    print("PASS (best run under target)" if verdict else "FAIL (best run over target)")


if __name__ == "__main__":
    main()
