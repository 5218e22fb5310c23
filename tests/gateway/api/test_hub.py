"""The shared event-log watcher: one reading per interval for all clients, stops when idle."""

from __future__ import annotations

import asyncio
import itertools

from gateway.api import hub
from gateway.api.hub import EventWatcher


def test_clients_share_one_reading_per_tick_and_the_watcher_stops_when_idle() -> None:
    reads = itertools.count(1)
    calls: list[int] = []

    def read_latest() -> int:
        value = next(reads)
        calls.append(value)
        return value

    async def scenario() -> None:
        watcher = EventWatcher(read_latest, interval_s=0.01)
        # three clients waiting at once are served by the same reading
        got = await asyncio.gather(*(watcher.next_tick() for _ in range(3)))
        assert len(set(got)) == 1
        assert got[0] == calls[-1]
        later = await watcher.next_tick()
        assert later > got[0]
        task = watcher._task
        assert task is not None
        await asyncio.wait_for(task, timeout=hub.IDLE_TICKS * 0.01 + 5)
        assert task.done()
        # the next client restarts it
        assert await watcher.next_tick() > later

    asyncio.run(scenario())


def test_a_failing_read_reports_unknown() -> None:
    def broken() -> int:
        raise OSError("database is away")

    async def scenario() -> int:
        return await EventWatcher(broken, interval_s=0.01).next_tick()

    assert asyncio.run(scenario()) == -1
