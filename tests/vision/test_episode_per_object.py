"""A vehicle first seen well after the open episode's last one was gone gets its own episode.

The zone detector is replaced by a scripted one (its judgements are the input here); the
session's schedules, hysteresis and events are the real ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from edge.device import EpisodeEvent, EpisodeState
from edge.vision.session import (
    CLOSE_AFTER_S,
    NEW_OBJECT_GAP_S,
    NEW_STALL_AFTER_S,
    NEW_STALL_HELD_S,
    NO_STALL_OPEN_AFTER_S,
    UNSEEN_HOLD_S,
    CameraSession,
)
from models.vision.analyzer import FrameResult
from models.vision.context import FrameContext, ZoneJudgement

from . import simeval

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 27, 5, 0, tzinfo=TZ)
FRAME_S = 0.5
BOX = [[0.1, 0.5], [0.9, 0.5], [0.9, 0.9], [0.1, 0.9]]


#: A scripted object: (there from, gone at) in s, and when it was first seen if earlier
#: (the same goods seen again after a break).
Obj = tuple[float, float] | tuple[float, float, float]


@dataclass
class _Scripted:
    """Judges its zone active while a scripted object is there, about the first of them."""

    zone: str
    kind: str
    objects: Sequence[Obj]
    period_s: float = 0.0

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        here = [o for o in self.objects if o[0] <= ctx.t_s < o[1]]
        if not here:
            return ZoneJudgement(self.zone, self.kind, False)
        o = here[0]
        first = o[-1] if len(o) == 3 else o[0]
        return ZoneJudgement(self.zone, self.kind, True, first_seen_s=first)


def _run(
    kind: str,
    objects: Sequence[Obj],
    until_s: float,
    unseen: tuple[float, float] | None = None,
) -> list[EpisodeEvent]:
    """Events of zone ``z`` over ``until_s``; within ``unseen`` (from, to: s) the analyzer
    judges no zone, as while the view is tampered."""
    cfg = simeval.one_zone_camera({"id": "z", "kind": kind, "polygon": BOX})
    session = CameraSession(cfg, TZ)
    session.analyzer.detectors = [_Scripted("z", kind, objects)]
    judge = session.analyzer.update

    def update(image: np.ndarray, t_s: float, local: time | None = None) -> FrameResult:
        result = judge(image, t_s, local)
        blind = unseen is not None and unseen[0] <= t_s < unseen[1]
        return dataclasses.replace(result, zones=[]) if blind else result

    session.analyzer.update = update  # type: ignore[method-assign]
    frame = np.full((360, 640, 3), 120, np.uint8)
    events: list[EpisodeEvent] = []
    for i in range(int(until_s / FRAME_S)):
        events += session.process(START + timedelta(seconds=i * FRAME_S), frame)
    return [e for e in events if e.zone == "z" and e.state is not EpisodeState.UPDATED]


def _spans(events: list[EpisodeEvent]) -> list[tuple[float, float | None]]:
    """(opened at, ended at) of each episode, s from the start."""
    out: dict[object, list[float | None]] = {}
    for e in events:
        if e.state is EpisodeState.OPENED:
            out[e.alert_id] = [(e.ts - START).total_seconds(), None]
        elif e.state is EpisodeState.CLOSED:
            out[e.alert_id][1] = ((e.ended_at or e.ts) - START).total_seconds()
    return [(a, b) for a, b in out.values() if a is not None]


def test_a_second_vehicle_after_the_first_left_opens_its_own_episode() -> None:
    second = 10.0 + NEW_OBJECT_GAP_S + 5.0  # within the first episode's close_after
    assert second < 10.0 + CLOSE_AFTER_S["vehicle_free"]
    events = _run("vehicle_free", [(0.0, 10.0), (second, second + 20.0)], 90.0)
    # the first ends where its vehicle was last seen; the second opens after present_s (5 s)
    assert _spans(events) == [(5.0, 9.5), (second + 5.0, second + 19.5)]
    # the early close still describes its episode (the gateway keeps the last event's text)
    closed = [e for e in events if e.state is EpisodeState.CLOSED]
    assert all(e.summary == "vehicle intrusion in zone z" for e in closed)
    assert closed[0].details["first_frame"] == START.isoformat()
    assert closed[0].details["latest_frame"] == (START + timedelta(seconds=9.5)).isoformat()


@pytest.mark.parametrize(
    ("kind", "first_seen_s"),
    [
        # the same vehicle seen again after a short gap continues its episode
        ("vehicle_free", None),
        # goods seen again keep their first sighting and their episode
        ("no_stall", 0.0),
        # a restricted zone's lingerer: any object continues the episode
        ("restricted", None),
    ],
)
def test_an_object_seen_again_continues_the_episode(kind: str, first_seen_s: float | None) -> None:
    first_end = 200.0
    again = first_end + NEW_OBJECT_GAP_S - 5.0
    objects: list[Obj] = [(0.0, first_end), (again, again + 20.0)]
    if first_seen_s is not None:
        objects[1] = (again, again + 20.0, first_seen_s)
    spans = _spans(_run(kind, objects, 320.0))
    assert len(spans) == 1
    assert spans[0][1] == again + 19.5


@pytest.mark.parametrize(
    ("second_first_s", "spans"),
    [
        # put down 100 s after the first, judged once the first is taken away at 400 s: an
        # episode of its own once judged NEW_STALL_HELD_S (opened NO_STALL_OPEN_AFTER_S on)
        (
            100.0,
            [
                (10.0, 400.0 + NEW_STALL_HELD_S - FRAME_S),
                (400.0 + NEW_STALL_HELD_S + NO_STALL_OPEN_AFTER_S, 699.5),
            ],
        ),
        # first seen within NEW_STALL_AFTER_S of the first: one object, its sighting moved
        (NEW_STALL_AFTER_S - 10.0, [(10.0, 699.5)]),
    ],
)
def test_goods_left_when_the_episodes_own_are_taken_away_open_their_own(
    second_first_s: float, spans: list[tuple[float, float]]
) -> None:
    """market_morning 29002: a table put down at 9988 s beside one taken away at 10041 s.
    The zone judges the oldest object there: the first while both lie."""
    objects: list[Obj] = [(0.0, 400.0), (second_first_s, 700.0)]
    assert _spans(_run("no_stall", objects, 750.0)) == spans


def test_pieces_judged_in_turns_after_goods_are_taken_away_open_no_episodes() -> None:
    """market_morning 24002 at 8783-8860 s: what a table's foreground left for a few seconds
    was judged in turns, pieces of different ages, before the sacks beside it; each used to
    open an episode of its own."""
    pieces: list[Obj] = [(400.0 + 5 * k, 405.0 + 5 * k, 100.0 + 70 * k) for k in range(3)]
    objects: list[Obj] = [(0.0, 400.0), *pieces, (415.0, 700.0, 320.0)]
    split_s = 415.0 + NEW_STALL_HELD_S
    assert _spans(_run("no_stall", objects, 750.0)) == [
        (10.0, split_s - FRAME_S),
        (split_s + NO_STALL_OPEN_AFTER_S, 699.5),
    ]


BLIND_END_S = 100.0 + UNSEEN_HOLD_S + 50.0


@pytest.mark.parametrize(
    ("objects", "unseen", "spans"),
    [
        # goods still there when the view comes back keep their one episode (it used to close
        # 30 s into the tampering, and a second one opened after it)
        ([(0.0, 300.0)], (100.0, 170.0), [(10.0, 299.5)]),
        # goods taken away meanwhile: closed when last seen, once the view is back
        ([(0.0, 120.0)], (100.0, 170.0), [(10.0, 99.5)]),
        # the view lost for longer than UNSEEN_HOLD_S: closed when last seen; the goods seen
        # again afterwards are a new episode
        ([(0.0, 2000.0)], (100.0, BLIND_END_S), [(10.0, 99.5), (BLIND_END_S + 10.0, 1999.5)]),
        # an object seen before the view was lost must be seen 10 s unbroken after it
        ([(0.0, 300.0)], (5.0, 20.0), [(30.0, 299.5)]),
    ],
)
def test_a_lost_view_holds_the_episode(
    objects: list[tuple[float, float]],
    unseen: tuple[float, float],
    spans: list[tuple[float, float]],
) -> None:
    assert _spans(_run("no_stall", objects, 2100.0, unseen)) == spans
