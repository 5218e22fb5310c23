"""A sink that keeps what a device worker hands over, for worker tests of every device kind."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from edge.device import EpisodeEvent, Observation


class ListSink:
    """Implements :class:`edge.device.Sink` by appending to lists (thread-safe)."""

    def __init__(self) -> None:
        self.obs: list[Observation] = []
        self.events: list[EpisodeEvent] = []
        self.health_reports: list[tuple[str, Mapping[str, float], tuple[str, ...]]] = []
        self.lock = threading.Lock()

    def observation(self, obs: Observation) -> None:
        with self.lock:
            self.obs.append(obs)

    def episode(self, event: EpisodeEvent) -> None:
        with self.lock:
            self.events.append(event)

    def health(self, device: str, values: Mapping[str, float], flags: tuple[str, ...]) -> None:
        with self.lock:
            self.health_reports.append((device, values, flags))
