"""`prefetched`: results in order, the next one computed while the caller holds this one,
and nothing left running when the caller stops early."""

from __future__ import annotations

import threading
import time

from ingestion.common.files import prefetched


def test_results_in_order_and_the_next_one_runs_ahead():
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        return i * i

    got = []
    for r in prefetched(work, range(5)):
        time.sleep(0.05)  # the worker has time to start the next item meanwhile
        got.append((r, list(started)))
    assert [r for r, _ in got] == [0, 1, 4, 9, 16]
    # while the caller held result i, item i + 1 had already been started (at most one ahead)
    assert [s for _, s in got] == [[0, 1], [0, 1, 2], [0, 1, 2, 3], [0, 1, 2, 3, 4],
                                   [0, 1, 2, 3, 4]]


def test_stopping_early_waits_for_the_running_call_and_starts_no_other():
    running = threading.Event()
    release = threading.Event()
    finished: list[int] = []

    def work(i: int) -> int:
        if i == 1:
            running.set()
            release.wait(5)
        finished.append(i)
        return i

    gen = prefetched(work, range(10))
    assert next(gen) == 0
    assert running.wait(5)
    threading.Timer(0.2, release.set).start()
    gen.close()  # returns only once item 1's call has finished
    assert finished == [0, 1]
