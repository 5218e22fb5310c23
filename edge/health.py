"""Counters of the agent's own health, published as its ``telemetry/health`` stream.

Values (all counts since this boot unless named otherwise): ``reconnects``, ``worker_restarts``,
``workers_running``, ``workers_failed`` (threads currently waiting to restart),
``groups_failed`` (device groups whose workers could not be built), the outbox depth
(``queued``, ``queued_bytes``, ``alert_queued``, ...), ``inflight``, ``qos0_buffered``, and one
``drops_<reason>`` per drop reason (``drops_telemetry_thinned``, ``drops_alert_evicted``,
``drops_qos0_overflow``, ``drops_invalid``...).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Mapping

_NON_ID = re.compile(r"[^a-z0-9_-]+")


def wire_key(name: str) -> str:
    """A value name the contract accepts ([a-z0-9_-], at most 64 characters)."""
    return _NON_ID.sub("_", name.lower())[:64] or "value"


class AgentHealth:
    """Thread-safe counters; :meth:`values` merges them with live gauges."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._drops: Counter[str] = Counter()
        #: device -> why it has no working worker (group import failed, build failed)
        self.device_faults: dict[str, str] = {}
        self.failed_groups: dict[str, str] = {}

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def drop(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self._drops[reason] += n

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts[name]

    def drops(self) -> dict[str, int]:
        with self._lock:
            return dict(self._drops)

    def values(
        self, gauges: Mapping[str, float], outbox_drops: Mapping[str, int]
    ) -> dict[str, float]:
        with self._lock:
            out: dict[str, float] = {
                "reconnects": float(self._counts["reconnects"]),
                "worker_restarts": float(self._counts["worker_restarts"]),
                "groups_failed": float(len(self.failed_groups)),
            }
            drops = Counter(self._drops)
        drops.update(outbox_drops)
        for reason, n in drops.items():
            out[wire_key(f"drops_{reason}")] = float(n)
        for name, value in gauges.items():
            out[wire_key(name)] = float(value)
        # the contract allows at most 64 values: keep the first 64 (counters first)
        return dict(list(out.items())[:64])
