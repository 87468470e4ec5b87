"""The A/B kernel benchmark still runs (slow: it compiles the kernel twice)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_ab_mc_kernel_runs_and_finds_a_file_identical_to_itself(tmp_path):
    from perovx.interaction.montecarlo import _cpu

    copy = tmp_path / "kernel"
    copy.mkdir()
    for module in Path(_cpu.__file__).parent.glob("_*.py"):
        (copy / module.name).write_text(module.read_text())
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "ab_mc_kernel.py"), str(copy),
         "--histories", "2000", "--reps", "2", "--material", "MAPbI3"],
        capture_output=True, text=True, timeout=600, check=True,
    ).stdout
    assert "bit-identical tallies: True" in out
    assert "paired CPU-time ratio new/old: median" in out
    # the package's own numba cache is left usable by ordinary runs
    check = ("from perovx.interaction.montecarlo import Stack, run\n"
             "print(run(Stack.slab('CdTe', 1e-3), 60.0, histories=500).histories)\n")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          timeout=600, check=True).stdout
    assert done.strip() == "500"
