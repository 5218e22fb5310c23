"""The counter corrections one at a time: late (buffered) reports, the early stuck test, the
closing reconciliation and the revisions of published minutes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edge.parks.revisions import PublishedCurve
from models.parks.bias import BiasModel
from models.parks.increments import CounterReading, CounterTracker, Increment, Verdict
from models.parks.occupancy import AreaAggregator, poisson_silence_threshold

BOOT = 1_000_000.0
T0 = 1_800_000_000.0  # edge POSIX s, a whole minute


def reading(seq: int, tin: int, tout: int) -> CounterReading:
    uptime = 100.0 + 10.0 * seq
    return CounterReading(
        ts_s=BOOT + uptime, seq=seq, uptime_s=uptime, in_total=tin, out_total=tout
    )


def test_burst_overtaken_by_the_first_live_report_is_split_into_its_own_times() -> None:
    """Offline for 30 reports: the first live report arrives before the buffered burst."""
    t = CounterTracker()
    totals = [(i * 2, i) for i in range(40)]
    recv_live = BOOT + 100.0 + 10.0 * 35 + 0.1
    got: list[Increment] = []
    for seq in [0, 1, 2, 3, 4, 35]:  # online, then the live report after the spell
        got += t.feed_all(reading(seq, *totals[seq]), BOOT + 100.0 + 10.0 * seq + 0.1)[1]
    for seq in range(5, 35):  # the burst, oldest first, half a second later
        verdict, incs = t.feed_all(reading(seq, *totals[seq]), recv_live + 0.5)
        assert verdict is Verdict.LATE and len(incs) == 2
        got += incs
    assert sum(i.d_in for i in got) == totals[35][0] and sum(i.d_out for i in got) == 35
    # people of report k (10 s each) are counted at report k's time, not at the reconnection
    per_time: dict[float, int] = {}
    for i in got:
        per_time[round(i.t_s)] = per_time.get(round(i.t_s), 0) + i.d_in
    assert all(v == 2 for k, v in per_time.items() if v != 0)
    assert len([v for v in per_time.values() if v != 0]) == 35


def test_a_repeated_report_inside_a_split_interval_is_still_a_duplicate() -> None:
    t = CounterTracker()
    for seq, recv in [(0, 0.0), (3, 1.0), (1, 2.0), (1, 3.0), (2, 4.0), (2, 5.0)]:
        t.feed_all(reading(seq, seq * 3, seq), BOOT + 200 + recv)
    assert t.counts == {"first": 1, "ok": 1, "late": 2, "duplicate": 2}


def _busy_aggregator(silent_from_s: float, flow_per_min: int) -> AreaAggregator:
    agg = AreaAggregator(["a", "b", "c"], stuck_after_s=1800.0)
    for k in range(360):  # an hour of 10 s reports
        t = T0 + 10.0 * k
        for g in ("a", "b", "c"):
            n = flow_per_min // 6 if (g != "c" or t < silent_from_s) else 0
            agg.add(g, Increment(t, n, n, 10.0))
        if k % 6 == 5 and agg.check_stuck(t):
            return agg
    return agg


def test_busy_silent_gate_is_stuck_long_before_stuck_after_s() -> None:
    agg = _busy_aggregator(T0 + 1200.0, flow_per_min=12)
    found = [c for c in agg.corrections if c.kind == "stuck_impute"]
    assert found and found[0].gate == "c"
    assert found[0].t_s - (T0 + 1200.0) <= 600.0  # found within 10 min, not 30
    assert agg.gate_status("c", found[0].t_s, 180.0) == "stuck"


def test_quiet_gate_is_not_stuck() -> None:
    agg = _busy_aggregator(T0 + 1200.0, flow_per_min=0)
    assert not [c for c in agg.corrections if c.kind == "stuck_impute"]


def test_poisson_threshold() -> None:
    # groups of 1.8 people: silence after 25 expected people happens with p = exp(-25/1.8)
    assert poisson_silence_threshold(math.exp(-25 / 1.8), 1.8) == pytest.approx(25.0)


def test_closing_reconciliation_ends_at_zero_and_fixes_imputed_minutes_most() -> None:
    agg = AreaAggregator(["a", "b"], biases={"a": BiasModel(), "b": BiasModel()})
    for k in range(60):  # an hour; gate b stuck in minutes 20-40 (imputed from a)
        t = T0 + 60.0 * k + 30.0
        agg.add("a", Increment(t, 6 if k < 30 else 0, 0 if k < 30 else 6, 60.0))
        stuck = 20 <= k < 40
        agg.add("b", Increment(t, 0 if stuck or k >= 30 else 4, 0 if stuck or k < 30 else 3, 60.0))
        agg.check_stuck(t)
    assert [c.gate for c in agg.corrections if c.kind == "stuck_impute"][:1] == ["b"]
    agg.rezero(T0 + 3600.0)
    day = agg.previous
    assert day is not None and day.imputed[25:40].all()
    assert abs(day.raw[-1]) < 1e-6 and day.occupancy.min() >= 0
    fix = np.diff(np.r_[0.0, day.raw - np.cumsum(day.in_counts - day.out_counts)])
    assert np.abs(fix[day.imputed]).sum() > 5 * np.abs(fix[~day.imputed]).sum()


def test_a_long_increment_is_spread_over_its_span_like_the_other_gates_flow() -> None:
    agg = AreaAggregator(["a", "b"])
    for k in range(30):
        t = T0 + 60.0 * k + 60.0
        agg.add("a", Increment(t, 10 if k < 10 else 2, 0, 60.0))
        if k == 0:
            agg.add("b", Increment(t, 5, 0, 60.0))
    # b comes back after 29 minutes offline with no buffered reports: 48 people in the span
    agg.add("b", Increment(T0 + 1800.0, 48, 0, 1740.0))
    m0 = int(T0 // 60) + 1
    b_in = np.array([agg._gates["b"].bins.get(m0 + k, [0.0, 0.0])[0] for k in range(30)])
    assert b_in.sum() == pytest.approx(53.0)
    assert b_in[1:10].mean() > 4 * b_in[11:29].mean()  # busy minutes got more of them
    assert agg.gate_status("b", T0 + 1800.0, 180.0) == "ok"


def test_revisions_of_published_minutes() -> None:
    curve = PublishedCurve()
    minutes = np.arange(100, 110)
    for m in minutes:
        curve.publish(int(m), 50.0)
    assert curve.revise(minutes, np.full(10, 50.4)) is None  # under a person
    new = np.full(10, 50.0)
    new[3:6] = [40.0, 35.0, 42.0]
    new[9] = 80.0  # the latest minute is provisional
    rev = curve.revise(minutes, new)
    assert rev is not None
    assert (rev.first_minute, rev.last_minute, rev.minutes) == (103, 105, 3)
    assert rev.largest_people == pytest.approx(35.0 - 50.4)  # from the remembered 50.4
    assert curve.revise(minutes, new) is None  # remembered
