"""End-to-end: simulator -> HTTP L16 -> worker -> test sink, judged by the script's ground truth.

Every scenario is played once per module (``played`` fixture) at 16 kHz as fast as the
machine goes; each test reads the episodes that run produced.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge.device import EpisodeEvent
from firmware_sim.noise.scenarios import get_scenario
from firmware_sim.noise.truth import ground_truth
from tests.noise.conftest import ScenarioRuns

SLACK = timedelta(seconds=10)


def check_against_truth(
    played: ScenarioRuns, name: str, seconds: int | None = None
) -> list[EpisodeEvent]:
    """Every expected episode opens exactly once inside its window (+10 s) and closes inside
    its window; nothing opens outside the scripted episodes."""
    sink, start = played(name, seconds)
    sc = get_scenario(name)
    n = seconds or int(sc.duration_s)
    truth = ground_truth(sc, start.date(), seconds=n)
    opened = [e for e in sink.events if e.state == "opened"]
    closed = {e.alert_id: e for e in sink.events if e.state == "closed"}
    matched = set()
    for exp in truth:
        hits = [
            e
            for e in opened
            if e.type == exp.type and exp.open_earliest <= e.ts <= exp.open_latest + SLACK
        ]
        assert len(hits) == 1, (
            f"{name}: expected one {exp.type} opening {exp.as_dict()}, got {hits}"
        )
        ev = hits[0]
        matched.add(ev.alert_id)
        if exp.close_latest is not None and exp.close_earliest is not None:
            c = closed.get(ev.alert_id)
            assert c is not None and c.ts <= exp.close_latest + SLACK, f"{name}: late close"
            assert c.ts >= exp.close_earliest, f"{name}: early close {c.ts}"
        if exp.limit_db is not None:
            assert ev.threshold == exp.limit_db
            assert ev.details["period"] == exp.period
    extra = [e for e in opened if e.alert_id not in matched]
    assert not extra, f"{name}: alerts outside the scripted episodes: {extra}"
    assert len(sink.obs) >= n - 2
    return list(sink.events)


def test_loudspeaker_hint_and_window(played: ScenarioRuns) -> None:
    eps = check_against_truth(played, "loudspeaker")
    ex = [e for e in eps if e.type == "noise_exceedance"]
    assert ex[-1].state == "closed"
    assert ex[-1].details["source_hint"] == "loudspeaker_loop"
    kinds = {b.kind for b in ex[0].evidence}
    assert kinds == {"level_trace", "spectrum"}  # no audio clip by default


def test_impulsive_hint(played: ScenarioRuns) -> None:
    eps = check_against_truth(played, "impulsive")
    imp = [e for e in eps if e.type == "noise_impulsive" and e.state == "opened"]
    assert len(imp) == 2
    assert all(e.details["source_hint"] == "impulsive" for e in imp)
    assert all(e.threshold == 65.0 for e in imp)


def test_compliant_raises_nothing(played: ScenarioRuns) -> None:
    assert check_against_truth(played, "compliant", seconds=360) == []


@pytest.mark.parametrize("name,flag", [("clipping_mic", "clipping"), ("dead_mic", "dead_mic")])
def test_microphone_faults(played: ScenarioRuns, name: str, flag: str) -> None:
    eps = check_against_truth(played, name)
    sink, _ = played(name)
    assert any(flag in o.flags for o in sink.obs)
    faults = [e for e in eps if e.type == "microphone_fault"]
    assert faults[0].state == "opened" and faults[-1].state == "closed"
    assert len({e.alert_id for e in faults}) == 1


def test_day_switch_changes_limit(played: ScenarioRuns) -> None:
    eps = check_against_truth(played, "day_switch")
    opened = [e for e in eps if e.state == "opened"]
    assert [(e.threshold, e.details["period"]) for e in opened] == [(50, "night"), (60, "day")]
    # 56 dB(A) breaks the night limit only: the night episode closes soon after 06:00
    night = next(e for e in eps if e.state == "closed" and e.alert_id == opened[0].alert_id)
    six = opened[0].ts.replace(hour=6, minute=0, second=0)
    assert six < night.ts <= six + timedelta(minutes=2)


def test_gumo_morning_alerts_within_five_minutes(played: ScenarioRuns) -> None:
    sink, start = played("gumo_morning", seconds=330)
    first = min(e.ts for e in sink.events if e.state == "opened")
    assert first - start <= timedelta(minutes=5)
