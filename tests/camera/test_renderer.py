"""The market renderer: protocol, determinism per seed, scenarios and truth vs picture."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from firmware_sim.camera.geometry import standard_zones
from firmware_sim.camera.market import MarketRenderer, make_renderer
from firmware_sim.camera.renderer import SceneRenderer
from firmware_sim.camera.renderer import make_renderer as make_any
from firmware_sim.camera.scenarios import build_script
from firmware_sim.camera.truth import ground_truth

EXPECTED_KINDS = {
    "dawn_quiet": set(),
    "people_standing": set(),
    "stall_outside_line": {"no_stall"},
    "vehicle_entry": {"vehicle_free"},
    "entrance_crowd": {"walkway"},
    "doorway_linger": {"restricted"},
    "after_close_rubbish": {"cleanliness"},
    "tamper_covered": {"tamper"},
    "tamper_defocus": {"tamper"},
    "tamper_moved": {"tamper"},
}


def test_market_renderer_implements_the_protocol() -> None:
    r = make_any("market", "tamper_moved", 1)
    assert isinstance(r, SceneRenderer)
    img = r.frame_at(3.0)
    assert img.shape == (360, 640, 3) and img.dtype == np.uint8


def test_unknown_scenario_and_simulator_fail_clearly() -> None:
    with pytest.raises(ValueError, match="unknown market scenario 'nope'"):
        make_renderer("nope", 1)
    with pytest.raises(ValueError, match="unknown camera simulator"):
        make_any("zoo", None, 1)


def test_same_seed_same_frames_in_any_order() -> None:
    a = make_renderer("stall_outside_line", 7)
    b = make_renderer("stall_outside_line", 7)
    times = [200.0, 12.4, 150.2]
    fa = [a.frame_at(t) for t in times]
    fb = [b.frame_at(t) for t in reversed(times)][::-1]
    for x, y in zip(fa, fb, strict=True):
        assert np.array_equal(x, y)


def test_seeds_vary_the_scene() -> None:
    s1, s2 = build_script("stall_outside_line", 1), build_script("stall_outside_line", 2)
    assert s1.events[0].box != s2.events[0].box
    assert not np.array_equal(
        make_renderer("stall_outside_line", 1).frame_at(200),
        make_renderer("stall_outside_line", 2).frame_at(200),
    )


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_scenario_truth_has_its_events(name: str) -> None:
    for seed in (0, 5):
        s = build_script(name, seed)
        kinds = {e.kind for e in s.events}
        assert kinds == EXPECTED_KINDS[name]
        for e in s.events:
            assert 0 <= e.start_s < e.end_s <= s.duration_s + 1e-6
            x0, y0, x1, y1 = e.box
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_violations_outlast_dwell_and_distractors_do_not() -> None:
    for seed in range(4):
        goods = build_script("stall_outside_line", seed).events[0]
        assert goods.end_s - goods.start_s > 180 + 30
        linger = build_script("doorway_linger", seed).events[0]
        assert linger.end_s - linger.start_s > 60 + 30
        for d in build_script("people_standing", seed).distractors:
            assert d.end_s - d.start_s < 180


def test_market_morning_has_a_violation_in_the_first_five_minutes() -> None:
    for seed in range(1, 18):
        s = build_script("market_morning", seed)
        assert min(e.start_s for e in s.events) < 300


def test_goods_are_drawn_inside_their_truth_box() -> None:
    """Render with and without the goods actor (same noise): the change is inside the box."""
    script = build_script("stall_outside_line", 3)
    event = script.events[0]
    goods = next(a for a in script.actors if a.cls == "goods")
    t = (event.start_s + event.end_s) / 2
    bare = dataclasses.replace(script, actors=[])
    only = dataclasses.replace(script, actors=[goods])
    diff = (
        np.abs(
            MarketRenderer(only).frame_at(t).astype(int)
            - MarketRenderer(bare).frame_at(t).astype(int)
        ).max(axis=2)
        > 20
    )
    ys, xs = np.nonzero(diff)
    assert len(xs) > 300
    x0, y0, x1, y1 = event.box
    assert xs.min() >= x0 * 640 - 3 and xs.max() <= x1 * 640 + 3
    assert ys.min() >= y0 * 360 - 3 and ys.max() <= y1 * 360 + 3
    # and the goods stand in the roadway (no_stall zone)
    assert goods.position(t)[0] > -2.0


@pytest.mark.parametrize("name", ["tamper_covered", "tamper_defocus", "tamper_moved"])
def test_tamper_changes_the_whole_picture(name: str) -> None:
    r = make_renderer(name, 2)
    ev = r.script.events[0]
    before = r.frame_at(ev.start_s - 5).astype(float)
    during = r.frame_at(ev.start_s + 10).astype(float)
    after = r.frame_at(ev.end_s + 5).astype(float)
    grey = [im.mean(axis=2) for im in (before, during, after)]
    lap = [float(np.abs(np.diff(gr, axis=1)).mean()) for gr in grey]
    changed = float(np.abs(grey[1] - grey[0]).mean())
    assert changed > 8 or lap[1] < 0.6 * lap[0]
    assert r.truth_at(ev.start_s + 10)["tamper"] == ev.subtype


def test_night_is_darker_and_lamps_switch_off() -> None:
    r = make_renderer("dawn_quiet", 4)
    truth = ground_truth(r, 5.0)
    off = truth["lighting"]["lamps_off_s"]
    assert r.truth_at(off - 30)["lamps_on"] == 4 and r.truth_at(off + 30)["lamps_on"] == 0
    assert r.truth_at(0)["ambient"] < 0.1 < r.truth_at(2600)["ambient"]
    assert truth["events"] == []


def test_zones_are_normalised_polygons_of_each_kind() -> None:
    zones = standard_zones()
    assert {z.kind for z in zones} == {
        "no_stall",
        "walkway",
        "restricted",
        "vehicle_free",
        "cleanliness",
    }
    for z in zones:
        assert len(z.polygon) >= 3
        assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in z.polygon)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_vehicle_rolls_in_at_one_speed_until_it_stops(seed: int) -> None:
    """Every leg from the street's far side to the stop takes its length / speed: one speed
    throughout (tricycles 1.8-2.8 m/s, vans 2.5-4.0), not slower on the longer legs."""
    script = build_script("vehicle_entry", seed)
    for v in (a for a in script.actors if a.cls == "vehicle"):
        legs = list(zip(v.path[:3], v.path[1:4], strict=True))
        speeds = [float(np.hypot(b[1] - a[1], b[2] - a[2])) / (b[0] - a[0]) for a, b in legs]
        assert max(speeds) == pytest.approx(min(speeds), rel=1e-6), speeds
        assert 1.8 <= speeds[0] <= 4.0


@pytest.mark.parametrize(("scenario", "seed"), [("after_close_rubbish", 3), ("market_morning", 3)])
def test_the_rubbish_truth_says_when_each_item_was_dropped(scenario: str, seed: int) -> None:
    """One cleanliness truth per script, its items' boxes and drop times in the same order:
    the rubbish of the market's pack-up and of the street, merged."""
    script = build_script(scenario, seed)
    rubbish = sorted(round(a.t_in, 2) for a in script.actors if a.cls == "rubbish")
    (truth,) = [e for e in script.events if e.kind == "cleanliness"]
    items, dropped = truth.details["items"], truth.details["dropped_s"]
    assert len(items) == len(dropped) == len(rubbish) > 0
    assert sorted(dropped) == rubbish
    assert truth.start_s == pytest.approx(min(dropped), abs=0.01)
