"""End-to-end: simulator -> HTTP L16 -> worker -> test sink, judged by the script's ground truth."""

from __future__ import annotations

from datetime import timedelta

import pytest

from firmware_sim.noise.scenarios import get_scenario
from firmware_sim.noise.truth import ground_truth
from tests.noise.conftest import run_scenario

SLACK = timedelta(seconds=10)


def check_against_truth(name: str, seconds: int | None = None) -> list:
    sink, start = run_scenario(name, seconds)
    sc = get_scenario(name)
    n = seconds or int(sc.duration_s)
    truth = ground_truth(sc, start.date(), seconds=n)
    opened = [e for e in sink.eps if e.state == "opened"]
    closed = {e.alert_id: e for e in sink.eps if e.state == "closed"}
    matched = set()
    for exp in truth:
        hits = [e for e in opened if e.type == exp.type
                and exp.open_earliest <= e.ts <= exp.open_latest + SLACK]
        assert len(hits) == 1, (
            f"{name}: expected one {exp.type} opening {exp.as_dict()}, got {hits}")
        ev = hits[0]
        matched.add(ev.alert_id)
        if exp.close_latest is not None:
            c = closed.get(ev.alert_id)
            assert c is not None and c.ts <= exp.close_latest + SLACK, f"{name}: late close"
            assert c.ts >= exp.close_earliest, f"{name}: early close {c.ts}"
        if exp.limit_db is not None:
            assert ev.threshold == exp.limit_db
            assert ev.details["period"] == exp.period
    extra = [e for e in opened if e.alert_id not in matched]
    assert not extra, f"{name}: alerts outside the scripted episodes: {extra}"
    assert len(sink.obs) >= n - 2
    return sink.eps


def test_loudspeaker_hint_and_window() -> None:
    eps = check_against_truth("loudspeaker")
    ex = [e for e in eps if e.type == "noise_exceedance"]
    assert ex[-1].state == "closed"
    assert ex[-1].details["source_hint"] == "loudspeaker_loop"
    kinds = {b.kind for b in ex[0].evidence}
    assert kinds == {"level_trace", "spectrum"}  # no audio clip by default


def test_impulsive_hint() -> None:
    eps = check_against_truth("impulsive")
    imp = [e for e in eps if e.type == "noise_impulsive" and e.state == "opened"]
    assert len(imp) == 2
    assert all(e.details["source_hint"] == "impulsive" for e in imp)
    assert all(e.threshold == 65.0 for e in imp)


def test_compliant_raises_nothing() -> None:
    eps = check_against_truth("compliant")
    assert eps == []


@pytest.mark.parametrize("name,flag", [("clipping_mic", "clipping"), ("dead_mic", "dead_mic")])
def test_microphone_faults(name: str, flag: str) -> None:
    sink, _ = run_scenario(name)
    assert any(flag in o.flags for o in sink.obs)
    check_against_truth(name)


def test_day_switch_changes_limit() -> None:
    eps = check_against_truth("day_switch")
    opened = [e for e in eps if e.state == "opened"]
    assert [(e.threshold, e.details["period"]) for e in opened] == [(50, "night"), (60, "day")]


def test_gumo_morning_alerts_within_five_minutes() -> None:
    sink, start = run_scenario("gumo_morning", seconds=330)
    first = min(e.ts for e in sink.eps if e.state == "opened")
    assert first - start <= timedelta(minutes=5)
