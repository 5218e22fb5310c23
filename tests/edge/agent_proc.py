"""An edge agent in its own process, for kill -9 tests: ``python -m tests.edge.agent_proc``.

Its worker ("ticker") keeps one long episode open and emits an opened+closed episode every
``--period`` seconds with ``details: {pid, n}``, so a test can see that nothing was lost.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.agent import EdgeAgent
from edge.config import AgentConfig
from edge.device import DeviceWorker, EpisodeEvent, Sink
from edge.health import AgentHealth
from edge.workers import BuiltWorkers
from whistle.config.site import SiteConfig, load_site
from whistle.contract import AlertState, Severity


class Ticker(DeviceWorker):
    def __init__(self, device_id: str, period: float) -> None:
        super().__init__(device_id)
        self.period = period

    def _event(
        self, aid: uuid.UUID, state: AlertState, seq: int, n: int, kind: str
    ) -> EpisodeEvent:
        now = datetime.now(UTC)
        return EpisodeEvent(
            alert_id=aid,
            state=state,
            seq=seq,
            type=kind,
            severity=Severity.WARNING,
            device=self.device_id,
            zone=None,
            started_at=now,
            ts=now,
            ended_at=now if state is AlertState.CLOSED else None,
            details={"pid": os.getpid(), "n": n},
        )

    def run(self, sink: Sink, stop: threading.Event) -> None:
        sink.episode(self._event(uuid.uuid4(), AlertState.OPENED, 0, -1, "long"))
        n = 0
        while not stop.wait(self.period):
            aid = uuid.uuid4()
            sink.episode(self._event(aid, AlertState.OPENED, 0, n, "tick"))
            sink.episode(self._event(aid, AlertState.CLOSED, 1, n, "tick"))
            n += 1


def main() -> None:
    parser = argparse.ArgumentParser(description="edge agent with a ticker worker (tests)")
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--period", type=float, default=0.02)
    args = parser.parse_args()
    site = load_site(args.site)
    config = AgentConfig.model_validate(
        {
            "agent": "edge-t",
            "site_file": str(args.site),
            "data_dir": str(args.data_dir),
            "broker": {"url": f"mqtt://127.0.0.1:{args.port}", "keepalive_s": 2},
            "outbox": {"synchronous": "normal"},
            "telemetry": {"health_interval_s": 1},
        }
    )

    def build(s: SiteConfig, agent: str, options: Any, health: AgentHealth) -> BuiltWorkers:
        return BuiltWorkers(workers=[Ticker("c1", args.period)])

    agent = EdgeAgent(config, site, worker_factory=build)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    agent.run(stop)


if __name__ == "__main__":
    main()
