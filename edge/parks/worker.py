"""The parks worker: receives every gate counter's pushes and publishes counts, occupancy and
episodes for the counters and areas of one agent.

One worker serves all of an agent's counters and areas (an area sums several gates). It runs
one HTTP receiver; for ``source.kind: simulator`` counters it listens on an ephemeral
127.0.0.1 port and starts the simulated counters in-process, which push their vendor JSON to
it over real HTTP. Every simulated (or real) minute it ticks the :class:`ParksEngine`.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from edge.device import DeviceWorker, Sink, WorkerOptions
from edge.parks.engine import ParksEngine
from edge.parks.receiver import CountsReceiver
from firmware_sim.clock import SimClock
from whistle.config.counter import AreaConfig, CounterConfig
from whistle.config.site import SiteConfig

log = logging.getLogger(__name__)


def _listen_address(counters: list[CounterConfig]) -> tuple[str, int]:
    for c in counters:
        if c.source.kind == "http":
            host, _, port = c.source.listen.rpartition(":")
            return host or "0.0.0.0", int(port)
    return "127.0.0.1", 0


class ParksWorker(DeviceWorker):
    def __init__(
        self,
        site: SiteConfig,
        counters: list[CounterConfig],
        areas: list[AreaConfig],
        options: WorkerOptions,
    ) -> None:
        super().__init__(areas[0].id if areas else counters[0].id)
        self.site = site
        self.counters = counters
        self.areas = areas
        self.options = options
        self.engine = ParksEngine(counters, areas, site.timezone)
        self._lock = threading.Lock()
        self.receiver: CountsReceiver | None = None
        self.clock: SimClock | None = None
        self.sim_threads: list[threading.Thread] = []

    @property
    def capabilities(self) -> tuple[str, ...]:
        return ("counts", "occupancy")

    def _on_body(self, body: Any) -> None:
        assert self.clock is not None
        with self._lock:
            self.engine.receive(body, self.clock.now().timestamp())

    def _start_simulators(self, stop: threading.Event) -> None:
        from firmware_sim.counters.device import SimulatedCounter
        from firmware_sim.counters.scenarios import simulate_day

        assert self.clock is not None and self.receiver is not None
        tz = ZoneInfo(self.site.timezone)
        local = self.clock.start.astimezone(tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        offset_s = (local - midnight).total_seconds()
        days: dict[tuple[str, int], Any] = {}
        for c in self.counters:
            if c.source.kind != "simulator":
                continue
            key = (c.source.scenario or "clean", c.source.seed)
            if key not in days:
                serials = {}
                for other in self.counters:
                    if (
                        other.source.kind == "simulator"
                        and (other.source.scenario or "clean", other.source.seed) == key
                    ):
                        serials[other.source.sim_gate] = other.serial_number
                days[key] = (simulate_day(key[0], key[1], midnight, start_s=offset_s), serials)
            day, serials = days[key]
            if c.source.sim_gate >= len(day.gates):
                log.error("counter %s: scenario %s has only %d gates", c.id, key[0], len(day.gates))
                continue
            gate = day.gates[c.source.sim_gate]
            deliveries = [_with_serial(d, c.serial_number) for d in day.deliveries[gate]]
            t = SimulatedCounter(
                self.receiver.url,
                deliveries,
                self.clock,
                offset_s,
                stop,
                name=f"sim-counter-{c.id}",
            )
            t.start()
            self.sim_threads.append(t)

    def run(self, sink: Sink, stop: threading.Event) -> None:
        start = self.options.sim_start or datetime.now(UTC)
        any_sim = any(c.source.kind == "simulator" for c in self.counters)
        self.clock = SimClock(start, self.options.sim_speed if any_sim else 1.0)
        host, port = _listen_address(self.counters)
        self.receiver = CountsReceiver(self._on_body, host, port)
        self.receiver.start()
        log.info(
            "parks worker %s: receiving counter reports at %s:%d",
            self.device_id,
            host,
            self.receiver.port,
        )
        sim_stop = threading.Event()
        try:
            if any_sim:
                self._start_simulators(sim_stop)
            next_tick = (start.timestamp() // 60 + 1) * 60
            while not stop.is_set():
                now = self.clock.now().timestamp()
                if now < next_tick:
                    stop.wait(min((next_tick - now) / self.clock.speed, 0.5))
                    continue
                with self._lock:
                    obs, events = self.engine.tick(next_tick)
                for o in obs:
                    sink.observation(o)
                for e in events:
                    sink.episode(e)
                sink.health(self.device_id, self._health_values(), ())
                next_tick += 60
        finally:
            sim_stop.set()
            with self._lock:
                for e in self.engine.close_all(self.clock.now().timestamp()):
                    sink.episode(e)
            self.receiver.stop()
            for t in self.sim_threads:
                t.join(timeout=2)

    def _health_values(self) -> dict[str, float]:
        values: dict[str, float] = {
            "rejected_bodies": float(
                self.engine.errors + (self.receiver.rejected if self.receiver else 0)
            ),
            "unknown_serials": float(self.engine.unknown_serials),
        }
        for gid, st in self.engine.gates.items():
            for verdict, n in st.tracker.counts.items():
                values[f"{gid}_{verdict}"] = float(n)
        return dict(list(values.items())[:60])


def _with_serial(d: Any, serial: str) -> Any:
    from firmware_sim.counters.firmware import Delivery

    def fix(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "serial": serial}

    body = [fix(b) for b in d.body] if isinstance(d.body, list) else fix(d.body)
    return Delivery(d.send_s, body)
