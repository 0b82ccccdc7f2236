"""Work spread over processes comes back in the order of the work, one result at a time."""

from __future__ import annotations

import os
import threading
import time

import pytest

from capsa.scan.pool import each_in_order, run_ordered


def _slow_first(item: int) -> tuple[int, int]:
    """The first items finish last, so a pool's finishing order is not the work's."""
    time.sleep(0.02 * (4 - item) if item < 4 else 0)
    return item, os.getpid()


@pytest.mark.parametrize("jobs", [1, 2])
def test_results_come_in_the_order_of_the_work(jobs: int) -> None:
    done = run_ordered(_slow_first, list(range(8)), jobs)
    assert [item for item, _ in done] == list(range(8))
    workers = {pid for _, pid in done}
    if jobs == 1 or threading.active_count() > 1:
        # with other threads running (a fake API server of another test) the pool would
        # fork a child holding their locks: the work runs here instead
        assert workers == {os.getpid()}, "the work runs in this process"
    else:
        assert os.getpid() not in workers, "more jobs run in forked workers"


def test_one_job_hands_each_result_over_before_doing_the_next() -> None:
    """A caller taking results one by one holds one at a time, not every one."""
    started: list[int] = []

    def work(item: int) -> int:
        started.append(item)
        return item

    results = each_in_order(work, [0, 1, 2], 1)
    assert next(results) == 0
    assert started == [0], "the next item waits until its result is asked for"
    assert list(results) == [1, 2]
    assert started == [0, 1, 2]
