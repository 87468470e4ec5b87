"""Faults during a Dask sweep: a killed worker and a killed client lose nothing.

Both tests run real processes: a 2-worker LocalCluster whose worker is killed with
SIGKILL mid-run, and a ``perovx sweep --dask local`` client killed with SIGKILL after
some blocks are checkpointed, then finished with ``--resume``. The final datasets must
equal an uninterrupted in-process run bit for bit.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from perovx.sweep import sweep
from perovx.sweep.store import MANIFEST

pytest.importorskip("dask.distributed")

MATERIALS = ["MAPbI3", "CZT"]
THICKNESS = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3]
FIELDS = [1e5, 5e5, 1e6]


def _same(a, b) -> None:
    for dim in a.dims:
        np.testing.assert_array_equal(a[dim].values, b[dim].values)
    for key in a.data_vars:
        np.testing.assert_array_equal(a[key].values, b[key].values)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL of a worker process")
def test_a_killed_worker_loses_nothing(caplog) -> None:
    import logging

    from dask.distributed import Client, LocalCluster

    kw = dict(thickness_m=THICKNESS, field_V_per_m=FIELDS, beams=["RQA5"], block_points=3)
    reference = sweep(MATERIALS, **kw)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                      processes=True, silence_logs=50) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)
        killed: list[int] = []

        def progress(done: int, total: int) -> None:
            if done == 2 and not killed:  # both workers are busy with later blocks
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        caplog.clear()
        with caplog.at_level(logging.WARNING):
            ds = sweep(MATERIALS, scheduler=client, progress=progress, **kw)
        assert killed, "no worker was killed"
        # Dask's reports of the dead worker are handled, not shown
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
        # the nanny restarted the killed worker: a new process took its place
        assert killed[0] not in client.run(os.getpid).values()
    _same(reference, ds)


def _perovx(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from perovx.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL of the client process")
def test_a_killed_client_resumes_with_resume(tmp_path: Path) -> None:
    out = tmp_path / "x.zarr"
    args = ["sweep", *[a for m in MATERIALS for a in ("--material", m)],
            "--thickness", "100um,200um,500um,1mm,2mm", "--field", "0.1V/um,0.5V/um,1V/um",
            "--block-points", "3", "--out", str(out)]
    proc = _perovx(*args, "--dask", "local")
    manifest = tmp_path / "x.zarr.partial" / MANIFEST
    deadline = time.monotonic() + 120
    done: list[int] = []
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if manifest.exists():
                done = json.loads(manifest.read_text())["done"]
                if len(done) >= 3:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, f"the sweep ended before it was killed: {proc.stderr.read()}"
        os.kill(proc.pid, signal.SIGKILL)  # the client: no clean-up of any kind
        proc.wait(timeout=30)
    finally:
        try:  # the cluster's worker processes it started (its own session)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not out.exists() and 3 <= len(done) < 10
    state = json.loads(manifest.read_text())
    again = _perovx(*args, "--resume")
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert f"wrote {out}" in stdout and "note:" not in stderr and "Warning" not in stderr
    assert not (tmp_path / "x.zarr.partial").exists()
    import xarray as xr

    with xr.open_zarr(out) as ds:
        ds = ds.load()
    assert ds.attrs["complete"] == "yes"
    np.testing.assert_allclose(ds["thickness"], THICKNESS, rtol=1e-15)
    # the uninterrupted run, on the coordinates the command line parsed ("100um" is
    # 100 × 1e-6 m, one ulp above 1e-4)
    reference = sweep(MATERIALS, thickness_m=ds["thickness"].values,
                      field_V_per_m=ds["field"].values, beams=["RQA5"])
    _same(reference, ds)
    assert len(state["done"]) >= 3


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL of a worker process")
def test_workers_that_keep_dying_end_in_one_line_and_resume(tmp_path: Path) -> None:
    import dask
    from dask.distributed import Client, LocalCluster

    from perovx.sweep.engine import ClusterError

    kw = dict(thickness_m=THICKNESS[:3], field_V_per_m=FIELDS, beams=["RQA5"],
              block_points=3)
    store = tmp_path / "s.zarr.partial"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None,
                         processes=True, silence_logs=50) as cluster, Client(cluster) as client:
        pid = next(iter(client.run(os.getpid).values()))

        def progress(done: int, total: int) -> None:
            if done == 1:  # the only worker dies while it holds the next blocks
                os.kill(pid, signal.SIGKILL)

        with pytest.raises(ClusterError, match="rerun with --resume") as err:
            sweep(MATERIALS, scheduler=client, checkpoint=store, progress=progress, **kw)
    assert "\n" not in str(err.value)
    state = json.loads((store / MANIFEST).read_text())
    assert 1 <= len(state["done"]) < state["blocks"]
    resumed = sweep(MATERIALS, checkpoint=store, resume=True, **kw)
    _same(sweep(MATERIALS, **kw), resumed)
