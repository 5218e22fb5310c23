"""``vehicle_free``: a vehicle that stopped where a trail of wide sightings led.

A tricycle coming up behind a walker merges with him; its own track is lost or his mover
takes its stop. The sightings here are those ``_follow`` was given in vehicle_entry 29010
from 193.6 s (X, depth, width in metres; several bodies per frame), shifted to start at 0.
"""

from __future__ import annotations

import pytest

from models.vision.blobs import Blob
from models.vision.zones.vehicle_stop import STOP_LATE_S, STOP_S, TRAIL_KEEP_S, TRAIL_LATERAL_M

from .test_zone_models import FPS, _street_vehicle_detector

Sighting = tuple[float, float, float]

#: The tricycle far off (rows 1.1 m deep there), then lost while it merged with a walker
#: walking towards the camera in front of it, seen again at 14 m, then standing at 11.8 m.
_TRICYCLE: dict[float, Sighting] = {
    0.2: (1.84, 19.46, 1.51), 0.4: (1.73, 19.46, 1.30), 0.6: (1.51, 19.46, 1.30),
    3.2: (1.10, 14.12, 1.25), 3.6: (1.09, 13.09, 1.31), 3.8: (1.09, 13.09, 1.31),
}  # fmt: skip
#: The walker's blob, wide while the tricycle's front merged with it.
_WALKER: dict[float, Sighting] = {
    1.8: (0.42, 10.75, 1.31), 2.0: (0.46, 10.43, 1.39), 2.2: (0.45, 10.14, 1.35),
    2.4: (0.45, 10.14, 1.35), 2.6: (0.44, 9.86, 1.32), 2.8: (0.43, 9.60, 1.28),
    3.0: (0.47, 9.35, 1.35), 3.4: (0.44, 8.89, 1.28), 4.0: (0.46, 8.28, 1.29),
}  # fmt: skip
#: Where the tricycle stood from 4.6 s: the walker's mover took this sighting, 3.5 m from
#: his last, so no track of its own shows how it came there.
_STOP: Sighting = (1.05, 11.80, 1.31)
_STOP_FROM_S = 4.6
#: Frames from this device time (s) on: a slower way up to the same stop begins earlier.
_EARLIEST_S = -4.0


def _frames(
    trail: dict[float, Sighting], stand_from_s: float = _STOP_FROM_S, until_s: float = 10.0
) -> dict[float, list[Sighting]]:
    frames: dict[float, list[Sighting]] = {}
    for i in range(int(_EARLIEST_S * FPS), int(until_s * FPS) + 1):
        t = round(i / FPS, 6)
        seen = [s for d in (trail, _WALKER) for tt, s in d.items() if abs(tt - t) < 1e-6]
        if t >= stand_from_s - 1e-6:
            seen.append(_STOP)
        frames[t] = seen
    return frames


def _first_vehicle(frames: dict[float, list[Sighting]]) -> float | None:
    """Device time of the first frame ``_follow`` returns a vehicle for these sightings."""
    detector = _street_vehicle_detector()
    for t, seen in sorted(frames.items()):
        if detector._follow(t, [(Blob(0, 0, 1, 1, 1, 1), s) for s in seen]):
            return t
    return None


def _way(speed_m_s: float) -> dict[float, Sighting]:
    """A body 1.3 m wide coming nearer at ``speed_m_s`` along X 1.1 m, seen on every third
    frame over the 4.2 s before the stop (never followed: too many frames missed)."""
    times = [round(_STOP_FROM_S - 0.6 * k, 6) for k in range(1, 8)]
    return {t: (1.1, _STOP[1] + speed_m_s * (_STOP_FROM_S - t), 1.3) for t in times}


@pytest.mark.parametrize("trail", [_TRICYCLE, _way(2.0)], ids=["29010", "steady-2m/s"])
def test_a_stop_where_a_trail_of_sightings_led_is_a_vehicle(trail: dict[float, Sighting]) -> None:
    first = _first_vehicle(_frames(trail))
    assert first is not None
    assert _STOP_FROM_S + STOP_S - 0.5 / FPS <= first <= _STOP_FROM_S + STOP_S + STOP_LATE_S


@pytest.mark.parametrize(
    "trail",
    [
        # a way at walking pace (1.3 m/s): people who stop are not vehicles
        _way(1.3),
        # sightings aside of where the body stands: somebody else's way
        {t: (x + TRAIL_LATERAL_M + 1.0, z, w) for t, (x, z, w) in _TRICYCLE.items()},
        # the same sightings out of order: bodies here and there, no way taken
        dict(zip(_TRICYCLE, [_TRICYCLE[t] for t in (3.2, 0.4, 3.8, 0.2, 3.6, 0.6)], strict=True)),
        # too few sightings to make a way
        {t: s for t, s in _TRICYCLE.items() if t > 3.0},
        # a body standing in the way for 2 s, then others nearer (dawn_quiet 24010 at 145 s:
        # a stall standing 7.4 m off, then a vendor pushing his stall aside just before the
        # stop): no line through them at a vehicle's pace
        {
            **{round(0.4 + 0.2 * k, 6): (1.5, 19.2, 1.67) for k in range(12)},
            3.0: (1.3, 16.6, 1.41),
            4.0: (1.0, 12.3, 1.97),
            4.2: (0.9, 12.3, 1.86),
            4.4: (0.9, 12.3, 1.75),
        },
    ],
    ids=["walking-pace", "aside", "out-of-order", "too-few", "standing-in-the-way"],
)
def test_a_stop_without_a_trail_leading_there_is_no_vehicle(trail: dict[float, Sighting]) -> None:
    assert _first_vehicle(_frames(trail)) is None


def test_a_body_that_stood_there_before_the_trail_is_no_vehicle_that_stopped() -> None:
    """Somebody standing where a tricycle's way leads did not arrive with it."""
    assert _first_vehicle(_frames(_TRICYCLE, stand_from_s=0.0)) is None


def test_sightings_are_kept_for_the_trail_only_while_they_may_lead_to_a_stop() -> None:
    """Sightings older than ``TRAIL_KEEP_S`` go, and all of them when the clock went back
    (a restarted source): they could make a trail into a stop seen after it."""
    detector = _street_vehicle_detector()
    blob = Blob(0, 0, 1, 1, 1, 1)
    detector._follow(100.0, [(blob, (1.0, 18.0, 1.3))])
    detector._follow(100.0 + TRAIL_KEEP_S, [(blob, (1.0, 12.0, 1.3))])
    assert [p[0] for p in detector._seen] == [100.0, 100.0 + TRAIL_KEEP_S]
    detector._follow(100.2 + TRAIL_KEEP_S, [])
    assert [p[0] for p in detector._seen] == [100.0 + TRAIL_KEEP_S]
    detector._follow(50.0, [(blob, (1.0, 15.0, 1.3))])
    assert [p[0] for p in detector._seen] == [50.0]
