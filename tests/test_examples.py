"""The runnable scripts in ``examples/`` run and write what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("script", "writes"),
    [
        ("evaluate_materials.py", "s_over_s0.png"),
        ("beam_qualities.py", None),
        ("mc_escape_peaks.py", "pulse_height.png"),
        pytest.param("sweep_on_dask.py", "sweep.nc", marks=pytest.mark.slow),
        ("csa_stage_breakdown.py", "csa_breakdown.png"),
        ("indirect_csi_validation.py", "indirect_csi_validation.png"),
    ],
)
def test_example_runs(script: str, writes: str | None, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(EXAMPLES / script), str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    if writes is not None:
        assert (tmp_path / writes).stat().st_size > 0
