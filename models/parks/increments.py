"""Cumulative counter totals -> clean in/out increments.

Real gate counters report running totals, and they misbehave: they reboot (totals restart at 0),
their 16-bit registers wrap, reports are repeated, arrive out of order or in a burst after an
offline spell, the device clock is skewed, and a glitching register can report nonsense.

A boot is identified by ``ts - uptime_s`` (the device-clock time it booted; constant during a
boot however skewed the clock is). Within a boot, reports are ordered by ``seq``: a report
beyond the highest ``seq`` seen (the *frontier*) yields an increment, the modular difference of
its totals from the frontier's (so wraps come out right); a repeated ``seq`` is dropped. A late
report (``seq`` between two already taken, e.g. the buffered burst after an offline spell that
the first live report overtook) *splits* the interval it falls in: its increment is counted at
its own time and the same amount is taken back (a negative increment) from the later report
that had covered it, so the people land in the right minutes and are counted once.
A new boot starts from zero totals. A difference faster than ``max_rate_per_s`` people per
second is implausible: the report is skipped (the frontier stays) and after
``rebase_after`` implausible reports in a row the counter is re-based with no increment.

Times: device timestamps are moved onto the edge's clock with an offset estimated as the
smallest ``receive - device`` delay seen in the last ``offset_window_s`` (network delay is
never negative; buffered reports only add delay).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class CounterReading:
    """One vendor report, reduced to what matters. ``ts_s``: device clock, POSIX seconds."""

    ts_s: float
    seq: int
    uptime_s: float
    in_total: int
    out_total: int


@dataclass(frozen=True)
class Increment:
    """People counted between two reports, at edge time ``t_s`` (end of the interval).

    Negative deltas take back people an earlier increment counted too late (a split).
    """

    t_s: float
    d_in: int
    d_out: int
    #: Device seconds the increment covers (for rate-dependent bias correction).
    dt_s: float
    after_reboot: bool = False


class Verdict(StrEnum):
    OK = "ok"
    FIRST = "first"  # first report ever: sets the baseline
    REBOOT = "reboot"  # first report of a new boot
    DUPLICATE = "duplicate"  # seq already seen (repeat), or too old to place
    LATE = "late"  # seq inside an interval already counted: the interval is split
    IMPLAUSIBLE = "implausible"
    REBASED = "rebased"


@dataclass
class _Boot:
    start_s: float  # device-clock boot time: ts - uptime
    seq: int
    uptime_s: float
    in_total: int
    out_total: int
    #: Reports taken, seq -> (uptime s, in total, out total, edge time s, seconds its
    #: increment covered when it was counted).
    known: dict[int, tuple[float, int, int, float, float]] = field(default_factory=dict)


@dataclass
class CounterTracker:
    bits: int = 16
    max_rate_per_s: float = 5.0
    boot_tolerance_s: float = 60.0
    rebase_after: int = 3
    offset_window_s: float = 6 * 3600.0
    max_boots: int = 8
    #: Reports remembered per boot for splitting intervals (an hour at 10 s is 360).
    max_known: int = 1200
    _boots: list[_Boot] = field(default_factory=list)
    _implausible_run: int = 0
    _delays: deque[tuple[float, float]] = field(default_factory=deque)
    counts: dict[str, int] = field(default_factory=dict)
    _take_back: Increment | None = None

    def clock_offset_s(self) -> float:
        """Edge clock minus device clock, as currently estimated."""
        return min(d for _, d in self._delays) if self._delays else 0.0

    def _note_delay(self, recv_s: float, delay_s: float) -> None:
        while self._delays and self._delays[-1][1] >= delay_s:
            self._delays.pop()  # monotonic deque: sliding-window minimum
        self._delays.append((recv_s, delay_s))
        while self._delays and self._delays[0][0] < recv_s - self.offset_window_s:
            self._delays.popleft()

    def _find_boot(self, start_s: float) -> _Boot | None:
        for boot in self._boots:
            if abs(boot.start_s - start_s) <= self.boot_tolerance_s:
                return boot
        return None

    def feed(self, r: CounterReading, recv_s: float) -> tuple[Verdict, Increment | None]:
        """Take one report received at edge time ``recv_s``; return its verdict and increment.

        A :data:`Verdict.LATE` report's increment is followed by its take-back, returned by
        :meth:`take_back` (call it right after); :meth:`feed_all` returns both.
        """
        self._note_delay(recv_s, recv_s - r.ts_s)
        t_edge = r.ts_s + self.clock_offset_s()
        self._take_back = None
        verdict, inc = self._feed(r, t_edge)
        self.counts[verdict.value] = self.counts.get(verdict.value, 0) + 1
        return verdict, inc

    def feed_all(self, r: CounterReading, recv_s: float) -> tuple[Verdict, list[Increment]]:
        """:meth:`feed`, with a late report's take-back increment in the list."""
        verdict, inc = self.feed(r, recv_s)
        out = [] if inc is None else [inc]
        if self._take_back is not None:
            out.append(self._take_back)
            self._take_back = None
        return verdict, out

    def take_back(self) -> Increment | None:
        """The negative increment that goes with the last :data:`Verdict.LATE` report."""
        tb, self._take_back = self._take_back, None
        return tb

    def _feed(self, r: CounterReading, t_edge: float) -> tuple[Verdict, Increment | None]:
        modulo = 1 << self.bits
        start = r.ts_s - r.uptime_s
        boot = self._find_boot(start)
        if boot is None:
            first = not self._boots
            newer = first or start > max(b.start_s for b in self._boots)
            base_in, base_out = (r.in_total, r.out_total) if first else (0, 0)
            boot = _Boot(
                start,
                -1 if not first else r.seq,
                0.0 if not first else r.uptime_s,
                base_in,
                base_out,
            )
            self._boots.append(boot)
            self._boots.sort(key=lambda b: b.start_s)
            del self._boots[: -self.max_boots]
            if first:
                self._remember(boot, r, t_edge, 0.0)
                return Verdict.FIRST, Increment(t_edge, 0, 0, 0.0)
            if not newer:  # a report from a boot older than every known one: too late to use
                return Verdict.DUPLICATE, None
            boot.known[-1] = (0.0, 0, 0, t_edge - r.uptime_s, 0.0)  # zero totals at boot
            d_in, d_out = r.in_total % modulo, r.out_total % modulo
            if self._plausible(d_in, d_out, r.uptime_s):
                self._advance(boot, r, t_edge)
                return Verdict.REBOOT, Increment(t_edge, d_in, d_out, r.uptime_s, True)
            self._advance(boot, r, t_edge)  # nonsense right after boot: take as baseline
            return Verdict.REBASED, Increment(t_edge, 0, 0, r.uptime_s, True)
        if r.seq in boot.known or (r.seq <= boot.seq and not boot.known):
            return Verdict.DUPLICATE, None
        if r.seq < boot.seq:
            return self._split(boot, r, t_edge)
        d_in = (r.in_total - boot.in_total) % modulo
        d_out = (r.out_total - boot.out_total) % modulo
        dt = max(r.uptime_s - boot.uptime_s, 0.0)
        if not self._plausible(d_in, d_out, dt):
            self._implausible_run += 1
            if self._implausible_run >= self.rebase_after:
                self._advance(boot, r, t_edge)
                return Verdict.REBASED, Increment(t_edge, 0, 0, dt)
            return Verdict.IMPLAUSIBLE, None
        self._advance(boot, r, t_edge)
        return Verdict.OK, Increment(t_edge, d_in, d_out, dt)

    def _plausible(self, d_in: int, d_out: int, dt_s: float) -> bool:
        limit = self.max_rate_per_s * max(dt_s, 1.0) + 5
        return d_in <= limit and d_out <= limit

    def _split(
        self, boot: _Boot, r: CounterReading, t_edge: float
    ) -> tuple[Verdict, Increment | None]:
        """A late report inside an interval already counted: count its part at its time and
        take the same back from the report that closed the interval."""
        modulo = 1 << self.bits
        before = [q for q in boot.known if q < r.seq]
        after = [q for q in boot.known if q > r.seq]
        if not before or not after:
            return Verdict.DUPLICATE, None  # older than anything remembered
        p, q = boot.known[max(before)], boot.known[min(after)]
        d_in, d_out = (r.in_total - p[1]) % modulo, (r.out_total - p[2]) % modulo
        r_in, r_out = (q[1] - r.in_total) % modulo, (q[2] - r.out_total) % modulo
        dt = max(r.uptime_s - p[0], 0.0)
        if not (
            self._plausible(d_in, d_out, dt)
            and self._plausible(r_in, r_out, max(q[0] - r.uptime_s, 0.0))
        ):
            return Verdict.IMPLAUSIBLE, None
        self._remember(boot, r, t_edge, dt)
        # taken back over the same span the later report's increment was counted over
        self._take_back = Increment(q[3], -d_in, -d_out, q[4])
        return Verdict.LATE, Increment(t_edge, d_in, d_out, dt)

    def _remember(self, boot: _Boot, r: CounterReading, t_edge: float, dt_s: float) -> None:
        boot.known[r.seq] = (r.uptime_s, r.in_total, r.out_total, t_edge, dt_s)
        if len(boot.known) > self.max_known:
            for k in sorted(boot.known)[: len(boot.known) - self.max_known]:
                del boot.known[k]

    def _advance(self, boot: _Boot, r: CounterReading, t_edge: float) -> None:
        self._implausible_run = 0
        dt = max(r.uptime_s - boot.uptime_s, 0.0)
        boot.seq, boot.uptime_s = r.seq, r.uptime_s
        boot.in_total, boot.out_total = r.in_total, r.out_total
        self._remember(boot, r, t_edge, dt)
