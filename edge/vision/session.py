"""One camera's episodes: detector judgements -> schedules -> hysteresis -> events + evidence.

Shared by the edge worker and ``whistle vision analyze``: both feed frames with their device
times; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from edge.device import EpisodeEvent, EpisodeState, EvidenceBlob, Severity
from edge.episodes import EpisodeTracker, HysteresisSettings
from edge.vision.evidence import heatmap, snapshot
from models.vision.analyzer import FrameResult, SceneAnalyzer
from models.vision.context import ZoneJudgement
from models.vision.zones.stall import CONFIRM_S as STALL_CONFIRM_S
from models.vision.zones.stall import HELD_DROP_S as STALL_HELD_DROP_S
from whistle.config.camera import (
    CameraConfig,
    CameraZone,
    NoStallZone,
    VehicleFreeZone,
    WalkwayZone,
)

#: Episode type and severity of each zone kind.
EPISODE_TYPES: dict[str, tuple[str, Severity]] = {
    "no_stall": ("encroachment", Severity.WARNING),
    "walkway": ("congestion", Severity.WARNING),
    "restricted": ("lingering", Severity.WARNING),
    "vehicle_free": ("vehicle_intrusion", Severity.MAJOR),
    "cleanliness": ("litter", Severity.WARNING),
}
#: Seconds a condition must be gone before its episode closes, per zone kind. Goods outside
#: the line stay for minutes; people crowding round them can hide them for a quarter minute.
CLOSE_AFTER_S: dict[str, float] = {
    "no_stall": 30.0,
    "walkway": 20.0,
    "restricted": 20.0,
    "vehicle_free": 30.0,
    "cleanliness": 30.0,
}


#: Seconds an encroachment must be judged without a break before its episode opens: the
#: dwell is counted by the detector, but an object judged for a moment (a passer-by merging
#: with a long-placed stall's edge, development market_morning: 0.2 and 3.4 s) is not goods.
#: The detector judges this much before the dwell, so the episode opens at the dwell.
NO_STALL_OPEN_AFTER_S = STALL_CONFIRM_S
#: Zone kinds whose every object is an intrusion of its own: a vehicle first seen at least
#: ``NEW_OBJECT_GAP_S`` after the open episode last held (while that episode waits out
#: ``CLOSE_AFTER_S``) closes it and opens its own, with its own evidence, instead of
#: extending the first. (A shorter gap is more likely the same vehicle seen again.)
EPISODE_PER_OBJECT = frozenset({"vehicle_free"})
NEW_OBJECT_GAP_S = 15.0
#: ``no_stall`` judges the oldest object in its zone, so an object first seen
#: NEW_STALL_AFTER_S or more after the open episode's own is another one, there while the
#: episode's stood and judged now that that one is gone: it closes the episode and opens its
#: own (market_morning 29002: a table put down at 9988 s beside one taken away at 10041 s
#: stayed part of the first one's episode until 10547 s). One object's first sighting moves
#: by up to the detector's ``HELD_DROP_S`` (30 s) as people stand in front of it; goods seen
#: again after a break keep theirs. The other object must have been the one judged for
#: NEW_STALL_HELD_S, its first sighting steady within ``HELD_DROP_S``: when goods are taken
#: away, what their foreground leaves for a few seconds is pieces of different ages, judged
#: in turns (market_morning 24002 at 8783-8860 s: six episodes of 1-15 s between a table's
#: and the sacks beside it).
NEW_STALL_AFTER_S = 60.0
NEW_STALL_HELD_S = 20.0
#: Seconds a zone's open episode is held while the zones cannot be judged (the view tampered):
#: what was there is unknown, not gone, and goods still lying when the view comes back keep
#: their episode (market_morning 24002: sacks' episode closed 30 s into a covered lens and a
#: second one opened after it). Longer, and the camera's tamper episode is the alert: the
#: zone's episode closes, ended when its condition was last seen.
UNSEEN_HOLD_S = 600.0


def _hysteresis(zone: CameraZone) -> HysteresisSettings:
    open_after = 0.0
    if isinstance(zone, NoStallZone):
        open_after = NO_STALL_OPEN_AFTER_S
    elif isinstance(zone, WalkwayZone):
        open_after = zone.for_s
    elif isinstance(zone, VehicleFreeZone):
        open_after = zone.present_s
    return HysteresisSettings(open_after, CLOSE_AFTER_S[zone.kind], 60.0)


@dataclass
class _ZoneState:
    zone: CameraZone
    tracker: EpisodeTracker
    first_seen: datetime | None = None
    #: ``no_stall``: another object than the open episode's judged since (its first sighting,
    #: since when), see ``NEW_STALL_HELD_S``.
    other: tuple[datetime, datetime] | None = None


class CameraSession:
    """Feed frames in device-time order with :meth:`process`; it returns episode events."""

    def __init__(self, cfg: CameraConfig, tz: tzinfo) -> None:
        self.cfg = cfg
        self.tz = tz
        self.analyzer = SceneAnalyzer(cfg)
        self.zones = {
            z.id: _ZoneState(
                z,
                EpisodeTracker(
                    EPISODE_TYPES[z.kind][0],
                    cfg.id,
                    z.id,
                    EPISODE_TYPES[z.kind][1],
                    _hysteresis(z),
                ),
            )
            for z in cfg.zones
        }
        self.tamper = EpisodeTracker(
            "camera_tamper", cfg.id, None, Severity.MAJOR, HysteresisSettings(0.0, 5.0, 60.0)
        )
        self._tamper_first: datetime | None = None
        self._t0: datetime | None = None
        self.last: FrameResult | None = None

    def process(self, ts: datetime, image: np.ndarray) -> list[EpisodeEvent]:
        if self._t0 is None:
            self._t0 = ts
        t_s = (ts - self._t0).total_seconds()
        local = ts.astimezone(self.tz).timetz().replace(tzinfo=None)
        result = self.analyzer.update(image, t_s, local)
        self.last = result
        events: list[EpisodeEvent] = []
        events += self._tamper_events(ts, image, result)
        if not result.zones:
            return events + self._unseen(ts)
        judged = {j.zone: j for j in result.zones}
        for zid, st in self.zones.items():
            j = judged.get(zid)
            scheduled = any(w.contains(local) for w in st.zone.schedule)
            active = bool(j and j.active and scheduled)
            if active and j is not None and self._new_object(st, j, ts):
                last = st.tracker.last_active
                assert last is not None  # _new_object: an open episode that held
                events.append(st.tracker.close(ts, self._close_base(st, last), ended_at=last))
                st.first_seen, st.other = None, None
            if active and j is not None and st.first_seen is None:
                first = j.first_seen_s if j.first_seen_s is not None else t_s
                st.first_seen = self._t0 + timedelta(seconds=first)
            events += st.tracker.update(
                ts,
                active,
                j.measured if j else {},
                summary=self._summary(st.zone, j),
                details=self._details(ts, st.first_seen, j),
                evidence=self._evidence(image, st.zone, j),
            )
            if not st.tracker.is_open and not active:
                st.first_seen = None
        return events

    def _unseen(self, ts: datetime) -> list[EpisodeEvent]:
        """The zones were not judged at ``ts`` (the view tampered, or a sudden change that
        the tamper check has not cleared): hold their episodes (``UNSEEN_HOLD_S``)."""
        events: list[EpisodeEvent] = []
        for st in self.zones.values():
            last = st.tracker.last_active
            base = self._close_base(st, last) if last is not None else None
            events += st.tracker.unseen(ts, UNSEEN_HOLD_S, base)
            if not st.tracker.is_open:
                st.first_seen = None
        return events

    def _close_base(self, st: _ZoneState, latest: datetime) -> dict[str, Any]:
        """What a close outside the judgement stream (a new object, shutdown) reports: the
        episode's own summary and frame times, as a close by the tracker would (the gateway
        keeps the last event's fields)."""
        return {
            "summary": self._summary(st.zone, None),
            "details": self._details(latest, st.first_seen, None),
        }

    def _new_object(self, st: _ZoneState, j: ZoneJudgement, ts: datetime) -> bool:
        """Is ``j``, judged at ``ts``, about another object than ``st``'s open episode: a
        vehicle first seen ``NEW_OBJECT_GAP_S`` or more after the episode last held, an
        encroaching object first seen ``NEW_STALL_AFTER_S`` or more after the episode's own
        and judged for ``NEW_STALL_HELD_S``?"""
        last = st.tracker.last_active
        if last is None or j.first_seen_s is None:
            st.other = None
            return False
        assert self._t0 is not None
        first = self._t0 + timedelta(seconds=j.first_seen_s)
        if st.zone.kind in EPISODE_PER_OBJECT:
            return (first - last).total_seconds() >= NEW_OBJECT_GAP_S
        return isinstance(st.zone, NoStallZone) and _other_goods(st, first, ts)

    def close_all(self, ts: datetime) -> list[EpisodeEvent]:
        """Close every open episode (end of input, shutdown)."""
        out = []
        for st in self.zones.values():
            if st.tracker.is_open:
                out.append(st.tracker.close(ts, self._close_base(st, ts)))
        if self.tamper.is_open:
            out.append(self.tamper.close(ts))
        return out

    def _tamper_events(
        self, ts: datetime, image: np.ndarray, result: FrameResult
    ) -> list[EpisodeEvent]:
        tamper = result.tamper
        active = tamper.subtype is not None
        if active and self._tamper_first is None and self._t0 is not None:
            since = tamper.since_s if tamper.since_s is not None else 0.0
            self._tamper_first = self._t0 + timedelta(seconds=since)
        f = tamper.features
        details: dict[str, Any] = {"subtype": tamper.subtype or "", "latest_frame": ts.isoformat()}
        if self._tamper_first is not None:
            details["first_frame"] = self._tamper_first.isoformat()
        events = self.tamper.update(
            ts,
            active,
            {
                "sharpness_ratio": round(f.sharpness_ratio, 3),
                "similarity": round(f.similarity, 3),
                "structure": round(f.structure, 3),
                "brightness": round(f.brightness, 1),
            },
            summary=f"camera {tamper.subtype}" if active else "camera view restored",
            details=details,
            evidence=lambda state: (
                self._snap(image, None, None, f"tamper: {tamper.subtype}")
                if state is EpisodeState.OPENED
                else ()
            ),
        )
        if not active and not self.tamper.is_open:
            self._tamper_first = None
        return events

    def _summary(self, zone: CameraZone, j: ZoneJudgement | None) -> str:
        kind = EPISODE_TYPES[zone.kind][0].replace("_", " ")
        shown = ", ".join(f"{k} {v}" for k, v in (j.measured.items() if j else ()))
        return f"{kind} in zone {zone.id}" + (f" ({shown})" if shown else "")

    def _details(
        self, ts: datetime, first: datetime | None, j: ZoneJudgement | None
    ) -> dict[str, Any]:
        d: dict[str, Any] = {"latest_frame": ts.isoformat()}
        if first is not None:
            d["first_frame"] = first.isoformat()
        if j is not None and j.box is not None:
            d["box"] = [round(v, 4) for v in j.box]
        return d

    def _snap(
        self, image: np.ndarray, zone: CameraZone | None, j: ZoneJudgement | None, label: str
    ) -> tuple[EvidenceBlob, ...]:
        blobs = [
            snapshot(
                image,
                self.cfg.privacy_masks,
                zone.polygon if zone else None,
                j.box if j else None,
                label,
            )
        ]
        if j is not None and j.heat is not None:
            blobs.append(heatmap(image, j.heat, self.cfg.privacy_masks))
        return tuple(blobs)

    def _evidence(
        self, image: np.ndarray, zone: CameraZone, j: ZoneJudgement | None
    ) -> Callable[[EpisodeState], tuple[EvidenceBlob, ...]]:
        def make(state: EpisodeState) -> tuple[EvidenceBlob, ...]:
            if state is EpisodeState.CLOSED:
                return ()
            return self._snap(image, zone, j, f"{EPISODE_TYPES[zone.kind][0]}: {zone.id}")

        return make


def _other_goods(st: _ZoneState, first: datetime, ts: datetime) -> bool:
    """Have goods first seen at ``first`` (``NEW_STALL_AFTER_S`` or more after those of
    ``st``'s open episode) been the ones judged for ``NEW_STALL_HELD_S`` at ``ts``?"""
    if st.first_seen is None or (first - st.first_seen).total_seconds() < NEW_STALL_AFTER_S:
        st.other = None
        return False
    if st.other is None or abs((first - st.other[0]).total_seconds()) > STALL_HELD_DROP_S:
        st.other = (first, ts)
    return (ts - st.other[1]).total_seconds() >= NEW_STALL_HELD_S
