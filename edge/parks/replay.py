"""Replay recorded (or simulated) counter deliveries through :class:`ParksEngine` at full speed.

Used by tests and the benchmark: the same code path as the live worker minus the sockets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from edge.device import EpisodeEvent, Observation
from edge.parks.engine import ParksEngine


@dataclass
class ReplayResult:
    observations: list[Observation] = field(default_factory=list)
    events: list[EpisodeEvent] = field(default_factory=list)
    rejected: int = 0

    def stream(self, device: str, stream: str) -> list[Observation]:
        return [o for o in self.observations if o.device == device and o.stream == stream]


def replay(
    engine: ParksEngine, deliveries: Iterable[tuple[float, Any]], start_s: float, end_s: float
) -> ReplayResult:
    """Feed ``(receive POSIX s, body)`` pairs in time order, ticking every whole minute."""
    out = ReplayResult()
    items = sorted(deliveries, key=lambda d: d[0])
    i = 0
    tick = (start_s // 60 + 1) * 60
    while tick <= end_s:
        while i < len(items) and items[i][0] < tick:
            try:
                engine.receive(items[i][1], items[i][0])
            except ValueError:
                out.rejected += 1
            i += 1
        obs, ev = engine.tick(tick)
        out.observations += obs
        out.events += ev
        tick += 60
    return out
