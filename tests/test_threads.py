import threading

import numpy as np
import pytest

from perovx.threads import in_background, run_row_chunks, run_tasks


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("rows", [1, 255, 256, 257, 1000])
def test_row_chunks_cover_every_row_once(threads, rows):
    seen = np.zeros(rows, dtype=int)
    lock = threading.Lock()

    def work(r0, r1):
        with lock:
            seen[r0:r1] += 1

    run_row_chunks(rows, work, threads, step=256)
    assert np.all(seen == 1)


def test_in_background_with_one_thread_runs_at_once():
    ran = []
    fut = in_background(lambda: ran.append(threading.get_ident()) or 7, threads=1)
    assert fut.done() and fut.result() == 7 and ran == [threading.get_ident()]


def test_in_background_runs_on_another_thread():
    fut = in_background(threading.get_ident, threads=2)
    assert fut.result(timeout=10) != threading.get_ident()


@pytest.mark.parametrize("threads", [1, 2])
def test_in_background_passes_the_error_on(threads):
    def fail():
        raise ValueError("boom")

    fut = in_background(fail, threads=threads)
    with pytest.raises(ValueError, match="boom"):
        fut.result(timeout=10)


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_run_tasks_returns_results_in_task_order(threads):
    main = threading.get_ident()
    out = run_tasks([(lambda k=k: (k * k, threading.get_ident())) for k in range(9)], threads)
    assert [v for v, _ in out] == [k * k for k in range(9)]
    assert all(t == main for _, t in out) == (threads == 1)
    assert run_tasks([], threads) == []
