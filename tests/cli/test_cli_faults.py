"""Killed and concurrent runs: what is left is absent or complete, never half-written.

Real ``perovx`` processes are started, SIGKILLed at several moments (as soon as the run
claims its output set, as soon as a file is being written, late in the run) and the
folder is then checked: every file under a final name reads back completely (TIFF,
DICOM, JSON, PNG; the materials store passes SQLite's integrity check and still holds
every earlier row).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")

CONFIG = textwrap.dedent("""\
    [detector]
    material = "MA3Bi2I9"
    thickness = "0.5 mm"
    bias = "-100 V"
    mu_tau_e = "1 cm2/V"
    mu_tau_h = "1 cm2/V"
    resistivity = "1e11 ohm cm"

    [panel]
    pitch = "100 um"
    rows = 192
    columns = 192
    integration_time = "100 ms"
    electronic_noise = 500
    adc_bits = 16
    full_scale_charge = "20 pC"
    calibration_frames = [2, 2]

    [beam]
    spectrum = "60keV"

    [mode]
    type = "pixel_array"
    air_kerma = "5 uGy"

    [simulation]
    kernels = "local"
    energy_groups = 1
    oversample = 1

    [output]
    name = "img"
    """)

FINAL = ("img.tif", "img_raw.tif", "img.dcm", "img.json", "img.png")


def _perovx(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", "from perovx.cli import main; main()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )


def _check_outputs(out: Path) -> list[str]:
    """Assert every final-named file is complete; return the names present."""
    from perovx.io.images import read_image

    present = []
    for name in FINAL:
        path = out / name
        if not path.exists():
            continue
        present.append(name)
        assert path.stat().st_size > 0, name
        if name.endswith(".tif") or name.endswith(".dcm"):
            img = read_image(path)
            assert img.data.shape == (192, 192), name
        elif name.endswith(".json"):
            summary = json.loads(path.read_text(encoding="utf-8"))
            assert summary["acquisition"]["image_shape"] == [192, 192]
        else:
            import matplotlib.image

            assert matplotlib.image.imread(path).shape[:2] == (192, 192)
    if "img.json" in present:  # the summary is published last: the set is complete
        assert set(present) == set(FINAL)
    return present


def _wait_for(predicate, timeout: float = 120.0, poll: float = 0.0005) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(poll)
    return False


def _simulate_config(tmp_path: Path) -> Path:
    path = tmp_path / "sim.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.mark.parametrize("moment", ["claimed", "writing", "late"])
def test_simulate_killed_leaves_absent_or_complete_files(tmp_path, moment):
    config = _simulate_config(tmp_path)
    out = tmp_path / "out"
    proc = _perovx("simulate", str(config), "--out", str(out), "--no-progress", "--json")
    lock = out / ".img.perovx-lock"
    try:
        if moment == "claimed":
            _wait_for(lock.exists)
        elif moment == "writing":
            _wait_for(lambda: out.exists() and any(".partial." in n and n.endswith(
                (".tif", ".dcm", ".png", ".json")) for n in os.listdir(out)))
        else:
            _wait_for(lambda: out.exists() and any(n in FINAL for n in os.listdir(out)))
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.communicate(timeout=120)
    assert out.is_dir()
    _check_outputs(out)
    if moment != "claimed":
        return
    # a later run takes over the lock the killed run left, and completes the set
    again = _perovx("simulate", str(config), "--out", str(out), "--no-progress", "--json",
                    "--overwrite")
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert _check_outputs(out) == list(FINAL)
    assert not lock.exists()


@pytest.mark.slow
def test_two_simulate_runs_into_one_folder(tmp_path):
    config = _simulate_config(tmp_path)
    out = tmp_path / "out"
    runs = [_perovx("simulate", str(config), "--out", str(out), "--no-progress", "--json")
            for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in runs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], [r[2] for r in results]
    loser = next(r for r in results if r[0] == 2)
    lines = loser[2].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("perovx: error: ")
    assert "another perovx run" in lines[0] or "already exists" in lines[0] or \
        "exists" in lines[0]
    winner = next(r for r in results if r[0] == 0)
    summary = json.loads(winner[1])
    assert _check_outputs(out) == list(FINAL)
    from perovx.io.images import read_image

    saved = json.loads((out / "img.json").read_text())
    assert saved["timing_s"] == summary["timing_s"]  # the files are the winner's
    assert read_image(out / "img.tif").data.dtype == np.uint16
    assert sorted(os.listdir(out)) == sorted(FINAL)  # no lock, no temporary left


def test_simulate_out_naming_a_file_is_one_line(tmp_path):
    config = _simulate_config(tmp_path)
    target = tmp_path / "a_file"
    target.write_text("mine")
    proc = _perovx("simulate", str(config), "--out", str(target), "--no-progress")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "is a file" in lines[0] and str(target) in lines[0]
    assert target.read_text() == "mine"


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0])
def test_materials_add_killed_keeps_the_store_intact(tmp_path, delay):
    home = tmp_path / "home"
    env = {"PEROVX_HOME": str(home)}
    first = _perovx("materials", "add", "KEEP1", "--formula", "CdTe", "--density", "5.85",
                    env=env)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    store = home / "materials.sqlite3"
    proc = _perovx("materials", "add", "NEW1", "--formula", "CsPbBr3", "--density", "4.55",
                   env=env)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=120)
    with sqlite3.connect(store) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check = _perovx("materials", "show", "KEEP1", "--json", env=env)
    out, err = check.communicate(timeout=300)
    assert check.returncode == 0, err
    assert "CdTe" in out
    new = _perovx("materials", "show", "NEW1", "--json", env=env)
    out, err = new.communicate(timeout=300)
    if new.returncode == 0:  # added completely before the kill
        assert "CsPbBr3" in out and "4.55" in out
    else:
        assert new.returncode == 2 and len(err.strip().splitlines()) == 1
