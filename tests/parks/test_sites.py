"""The park site files the demo loads, and their scenarios' timing against the demo's start
(today 04:20 Asia/Shanghai): parks open at the start with morning exercisers arriving."""

from __future__ import annotations

import functools
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from edge.parks.engine import ParksEngine
from firmware_sim.carpark.layout import spaces
from firmware_sim.counters.scenarios import simulate_day
from whistle.config.camera import CameraConfig
from whistle.config.common import TimeWindow
from whistle.config.counter import AreaConfig, CounterConfig, CounterSource
from whistle.config.site import load_site

SITES = Path(__file__).resolve().parents[2] / "config" / "sites"
TZ = ZoneInfo("Asia/Shanghai")
DEMO_START_S = 4 * 3600 + 20 * 60
#: site id -> (agent id, grid id used by config/routing.yaml)
PARKS = {
    "haiyuan-park": ("edge-haiyuan", "huancui-haiyuan"),
    "yangting-wetland": ("edge-yangting", "huancui-yangting"),
    "running-park": ("edge-running", "huancui-running"),
}


@pytest.mark.parametrize("site_id", sorted(PARKS))
def test_park_site_file(site_id: str) -> None:
    site = load_site(SITES / f"{site_id}.yaml")
    agent, grid = PARKS[site_id]
    assert site.id == site_id and site.kind == "park" and site.grid == grid
    assert site.location is not None and abs(site.location.lat - 37.5) < 0.2
    assert [a.id for a in site.agents] == [agent]
    assert set(site.agent(agent).devices) == {d.id for d in site.devices}
    areas = [d for d in site.devices if isinstance(d, AreaConfig)]
    counters = {d.id: d for d in site.devices if isinstance(d, CounterConfig)}
    assert areas and all(d.name_en and d.position for d in site.devices)
    for area in areas:
        assert all(g in counters for g in area.gates)
    for c in counters.values():  # every counter plays a gate its scenario has
        assert c.source.sim_gate < gates_of(c.source.scenario or "clean", c.source.seed)


@functools.cache
def gates_of(scenario: str, seed: int) -> int:
    day = simulate_day(scenario, seed, datetime(2026, 5, 16, tzinfo=TZ), start_s=DEMO_START_S)
    return len(day.gates)


def test_haiyuan_playground_and_car_park() -> None:
    site = load_site(SITES / "haiyuan-park.yaml")
    playground = site.device("playground")
    assert isinstance(playground, AreaConfig) and playground.capacity <= 80
    gate = site.device(playground.gates[0])
    assert isinstance(gate, CounterConfig) and gate.source.scenario == "demo_playground"
    cam = site.device("carpark-cam")
    assert isinstance(cam, CameraConfig) and cam.source.simulator == "carpark"
    assert [s.id for s in cam.spaces] == [s["id"] for s in spaces()]


@pytest.mark.parametrize("scenario", ["wetland_morning", "haiyuan_morning", "running_morning"])
def test_morning_scenarios_show_life_from_the_demo_start(scenario: str) -> None:
    day = simulate_day(scenario, 3, datetime(2026, 5, 16, tzinfo=TZ), start_s=DEMO_START_S)
    # the park opens at the start, empty (nobody the counters could not have seen come in)
    assert day.crossings.open_s == pytest.approx(DEMO_START_S)
    assert day.crossings.occupancy_at(DEMO_START_S) == 0
    occ = day.crossings.occupancy_at(DEMO_START_S + np.array([600.0, 1800.0, 3600.0]))
    assert occ[0] >= 10 and occ[1] > occ[0] and occ[2] > occ[1]  # morning exercisers arrive
    # without a start the park opens at 04:00
    assert simulate_day(scenario, 3, datetime(2026, 5, 16, tzinfo=TZ)).crossings.open_s == 4 * 3600


def test_closed_window_past_midnight_rezeroes_every_night() -> None:
    counter = CounterConfig(
        id="g", name="g", kind="counter", source=CounterSource(kind="simulator")
    )
    area = AreaConfig(
        id="park",
        name="park",
        kind="area",
        capacity=100,
        gates=["g"],
        closed=[TimeWindow(start=time(23, 0), end=time(4, 0))],
    )
    engine = ParksEngine([counter], [area])
    rezeroed = []
    t = datetime(2026, 5, 16, 22, 0, tzinfo=TZ)
    while t < datetime(2026, 5, 18, 5, 0, tzinfo=TZ):
        obs, _ = engine.tick(t.timestamp())
        if any("rezeroed" in o.flags for o in obs if o.device == "park"):
            rezeroed.append(t.astimezone(TZ))
        t += timedelta(minutes=30)
    assert [(r.day, r.hour) for r in rezeroed] == [(16, 23), (17, 23)]
