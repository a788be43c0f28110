"""Run renders in parallel, a few at a time, and stop them all at once on Ctrl-C."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from ..render import processes

#: Told how many renders are done, out of how many: a progress line.
Progress = Callable[[int, int], None]

#: How long the main thread waits for renders before it looks for a Ctrl-C again.
TICK = 0.2

T = TypeVar("T")


def run_all(
    todo: Iterable[T], work: Callable[[T], object], jobs: int, progress: Progress | None = None
) -> None:
    """Call ``work`` on every item of ``todo``, ``jobs`` at a time; on any exception
    (Ctrl-C among them) kill the renderer processes running and start no more.

    Each item is started as soon as ``todo`` yields it: what makes the items (the
    cache keys of a cold run's units, Python work) runs while the first ones render.
    Progress is told once all are known (its total would move until then)."""
    pool: ThreadPoolExecutor | None = None
    # Each future puts itself here when it ends: the main thread takes them one at a
    # time. (concurrent.futures.wait takes every pending future's lock on each call:
    # a thousand renders waited for that way cost a second of the main thread's CPU,
    # taken from the renders on a machine whose cores they keep busy.)
    ended: queue.SimpleQueue[Future[object]] = queue.SimpleQueue()
    started = 0
    try:
        for item in todo:
            if pool is None:
                pool = ThreadPoolExecutor(max_workers=max(1, jobs))
            pool.submit(work, item).add_done_callback(ended.put)
            started += 1
        done = 0
        while done < started:
            # Waits of a bounded time: Ctrl-C's SIGINT may be delivered to a render
            # thread, and a wait with no timeout would not see it until a render
            # ended (minutes, for a hung one); with one, it is seen within a tick.
            try:
                future = ended.get(timeout=TICK)
            except queue.Empty:
                continue
            future.result()
            done += 1
            if progress is not None:
                progress(done, started)
    except BaseException:
        # Ctrl-C: kill the renders now rather than wait for each to end (up to
        # its timeout), and start no more.
        processes.kill_all()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown()
