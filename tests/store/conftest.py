"""A real PostgreSQL server for the record-store tests, started from Debian's package.

The fixture runs ``initdb`` and ``pg_ctl`` from ``/usr/lib/postgresql/*/bin`` in a
temporary folder, on a free loopback port, with a Unix socket in that folder; as root
(PostgreSQL refuses to run as root) it runs them as ``nobody`` through ``runuser``.
Without the package the tests that need it skip, saying so.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """URL of a throw-away PostgreSQL database (skips without Debian's postgresql)."""
    pg = _pg_bin()
    if pg is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql): "
                    "no /usr/lib/postgresql/*/bin/pg_ctl")
    pytest.importorskip("psycopg", reason="psycopg 3 is not installed")
    as_user: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root and no runuser to start PostgreSQL as nobody")
        as_user = [runuser, "-u", "nobody", "--"]
    folder = Path(tempfile.mkdtemp(prefix="perovx-pg-"))
    data = folder / "data"
    if as_user:
        shutil.chown(folder, "nobody")
    os.chmod(folder, 0o700)
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    try:
        run(str(pg / "initdb"), "-D", str(data), "-U", "perovx", "--auth=trust", "-E", "UTF8",
            "--no-sync")
        run(str(pg / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(folder / "log"),
            "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off",
            "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        err = getattr(exc, "stderr", b"") or b""
        pytest.fail(f"PostgreSQL did not start: {err.decode(errors='replace')[-300:]} {log[-300:]}")
    try:
        yield f"postgresql://perovx@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
