"""A vehicle first seen well after the open episode's last one was gone gets its own episode.

The zone detector is replaced by a scripted one (its judgements are the input here); the
session's schedules, hysteresis and events are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from edge.device import EpisodeEvent, EpisodeState
from edge.vision.session import CLOSE_AFTER_S, NEW_OBJECT_GAP_S, CameraSession
from models.vision.context import FrameContext, ZoneJudgement
from whistle.config.camera import CameraConfig

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 27, 5, 0, tzinfo=TZ)
FRAME_S = 0.5
BOX = [[0.1, 0.5], [0.9, 0.5], [0.9, 0.9], [0.1, 0.9]]


@dataclass
class _Scripted:
    """Judges its zone active while a scripted object is there: (first seen, gone) in s."""

    zone: str
    kind: str
    objects: list[tuple[float, float]]
    period_s: float = 0.0

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        here = [o for o in self.objects if o[0] <= ctx.t_s < o[1]]
        first = here[0][0] if here else None
        return ZoneJudgement(self.zone, self.kind, bool(here), first_seen_s=first)


def _run(kind: str, objects: list[tuple[float, float]], until_s: float) -> list[EpisodeEvent]:
    cfg = CameraConfig.model_validate(
        {
            "id": "cam",
            "name": "cam",
            "kind": "camera",
            "source": {"kind": "file"},
            "tamper": {"enabled": False},
            "zones": [
                {
                    "id": "z",
                    "kind": kind,
                    "polygon": BOX,
                    "schedule": [{"start": "00:00", "end": "23:59:59"}],
                }
            ],
        }
    )
    session = CameraSession(cfg, TZ)
    session.analyzer.detectors = [_Scripted("z", kind, objects)]
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
    ("kind", "gap_s"),
    [
        # the same vehicle seen again after a short gap continues its episode
        ("vehicle_free", NEW_OBJECT_GAP_S - 5.0),
        # a stall (or anything but a vehicle) seen again continues its episode however new
        ("no_stall", NEW_OBJECT_GAP_S + 5.0),
    ],
)
def test_an_object_seen_again_continues_the_episode(kind: str, gap_s: float) -> None:
    first_end = 200.0
    objects = [(0.0, first_end), (first_end + gap_s, first_end + gap_s + 20.0)]
    spans = _spans(_run(kind, objects, 320.0))
    assert len(spans) == 1
    assert spans[0][1] == first_end + gap_s + 19.5
