"""One watcher of the event log per process (per event loop), shared by every SSE client.

Idle clients must not each query the database twice a second (on SQLite every transaction
takes the write lock): the watcher reads ``max(Event.id)`` once per interval and wakes the
clients when it grows; only then does a client read its events (scoped to its caller).
The watcher stops when no client has waited for a while and restarts with the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

#: Intervals without a waiting client after which the watcher stops.
IDLE_TICKS = 20


class EventWatcher:
    def __init__(self, read_latest: Callable[[], int], interval_s: float) -> None:
        self._read_latest = read_latest
        self.interval_s = interval_s
        self.latest = -1
        self._tick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._waiting = 0

    async def _run(self) -> None:
        idle = 0
        while idle < IDLE_TICKS:
            try:
                self.latest = await run_in_threadpool(self._read_latest)
            except Exception as exc:  # the database is away: clients keep waiting
                log.warning("event watcher cannot read the event log: %s", exc)
            tick, self._tick = self._tick, asyncio.Event()
            tick.set()
            idle = idle + 1 if self._waiting == 0 else 0
            await asyncio.sleep(self.interval_s)

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def next_tick(self) -> int:
        """Wait for the watcher's next reading; returns the newest event id (-1: unknown)."""
        self._ensure_running()
        self._waiting += 1
        try:
            await self._tick.wait()
        finally:
            self._waiting -= 1
        return self.latest


def watcher_for(state: object, read_latest: Callable[[], int], interval_s: float) -> EventWatcher:
    """The watcher of the running event loop, kept on ``state`` (the app's state)."""
    loop = asyncio.get_running_loop()
    watchers: dict[int, EventWatcher] | None = getattr(state, "event_watchers", None)
    if watchers is None:
        watchers = {}
        state.event_watchers = watchers  # type: ignore[attr-defined]
    watcher = watchers.get(id(loop))
    if watcher is None:
        watcher = watchers[id(loop)] = EventWatcher(read_latest, interval_s)
    return watcher
