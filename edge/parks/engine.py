"""The parks pipeline without threads or sockets: vendor reports in; counts, occupancy and
episodes out. The HTTP receiver and the workers (:mod:`edge.parks.workers`) feed it; tests and
benchmarks replay simulated days through it directly.

Times are POSIX seconds on the edge's clock (simulated or real).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from edge.device import EpisodeEvent, Observation, Severity
from edge.episodes import EpisodeTracker, HysteresisSettings
from edge.parks.revisions import PublishedCurve, Revision
from edge.parks.vendor import VendorFormatError, parse_body
from models.parks.bias import BiasModel
from models.parks.increments import CounterTracker, Verdict
from models.parks.occupancy import AreaAggregator, Correction
from whistle.config.counter import AreaConfig, CounterConfig

log = logging.getLogger(__name__)

FAULT_SUBTYPES = ("offline", "stuck", "implausible")


def _largest(revised: list[Revision]) -> float:
    return max((r.largest_people for r in revised), key=abs, default=0.0)


def _dt(t_s: float) -> datetime:
    return datetime.fromtimestamp(t_s, tz=UTC)


@dataclass
class _GateState:
    cfg: CounterConfig
    tracker: CounterTracker
    minute_in: int = 0
    minute_out: int = 0
    flags: set[str] = field(default_factory=set)
    faults: dict[str, EpisodeTracker] = field(default_factory=dict)
    implausible_since_tick: int = 0
    last_report_s: float = -math.inf


@dataclass
class _AreaState:
    cfg: AreaConfig
    agg: AreaAggregator
    warn: EpisodeTracker
    critical: EpisodeTracker
    reported_corrections: int = 0
    rezeroed_window: str | None = None
    level: float = 0.0
    published: PublishedCurve = field(default_factory=PublishedCurve)


class ParksEngine:
    """Counters and the areas they bound, for one edge agent."""

    def __init__(
        self,
        counters: list[CounterConfig],
        areas: list[AreaConfig],
        timezone: str = "Asia/Shanghai",
    ) -> None:
        self.tz = ZoneInfo(timezone)
        self.gates: dict[str, _GateState] = {}
        self.by_serial: dict[str, str] = {}
        self.errors = 0
        self.unknown_serials = 0
        for c in counters:
            st = _GateState(c, CounterTracker(bits=c.counter_bits))
            for sub in FAULT_SUBTYPES:
                st.faults[sub] = EpisodeTracker(
                    "counter_fault",
                    c.id,
                    None,
                    Severity.WARNING,
                    HysteresisSettings(open_after_s=0, close_after_s=300, update_every_s=600),
                )
            self.gates[c.id] = st
            self.by_serial[c.serial_number] = c.id
        self.areas: dict[str, _AreaState] = {}
        for a in areas:
            biases = {
                g: BiasModel(self.gates[g].cfg.resolving_time_s, self.gates[g].cfg.undercount_ratio)
                for g in a.gates
                if g in self.gates
            }
            stuck_after = min(
                (self.gates[g].cfg.stuck_after_s for g in a.gates if g in self.gates), default=900.0
            )
            hyst = HysteresisSettings(open_after_s=0, close_after_s=120, update_every_s=300)
            self.areas[a.id] = _AreaState(
                a,
                AreaAggregator(list(a.gates), biases, stuck_after_s=stuck_after),
                EpisodeTracker("park_capacity", a.id, None, Severity.WARNING, hyst),
                EpisodeTracker("park_capacity", a.id, None, Severity.CRITICAL, hyst),
            )

    # --- input -----------------------------------------------------------------------------
    def receive(self, body: Any, recv_s: float) -> int:
        """One decoded POST body received at ``recv_s``; returns the reports accepted.

        Raises :class:`VendorFormatError` for a malformed body (nothing is taken from it).
        """
        try:
            reports = parse_body(body)
        except VendorFormatError:
            self.errors += 1
            raise
        accepted = 0
        for rep in reports:
            gate = self.by_serial.get(rep.serial)
            if gate is None:
                self.unknown_serials += 1
                log.warning("counter report from unknown serial %r ignored", rep.serial)
                continue
            st = self.gates[gate]
            st.last_report_s = max(st.last_report_s, recv_s)
            verdict, incs = st.tracker.feed_all(rep.reading, recv_s)
            if verdict is Verdict.IMPLAUSIBLE:
                st.implausible_since_tick += 1
                log.info("counter %s: implausible totals (seq %d) skipped", gate, rep.reading.seq)
            elif verdict is Verdict.REBOOT:
                st.flags.add("reboot")
                log.info("counter %s rebooted; counting from its new totals", gate)
            elif verdict is Verdict.REBASED:
                st.flags.add("rebased")
                log.warning("counter %s re-based after repeated implausible totals", gate)
            elif verdict is Verdict.DUPLICATE:
                st.flags.add("duplicate")
            elif verdict is Verdict.LATE:
                st.flags.add("late")
            if not incs:
                continue
            accepted += 1
            for inc in incs:
                st.minute_in += inc.d_in
                st.minute_out += inc.d_out
                for area in self.areas.values():
                    if gate in area.agg.gates:
                        area.agg.add(gate, inc)
        return accepted

    # --- output ----------------------------------------------------------------------------
    def tick(self, now_s: float) -> tuple[list[Observation], list[EpisodeEvent]]:
        """Called at the end of every minute: counts, occupancy, corrections and episodes."""
        obs: list[Observation] = []
        events: list[EpisodeEvent] = []
        now = _dt(now_s)
        stuck_now: set[str] = set()
        for area in self.areas.values():
            stuck_now.update(area.agg.check_stuck(now_s))
        for gid, st in self.gates.items():
            status = "ok"
            for area in self.areas.values():
                if gid in area.agg.gates:
                    s = area.agg.gate_status(gid, now_s, st.cfg.offline_after_s)
                    status = s if s != "ok" else status
            in_no_area = not any(gid in a.agg.gates for a in self.areas.values())
            if in_no_area and now_s - st.last_report_s > st.cfg.offline_after_s:
                status = "offline"
            flags = set(st.flags)
            if status != "ok":
                flags.add(status)
            if st.implausible_since_tick:
                flags.add("implausible")
            obs.append(
                Observation(
                    gid,
                    "counts",
                    now,
                    {
                        "in": float(st.minute_in),
                        "out": float(st.minute_out),
                        "implausible": float(st.implausible_since_tick),
                    },
                    flags=tuple(sorted(flags)),
                )
            )
            active = {
                "offline": status == "offline",
                "stuck": status == "stuck",
                "implausible": st.implausible_since_tick > 0,
            }
            for sub, tracker in st.faults.items():
                events += tracker.update(
                    now,
                    active[sub],
                    {"implausible_reports": float(st.implausible_since_tick)},
                    summary=f"counter {gid}: {sub}",
                    details={"subtype": sub},
                )
            st.minute_in = st.minute_out = 0
            st.implausible_since_tick = 0
            st.flags.clear()
        for area in self.areas.values():
            o, e = self._tick_area(area, now_s)
            obs.append(o)
            events += e
        return obs, events

    def _tick_area(self, area: _AreaState, now_s: float) -> tuple[Observation, list[EpisodeEvent]]:
        cfg, agg = area.cfg, area.agg
        now = _dt(now_s)
        flags: set[str] = set()
        series = agg.series(now_s - 1.0)
        level = float(series.occupancy[-1]) if series.occupancy.size else 0.0
        revisions = [area.published.revise(series.minutes[:-1], series.occupancy[:-1])]
        if series.clamped.size and series.clamped[-1]:
            flags.add("clamped")
            agg.corrections.append(
                Correction("clamp", now_s, None, 0.0, "occupancy would go negative: held at 0")
            )
        if series.imputed.size and series.imputed[-1]:
            flags.add("imputed")
        local = now.astimezone(self.tz)
        window = next((w for w in cfg.closed if w.contains(local.time())), None)
        key = None
        if window is not None:
            # the date the window opened: a window past midnight (22:30-04:30) is one night
            opened = local.date()
            if window.end < window.start and local.time() < window.end:
                opened -= timedelta(days=1)
            key = f"{opened}-{window.start}"
        if window is not None and area.rezeroed_window != key:
            area.rezeroed_window = key
            agg.rezero(now_s)
            flags.add("rezeroed")
            level = 0.0
            if agg.previous is not None:  # the day's curve, reconciled with the drift
                revisions.append(
                    area.published.revise(agg.previous.minutes, agg.previous.occupancy)
                )
        if series.minutes.size:
            area.published.publish(int(series.minutes[-1]), level)
        revised = [r for r in revisions if r is not None]
        for r in revised:
            log.info(
                "area %s: %d published minutes %s-%s revised, by up to %+.1f people",
                cfg.id,
                r.minutes,
                self._local_hm(60.0 * r.first_minute),
                self._local_hm(60.0 * r.last_minute),
                r.largest_people,
            )
        if revised:
            flags.add("revised")
        in_total = float(series.in_counts.sum()) if series.in_counts.size else 0.0
        out_total = float(series.out_counts.sum()) if series.out_counts.size else 0.0
        if "rezeroed" in flags:
            in_total = out_total = 0.0
        for corr in agg.corrections[area.reported_corrections :]:
            log.info(
                "area %s drift correction: %s%s %+.1f people (%s)",
                cfg.id,
                corr.kind,
                f" gate {corr.gate}" if corr.gate else "",
                corr.amount,
                corr.note,
            )
            flags.add(f"correction_{corr.kind}")
        area.reported_corrections = len(agg.corrections)
        area.level = level
        ratio = level / cfg.capacity
        obs = Observation(
            cfg.id,
            "occupancy",
            now,
            {
                "occupancy": round(level, 1),
                "capacity": float(cfg.capacity),
                "ratio": round(ratio, 4),
                "in_total": round(in_total, 1),
                "out_total": round(out_total, 1),
                "corrections": float(len(agg.corrections)),
                "revised_minutes": float(sum(r.minutes for r in revised)),
                "revision_people": round(_largest(revised), 1),
            },
            flags=tuple(sorted(flags)),
        )
        events: list[EpisodeEvent] = []
        for tracker, limit, name in (
            (area.warn, cfg.warn_ratio, "warning"),
            (area.critical, cfg.critical_ratio, "critical"),
        ):
            # level hysteresis: an open episode stays open down to 95 % of its threshold
            active = ratio >= limit or (tracker.is_open and ratio >= 0.95 * limit)
            events += tracker.update(
                now,
                active,
                {"occupancy": level, "ratio": ratio},
                threshold=limit * cfg.capacity,
                unit="people",
                summary=f"{cfg.name}: {level:.0f} of {cfg.capacity} people ({ratio:.0%})",
                details={"level": name, "capacity": cfg.capacity},
            )
        return obs, events

    def _local_hm(self, t_s: float) -> str:
        return _dt(t_s).astimezone(self.tz).strftime("%H:%M")

    def close_all(self, now_s: float) -> list[EpisodeEvent]:
        """Close every open episode (shutdown)."""
        now = _dt(now_s)
        out = []
        for st in self.gates.values():
            out += [t.close(now) for t in st.faults.values() if t.is_open]
        for a in self.areas.values():
            out += [t.close(now) for t in (a.warn, a.critical) if t.is_open]
        return out
