"""The process's worker threads: how many, a pool of them, and work split over them.

perovx's array stages (phantom maps, the panel's blocks, film maps, the readout) run
numpy, scipy.fft and compiled loops that release the GIL, so a thread pool over
independent parts of an array uses every core without copying data between processes.
Each part writes only its own slice with the same operations whatever the split, so a
result is the same for any number of threads. ``PEROVX_THREADS`` sets the number.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["block_pool", "default_threads", "in_background", "run_blocks", "run_row_chunks",
           "run_tasks"]


def default_threads() -> int:
    """CPU cores this process may use (``PEROVX_THREADS`` overrides)."""
    env = os.environ.get("PEROVX_THREADS")
    if env:
        try:
            n = int(env)
        except ValueError:
            n = 0
        if n >= 1:
            return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def block_pool(threads: int | None) -> ThreadPoolExecutor | None:
    """A thread pool of ``threads`` workers (default :func:`default_threads`); None for 1."""
    n = default_threads() if threads is None else int(threads)
    if n < 1:
        from perovx.errors import InputError

        raise InputError(f"threads must be an integer >= 1, got {threads!r}")
    return None if n == 1 else ThreadPoolExecutor(max_workers=n)


def run_blocks(tasks: Iterable[Callable[[], Any]], pool: ThreadPoolExecutor | None) -> list[Any]:
    """Run independent block tasks (in ``pool`` when given); results in task order."""
    todo = list(tasks)
    if pool is None or len(todo) <= 1:
        return [t() for t in todo]
    return list(pool.map(lambda t: t(), todo))


def run_tasks(tasks: Iterable[Callable[[], Any]], threads: int | None = None) -> list[Any]:
    """Run independent tasks on a pool of ``threads`` workers made for them (default
    :func:`default_threads`; none for one thread or one task); results in task order."""
    todo = list(tasks)
    pool = block_pool(threads) if len(todo) > 1 else None
    try:
        return run_blocks(todo, pool)
    finally:
        if pool is not None:
            pool.shutdown()


def run_row_chunks(rows: int, work: Callable[[int, int], Any], threads: int | None = None,
                   step: int = 256) -> None:
    """Call ``work(r0, r1)`` on contiguous chunks of ``[0, rows)`` on ``threads`` threads.

    The chunks are multiples of ``step`` rows (one per thread, default
    :func:`default_threads`); each call writes its own rows only, so a result whose rows
    are computed alike is the same for any number of threads.
    """
    n = default_threads() if threads is None else max(1, int(threads))
    per = -(-max(rows, 1) // n)
    per = max(step, -(-per // step) * step)
    chunks = [(r0, min(r0 + per, rows)) for r0 in range(0, rows, per)]
    run_tasks([(lambda r0=r0, r1=r1: work(r0, r1)) for r0, r1 in chunks], n)


def in_background(work: Callable[[], Any], threads: int | None = None) -> Future:
    """Start ``work()`` on a worker thread and return its future, so that the caller
    computes something else meanwhile; with one thread (``threads``, default
    :func:`default_threads`) it runs at once and the future is already done."""
    n = default_threads() if threads is None else max(1, int(threads))
    if n == 1:
        done: Future = Future()
        try:
            done.set_result(work())
        except Exception as exc:  # raised from result(), as from a worker thread
            done.set_exception(exc)
        return done
    side = ThreadPoolExecutor(max_workers=1)
    try:
        return side.submit(work)
    finally:
        side.shutdown(wait=False)
