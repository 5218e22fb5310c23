"""Play simulated park days through the edge's parks engine (pure, full speed), the counters
configured as a site would be: the sensor's datasheet resolving time and the side-by-side
undercount from a manual count.
"""

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
#: The simulated sensor's resolving time (its "datasheet", docs/parks.md).
RESOLVING_TIME_S = 0.2
#: Side-by-side undercount on top of the dead-time correction, as a manual count would measure
#: it: 1 - counted/true over the clean development days (seeds 1-5, every gate, both
#: directions) with the dead-time term applied; printed by ``calibrate_undercount``.
CALIBRATED_UNDERCOUNT = 0.0272
SEEDS_ALL_FAULTS = tuple(range(100, 112))


@dataclass
class PlayedDay:
    day: SimDay
    engine: ParksEngine
    result: ReplayResult
    base_s: float
    scenario: str = ""

    def live(self) -> tuple[np.ndarray, np.ndarray]:
        """(seconds after local midnight, occupancy as published at each minute's tick)."""
        occ = self.result.stream("park", "occupancy")
        t = np.array([o.ts.timestamp() - self.base_s for o in occ])
        return t, np.array([o.values["occupancy"] for o in occ])


def play_day(
    scenario: str,
    seed: int,
    capacity: int = 1200,
    undercount: float = CALIBRATED_UNDERCOUNT,
    resolving_time_s: float = RESOLVING_TIME_S,
) -> PlayedDay:
    d0 = datetime(2026, 5, 16, tzinfo=TZ)
    day = simulate_day(scenario, seed, d0)
    counters = [
        CounterConfig(
            id=g,
            name=g,
            kind="counter",
            source=CounterSource(kind="simulator"),
            serial=f"HC2-{seed % 1000:03d}-{i:02d}",
            undercount_ratio=undercount,
            resolving_time_s=resolving_time_s,
        )
        for i, g in enumerate(day.gates)
    ]
    area = AreaConfig(
        id="park",
        name="park",
        kind="area",
        capacity=capacity,
        gates=list(day.gates),
        closed=[TimeWindow(start=time(22, 30), end=time(4, 30))],
    )
    engine = ParksEngine(counters, [area])
    base = d0.timestamp()
    deliveries = [(base + d.send_s, d.body) for g in day.gates for d in day.deliveries[g]]
    result = replay(engine, deliveries, base + day.crossings.open_s - 600, base + 22.5 * 3600 + 60)
    return PlayedDay(day, engine, result, base, scenario)


def calibrate_undercount(seeds: tuple[int, ...] = (1, 2, 3, 4, 5)) -> float:
    """The manual count: 1 - (dead-time corrected counts) / (true crossings), clean days."""
    counted = true = 0.0
    for seed in seeds:
        p = play_day("clean", seed, undercount=0.0)
        day = p.engine.areas["park"].agg.previous
        assert day is not None
        counted += float(day.in_counts.sum() + day.out_counts.sum())
        true += float(p.day.crossings.t_s.size)
    return 1.0 - counted / true


if __name__ == "__main__":
    print(f"side-by-side undercount after the dead-time term: {calibrate_undercount():.4f}")
