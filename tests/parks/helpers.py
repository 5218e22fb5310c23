"""Play simulated park days through the edge's parks engine (pure, full speed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from edge.parks.engine import ParksEngine
from edge.parks.replay import ReplayResult, replay
from firmware_sim.counters.scenarios import SimDay, simulate_day
from whistle.config.common import TimeWindow
from whistle.config.counter import AreaConfig, CounterConfig, CounterSource

TZ = ZoneInfo("Asia/Shanghai")
#: The simulated counters' side-by-side undercount as a manual count would measure it
#: (3.5-3.7 % over seeds 3-5 with a 0.2 s resolving time, see docs/parks.md).
CALIBRATED_UNDERCOUNT = 0.036


@dataclass
class PlayedDay:
    day: SimDay
    engine: ParksEngine
    result: ReplayResult
    base_s: float

    def live(self) -> tuple[np.ndarray, np.ndarray]:
        occ = self.result.stream("park", "occupancy")
        t = np.array([o.ts.timestamp() - self.base_s for o in occ])
        return t, np.array([o.values["occupancy"] for o in occ])


def play_day(scenario: str, seed: int, capacity: int = 1200) -> PlayedDay:
    d0 = datetime(2026, 5, 16, tzinfo=TZ)
    day = simulate_day(scenario, seed, d0)
    counters = [CounterConfig(id=g, name=g, kind="counter", source=CounterSource(kind="simulator"),
                              serial=f"HC2-{seed % 1000:03d}-{i:02d}",
                              undercount_ratio=CALIBRATED_UNDERCOUNT)
                for i, g in enumerate(day.gates)]
    area = AreaConfig(id="park", name="park", kind="area", capacity=capacity,
                      gates=list(day.gates),
                      closed=[TimeWindow(start=time(22, 30), end=time(4, 30))])
    engine = ParksEngine(counters, [area])
    base = d0.timestamp()
    deliveries = [(base + d.send_s, d.body) for g in day.gates for d in day.deliveries[g]]
    result = replay(engine, deliveries, base + day.crossings.open_s - 600,
                    base + 22.5 * 3600 + 60)
    return PlayedDay(day, engine, result, base)
