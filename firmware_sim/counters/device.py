"""A simulated counter on the network: plays a gate's deliveries as HTTP POSTs in simulated time.

The deliveries come from :func:`firmware_sim.counters.firmware.generate_reports`; this thread
only waits for each one's send time on a :class:`~firmware_sim.clock.SimClock` and POSTs its
JSON body to ``url`` (the edge's receiver, e.g. ``http://127.0.0.1:PORT/counts``). A refused
or failed POST is retried a few times, then dropped (like a counter whose buffer overflows).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence

from firmware_sim.clock import SimClock
from firmware_sim.counters.firmware import Delivery

log = logging.getLogger(__name__)


def post_json(url: str, body: object, timeout_s: float = 5.0) -> int:
    """POST ``body`` as JSON; return the HTTP status."""
    data = json.dumps(body).encode("utf-8")
    req = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        return int(resp.status)


class SimulatedCounter(threading.Thread):
    """Pushes ``deliveries`` (send times in seconds after ``day_offset_s``) to ``url``."""

    def __init__(
        self,
        url: str,
        deliveries: Sequence[Delivery],
        clock: SimClock,
        clock_offset_s: float,
        stop: threading.Event,
        name: str = "sim-counter",
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.url = url
        self.deliveries = list(deliveries)
        self.clock = clock
        #: seconds after the day's midnight at which the clock's start lies
        self.clock_offset_s = clock_offset_s
        self.stop_event = stop
        self.sent = 0
        self.failed = 0

    def run(self) -> None:
        for d in self.deliveries:
            if d.send_s < self.clock_offset_s:
                continue  # before the simulation starts
            while not self.stop_event.is_set():
                remaining = (
                    d.send_s - self.clock_offset_s - self.clock.elapsed_s()
                ) / self.clock.speed
                if remaining <= 0:
                    break
                self.stop_event.wait(min(remaining, 0.2))
            if self.stop_event.is_set():
                return
            for attempt in range(3):
                try:
                    post_json(self.url, d.body)
                    self.sent += 1
                    break
                except (urllib.error.URLError, OSError) as exc:
                    if attempt == 2:
                        self.failed += 1
                        log.warning("simulated counter: POST to %s failed: %s", self.url, exc)
                    elif self.stop_event.wait(0.2):
                        return
