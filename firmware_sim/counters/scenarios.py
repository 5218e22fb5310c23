"""Named counter scenarios: a park, its gates, its visitors and which faults are switched on."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from firmware_sim.counters.firmware import Delivery, Faults, GateSpec, generate_reports
from firmware_sim.counters.flows import Crossings, DayShape, generate_day

SCENARIOS = (
    "clean",
    "all_faults",
    "demo_playground",
    "weekend_all_faults",
    "wetland_morning",
    "haiyuan_morning",
    "running_morning",
)


@dataclass(frozen=True)
class ParkSpec:
    gates: tuple[str, ...]
    gate_weights: tuple[float, ...]
    visitors: int
    weekend: bool = False
    resolving_time_s: float = 0.2
    period_s: float = 10.0
    all_faults: bool = False
    #: Demo: start the first crowd right at this second of the day instead of 05:00.
    start_s: float | None = None
    #: Open from 04:00 with morning exercisers (:meth:`DayShape.early`); when the simulation
    #: starts later than the opening, the park opens at the start (empty: nobody is inside
    #: whom the counters could not have seen come in).
    early: bool = False


@dataclass
class SimDay:
    """A simulated day: the truth and every gate's deliveries."""

    day_start: datetime
    crossings: Crossings
    gates: tuple[str, ...]
    deliveries: dict[str, list[Delivery]] = field(default_factory=dict)
    faults: dict[str, Faults] = field(default_factory=dict)

    def truth_per_minute(self) -> tuple[np.ndarray, np.ndarray]:
        """(minute-end seconds after midnight, true occupancy then), over the open hours."""
        t = np.arange(np.floor(self.crossings.open_s / 60) * 60, self.crossings.close_s + 1, 60.0)
        return t, self.crossings.occupancy_at(t)


def park_spec(name: str) -> ParkSpec:
    """Scenario name -> park. Wetland park: 4 gates, ~6000 visitors; playground: 1 gate."""
    wetland = ParkSpec(
        gates=("gate-n", "gate-e", "gate-s", "gate-w"),
        gate_weights=(0.35, 0.25, 0.25, 0.15),
        visitors=6000,
    )
    if name == "clean":
        return wetland
    if name == "all_faults":
        return replace(wetland, all_faults=True)
    if name == "weekend_all_faults":
        return replace(wetland, visitors=9000, weekend=True, all_faults=True)
    if name == "wetland_morning":  # the Yangting River wetland park, every fault on
        return replace(wetland, all_faults=True, early=True)
    if name == "haiyuan_morning":  # Haiyuan park: three gates
        return ParkSpec(
            gates=("gate-n", "gate-e", "gate-s"),
            gate_weights=(0.45, 0.3, 0.25),
            visitors=4000,
            early=True,
        )
    if name == "running_morning":  # the running-themed park: runners at dawn, two gates
        return ParkSpec(
            gates=("gate-e", "gate-w"), gate_weights=(0.6, 0.4), visitors=2500, early=True
        )
    if name == "demo_playground":
        return ParkSpec(gates=("gate-play",), gate_weights=(1.0,), visitors=600, start_s=0.0)
    raise KeyError(f"unknown counter scenario {name!r}; known: {', '.join(SCENARIOS)}")


def simulate_day(
    name: str,
    seed: int,
    day_start: datetime,
    start_s: float | None = None,
    serials: dict[str, str] | None = None,
) -> SimDay:
    """Generate a whole day of scenario ``name`` (pure; a few tens of milliseconds).

    ``day_start``: local midnight (tz-aware). ``start_s``: for the demo, when the first crowd
    arrives (seconds after midnight).
    """
    spec = park_spec(name)
    rng = np.random.default_rng(seed)
    shape = DayShape.weekend() if spec.weekend else DayShape.weekday()
    if spec.early:
        shape = DayShape.early()
        if start_s is not None and start_s / 3600.0 > shape.open_h:
            shape = DayShape(bumps=shape.bumps, open_h=start_s / 3600.0, close_h=shape.close_h)
    if spec.start_s is not None:
        # the demo: a crowd that starts arriving right at ``start_s`` and peaks 12 min later
        h = (start_s or 0.0) / 3600.0
        shape = DayShape(bumps=((h + 0.2, 0.1, 1.0, 25.0),), open_h=h - 1 / 60, close_h=h + 3.0)
    crossings = generate_day(rng, spec.visitors, list(spec.gate_weights), shape)
    day = SimDay(day_start=day_start, crossings=crossings, gates=spec.gates)
    begin = crossings.open_s - 600.0
    end = crossings.close_s + 1800.0
    stuck_gate = int(rng.integers(len(spec.gates)))
    for g, gate in enumerate(spec.gates):
        faults = Faults.all_on(rng, g == stuck_gate) if spec.all_faults else Faults()
        gspec = GateSpec(
            serial=(serials or {}).get(gate, f"HC2-{seed % 1000:03d}-{g:02d}"),
            resolving_time_s=spec.resolving_time_s,
            period_s=spec.period_s,
            faults=faults,
        )
        tin, tout = crossings.for_gate(g)
        day.deliveries[gate] = generate_reports(rng, gspec, tin, tout, day_start, begin, end)
        day.faults[gate] = faults
    return day
