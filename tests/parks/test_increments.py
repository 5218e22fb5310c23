"""Counter totals -> clean increments despite reboots, wraps, repeats, reordering, glitches."""

from __future__ import annotations

import pytest

from models.parks.increments import CounterReading, CounterTracker, Verdict

BOOT = 1_000_000.0  # device-clock boot time, POSIX s


def reading(seq: int, tin: int, tout: int, boot: float = BOOT, skew: float = 0.0) -> CounterReading:
    uptime = 100.0 + 10.0 * seq
    return CounterReading(
        ts_s=boot + uptime + skew, seq=seq, uptime_s=uptime, in_total=tin, out_total=tout
    )


def feed_all(tracker: CounterTracker, readings: list[CounterReading]) -> tuple[int, int]:
    tin = tout = 0
    for r in readings:
        _, incs = tracker.feed_all(r, r.ts_s + 0.2)
        for inc in incs:
            tin += inc.d_in
            tout += inc.d_out
    return tin, tout


def test_wrap_around_16_bit() -> None:
    t = CounterTracker(bits=16)
    seq = [reading(0, 65530, 65532), reading(1, 3, 1), reading(2, 10, 4)]
    assert feed_all(t, seq) == (16, 8)


@pytest.mark.parametrize(
    "order", [[0, 1, 2, 3, 4], [0, 2, 1, 3, 4], [0, 1, 1, 2, 4, 3, 3, 4], [0, 4, 3, 2, 1]]
)
def test_repeats_and_reordering_never_double_count(order: list[int]) -> None:
    totals = [(0, 0), (5, 1), (9, 4), (12, 9), (20, 11)]
    t = CounterTracker()
    got = feed_all(t, [reading(i, *totals[i]) for i in order])
    assert got == (20, 11)


def test_reboot_restarts_from_zero_and_keeps_counting() -> None:
    t = CounterTracker()
    before = [reading(0, 500, 400), reading(1, 520, 410)]
    after = [reading(0, 3, 2, boot=BOOT + 5000), reading(1, 8, 6, boot=BOOT + 5000)]
    assert feed_all(t, before) == (20, 10)
    verdicts = [t.feed(r, r.ts_s)[0] for r in after]
    assert verdicts == [Verdict.REBOOT, Verdict.OK]
    assert t.counts["reboot"] == 1


def test_late_report_of_previous_boot_still_counts() -> None:
    t = CounterTracker()
    feed_all(t, [reading(0, 100, 100), reading(1, 110, 100)])
    feed_all(t, [reading(0, 4, 0, boot=BOOT + 5000)])
    # the old boot's last report arrives after the reboot (it was buffered)
    assert feed_all(t, [reading(2, 115, 101)]) == (5, 1)


def test_glitch_is_skipped_and_the_next_report_is_measured_from_before_it() -> None:
    t = CounterTracker()
    rs = [reading(0, 100, 50), reading(1, 104, 51), reading(2, 40000, 52), reading(3, 110, 53)]
    verdicts = [t.feed(r, r.ts_s)[0] for r in rs]
    assert verdicts[2] is Verdict.IMPLAUSIBLE
    assert verdicts[3] is Verdict.OK
    t2 = CounterTracker()
    assert feed_all(t2, rs) == (10, 3)


def test_repeated_implausible_reports_rebase_instead_of_freezing() -> None:
    t = CounterTracker(rebase_after=3)
    rs = [reading(0, 100, 50)] + [reading(i, 30000 + i, 50) for i in range(1, 6)]
    verdicts = [t.feed(r, r.ts_s)[0] for r in rs]
    assert Verdict.REBASED in verdicts
    assert verdicts[-1] is Verdict.OK


@pytest.mark.parametrize("skew_s", [-400.0, 0.0, 375.0])
def test_clock_skew_is_removed_using_the_smallest_delay(skew_s: float) -> None:
    t = CounterTracker()
    for i in range(5):
        r = reading(i, i, 0, skew=skew_s)
        true_t = BOOT + r.uptime_s
        delay = 0.3 if i != 2 else 900.0  # one report delivered late, in a burst
        _, inc = t.feed(r, true_t + delay)
    assert inc is not None
    assert inc.t_s == pytest.approx(BOOT + 100.0 + 40.0 + 0.3, abs=0.5)
