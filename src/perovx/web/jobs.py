"""Background jobs of the web page: one process each, with progress, a time limit and cancel.

A job runs a task of :data:`perovx.web.tasks.TASKS` in its own (spawned) process; the
process writes ``progress.json`` and finally ``outcome.json`` into the job's folder
(each written under a temporary name and renamed), and the server reads them when the
page asks. At most ``workers`` jobs run at once, the rest wait in order; a job past its
time limit, or cancelled, has its process killed. Results travel as JSON files, never
as pickles.
"""

from __future__ import annotations

import json
import math
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perovx.errors import InputError

__all__ = ["MAX_JOBS", "Job", "JobTable"]

#: Most jobs kept (finished ones beyond it are forgotten, oldest first).
MAX_JOBS = 100


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(data, allow_nan=False))
    tmp.replace(path)


def _run(kind: str, params: dict[str, Any], inputs: dict[str, str], workdir: str) -> None:
    """Body of a job's process: run the task, write its outcome."""
    from perovx.errors import PerovxError
    from perovx.io.serialize import jsonable
    from perovx.web.app import _short
    from perovx.web.tasks import TASKS

    folder = Path(workdir)

    def progress(message: str, fraction: float) -> None:
        f = fraction if math.isfinite(fraction) else 0.0
        _write_json(folder / "progress.json", {"message": str(message)[:120],
                                               "fraction": min(max(f, 0.0), 1.0)})

    try:
        progress("starting", 0.0)
        out = TASKS[kind](params, {k: Path(v) for k, v in inputs.items()}, folder, progress)
        outcome = jsonable(out)
    except PerovxError as exc:
        outcome = {"error": _short(str(exc))}
    except MemoryError:
        outcome = {"error": "the computation ran out of memory; ask for less"}
    except Exception as exc:  # never a traceback to the page
        outcome = {"error": _short(f"cannot compute this request ({type(exc).__name__}); "
                                   "check the inputs")}
    try:
        _write_json(folder / "outcome.json", outcome)
    except ValueError:  # a non-finite number slipped through
        _write_json(folder / "outcome.json", {"error": "the result held a non-finite number"})


@dataclass
class Job:
    """One background job."""

    id: str
    kind: str
    params: dict[str, Any]
    inputs: dict[str, dict[str, str]]  # upload name → {"sha256", "path"}
    folder: Path
    state: str = "queued"  # queued | running | done | failed | cancelled
    created: float = field(default_factory=time.time)
    started: float | None = None
    process: Any = None
    outcome: dict[str, Any] | None = None

    def public(self) -> dict[str, Any]:
        """The job as the page sees it."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "state": self.state,
                               "inputs": [{"name": k, "sha256": v["sha256"]}
                                          for k, v in self.inputs.items()]}
        if self.state == "running":
            try:
                out["progress"] = json.loads((self.folder / "progress.json").read_text())
            except (OSError, ValueError):
                out["progress"] = {"message": "starting", "fraction": 0.0}
            out["elapsed_s"] = round(time.time() - (self.started or time.time()), 1)
        if self.outcome is not None:
            if "error" in self.outcome:
                out["error"] = self.outcome["error"]
            else:
                out["result"] = self.outcome.get("result")
                out["files"] = sorted(self.outcome.get("files", {}))
        return out


class JobTable:
    """The server's background jobs.

    Parameters
    ----------
    folder
        Where each job gets its own sub-folder.
    workers
        Jobs running at once.
    timeout_s
        Time limit of one job, s.
    """

    def __init__(self, folder: Path, *, workers: int, timeout_s: float) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self.timeout_s = timeout_s
        self.jobs: dict[str, Job] = {}

    def submit(self, kind: str, params: dict[str, Any],
               inputs: dict[str, dict[str, str]]) -> Job:
        """Queue a job; it starts when a worker is free."""
        from perovx.web.tasks import TASKS

        if kind not in TASKS:
            raise InputError(f"unknown job kind {kind[:40]!r}; one of {', '.join(TASKS)}")
        self.poll()
        waiting = sum(j.state in ("queued", "running") for j in self.jobs.values())
        if waiting >= 4 * self.workers:
            raise InputError(f"{waiting} jobs are already waiting; try again when they end")
        job_id = secrets.token_hex(8)
        folder = self.folder / job_id
        folder.mkdir()
        job = Job(job_id, kind, params, inputs, folder)
        self.jobs[job_id] = job
        self._forget_old()
        self.poll()
        return job

    def get(self, job_id: str) -> Job:
        """The job with this id, its state brought up to date."""
        self.poll()
        job = self.jobs.get(job_id)
        if job is None:
            raise InputError(f"no job {job_id[:20]!r} on this server")
        return job

    def cancel(self, job_id: str) -> Job:
        """Stop a queued or running job."""
        job = self.get(job_id)
        if job.state in ("queued", "running"):
            self._stop(job, "cancelled", None)
        self.poll()
        return job

    def _stop(self, job: Job, state: str, error: str | None) -> None:
        if job.process is not None and job.process.is_alive():
            job.process.kill()
            job.process.join(timeout=5)
        job.process = None
        job.state = state
        job.outcome = {"error": error or "cancelled"}

    def poll(self) -> None:
        """Collect finished jobs, stop those past the limit, start queued ones."""
        import multiprocessing

        for job in self.jobs.values():
            if job.state != "running":
                continue
            outcome_file = job.folder / "outcome.json"
            if outcome_file.exists():
                try:
                    job.outcome = json.loads(outcome_file.read_text())
                except (OSError, ValueError):
                    job.outcome = {"error": "the job's result could not be read"}
                if job.process is not None:
                    job.process.join(timeout=5)
                job.process = None
                job.state = "failed" if "error" in job.outcome else "done"
            elif job.process is not None and not job.process.is_alive():
                self._stop(job, "failed", "the job's worker died (out of memory?); ask for less")
            elif time.time() - (job.started or time.time()) > self.timeout_s:
                self._stop(job, "failed", f"the job ran past the time limit of "
                           f"{self.timeout_s:g} s and was stopped; ask for less")
        running = sum(j.state == "running" for j in self.jobs.values())
        for job in self.jobs.values():
            if running >= self.workers:
                break
            if job.state == "queued":
                ctx = multiprocessing.get_context("spawn")
                job.process = ctx.Process(
                    target=_run, daemon=True,
                    args=(job.kind, job.params, {k: v["path"] for k, v in job.inputs.items()},
                          str(job.folder)))
                job.process.start()
                job.started = time.time()
                job.state = "running"
                running += 1

    def file(self, job_id: str, name: str) -> Path:
        """A file a finished job wrote (only those its outcome lists)."""
        job = self.get(job_id)
        files = (job.outcome or {}).get("files", {})
        if job.state != "done" or name not in files:
            raise InputError(f"job {job_id[:20]} has no file {name[:60]!r}")
        return job.folder / files[name]

    def _forget_old(self) -> None:
        for job_id in list(self.jobs):
            if len(self.jobs) <= MAX_JOBS:
                break
            job = self.jobs[job_id]
            if job.state in ("done", "failed", "cancelled"):
                del self.jobs[job_id]
                shutil.rmtree(job.folder, ignore_errors=True)

    def close(self) -> None:
        """Stop every running job."""
        for job in self.jobs.values():
            if job.state in ("queued", "running"):
                self._stop(job, "cancelled", None)
