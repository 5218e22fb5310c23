"""A few render threads shared by every simulated camera of a process, earliest frame first.

Each :class:`~firmware_sim.camera.server.MjpegServer` used to render in a thread of its own; 17
in-process cameras then meant 17 render threads, each free to hold a frame's temporary arrays
at the same time. The pool runs ``workers`` threads (default: the number of cores, at most 2)
that take the job whose next frame is due soonest, so CPU and memory in flight are bounded by
the pool size whatever the number of cameras, and a late camera simply skips to its newest
frame (the server renders on the simulated-time grid, never a backlog).

A job is a callable returning the ``time.monotonic()`` at which it wants to run next, or
``None`` to leave the pool.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Job = Callable[[], float | None]


class RenderPool:
    def __init__(self, workers: int | None = None, name: str = "camsim-render") -> None:
        self.workers = workers or max(1, min(os.cpu_count() or 1, 2))
        self._name = name
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        #: job -> sequence number of its one live heap entry (older entries are stale).
        self._live: dict[Job, int] = {}
        self._threads: list[threading.Thread] = []

    def add(self, job: Job, at: float | None = None) -> None:
        """Schedule ``job`` at ``at`` (monotonic; default now); re-adding reschedules it."""
        with self._cond:
            self._push(job, time.monotonic() if at is None else at)
            self._ensure_threads()
            self._cond.notify()

    def poke(self, job: Job) -> None:
        """Run ``job`` as soon as possible (e.g. a first client arrived), if still in the pool."""
        with self._cond:
            if job in self._live:
                self._push(job, time.monotonic())
                self._cond.notify()

    def remove(self, job: Job) -> None:
        with self._cond:
            self._live.pop(job, None)

    def __len__(self) -> int:
        return len(self._live)

    def _push(self, job: Job, at: float) -> None:
        seq = next(self._seq)
        self._live[job] = seq
        heapq.heappush(self._heap, (at, seq, job))

    def _ensure_threads(self) -> None:
        while len(self._threads) < self.workers:
            t = threading.Thread(
                target=self._run, name=f"{self._name}-{len(self._threads)}", daemon=True
            )
            self._threads.append(t)
            t.start()

    def _next(self) -> tuple[int, Job]:
        with self._cond:
            while True:
                while self._heap and self._live.get(self._heap[0][2]) != self._heap[0][1]:
                    heapq.heappop(self._heap)  # stale entry or removed job
                if not self._heap:
                    self._cond.wait()
                    continue
                at, seq, job = self._heap[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                # Claimed: a poke while it runs pushes a new entry under a new number.
                self._live[job] = -1
                return seq, job

    def _run(self) -> None:
        while True:
            _, job = self._next()
            try:
                nxt = job()
            except Exception:  # one camera's bug must not stop the others
                log.exception("camera sim: render job failed; retrying in 1 s")
                nxt = time.monotonic() + 1.0
            with self._cond:
                if self._live.get(job) == -1:  # not removed, not poked meanwhile
                    if nxt is None:
                        del self._live[job]
                    else:
                        self._push(job, nxt)
                        self._cond.notify()


_shared: RenderPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> RenderPool:
    """The process's render pool (created on first use; its threads are daemons)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RenderPool()
        return _shared
