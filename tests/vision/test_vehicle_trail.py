"""``vehicle_free``: a vehicle that stopped where a trail of wide sightings led.

A tricycle coming up behind a walker merges with him; its own track is lost or his mover
takes its stop. The sightings here are those ``_follow`` was given in vehicle_entry 29010
from 193.6 s (X, depth, width in metres; several bodies per frame), shifted to start at 0.
"""

from __future__ import annotations

import pytest

from models.vision.blobs import Blob
from models.vision.frame import SMALL
from models.vision.ground import Ground
from models.vision.zones.ground_track import Sample
from models.vision.zones.vehicle_stop import (
    STOP_LATE_S,
    STOP_S,
    TRAIL_KEEP_S,
    TRAIL_LATERAL_M,
    _most_on_one_line,
)
from whistle.config.camera import GroundPlane

from .test_zone_models import FPS, _street_vehicle_detector

Sighting = tuple[float, float, float]

_GROUND = Ground(GroundPlane(horizon_y=0.20, height_m=4.0, focal_y=1.0), SMALL)

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


#: vehicle_entry 31006 from 192.4 s, shifted to start at 0: every sighting ``_follow`` was
#: given (X, depth, width in metres). A walker walking away from the camera in the van's lane
#: (10.8 m to 16 m), the van coming up it from 21.8 m at 3.4-3.8 m/s; the detector followed
#: him to it where they met at 16 m (3.4 s), and the van stood at 12.6 m from 5.0 s.
_CROWDED: dict[float, tuple[Sighting, ...]] = {
    0.0: ((2.03, 10.75, 0.96),), 0.2: ((1.97, 10.43, 0.93),), 0.4: ((1.97, 10.14, 1.01),),
    0.6: ((1.97, 10.14, 1.01),), 0.8: ((2.03, 10.14, 1.13),), 1.0: ((1.97, 9.86, 1.1),),
    1.6: ((2.26, 13.58, 1.21), (3.43, 20.57, 1.83)),
    1.8: ((2.11, 13.58, 1.21), (3.29, 21.18, 1.88)),
    2.2: ((1.96, 14.12, 1.41), (3.03, 21.82, 1.7)), 2.4: ((1.96, 14.69, 1.63), (2.91, 21.82, 1.94)),
    2.6: ((1.8, 14.69, 1.63), (2.59, 21.18, 1.88)), 2.8: ((1.79, 15.32, 1.87), (2.27, 19.46, 2.38)),
    3.0: ((1.79, 15.32, 1.87), (2.15, 18.46, 1.85)),
    3.2: ((1.79, 15.32, 1.87), (2.15, 18.46, 1.85)),
    3.4: ((1.96, 16.0, 2.13), (2.15, 17.56, 1.76)), 3.6: ((1.96, 16.0, 2.13), (2.15, 17.56, 1.95)),
    3.8: ((2.13, 16.0, 2.13),), 4.0: ((1.96, 15.32, 2.21),), 4.2: ((2.04, 14.69, 2.12),),
    4.4: ((1.96, 14.12, 2.04),), 4.6: ((1.96, 13.58, 2.11),), 4.8: ((1.96, 13.09, 2.18),),
}  # fmt: skip
_CROWDED_STOP: Sighting = (1.96, 12.63, 2.25)
_CROWDED_STOP_FROM_S = 5.0
#: Its stop began at its sighting at 13.09 m, within ``STOP_TOL_M`` of where it stood.
_CROWDED_STILL_FROM_S = 4.8


def _crowded_frames(far: bool = True) -> dict[float, list[Sighting]]:
    """The frames of ``_CROWDED`` (without the van's sightings deeper than 17 m unless
    ``far``), then the van standing until 8 s."""
    frames: dict[float, list[Sighting]] = {}
    for i in range(int(8.0 * FPS) + 1):
        t = round(i / FPS, 6)
        seen = [s for s in _CROWDED.get(t, ()) if far or s[1] <= 17.0]
        if t >= _CROWDED_STOP_FROM_S - 1e-6:
            seen.append(_CROWDED_STOP)
        frames[t] = seen
    return frames


@pytest.mark.parametrize(
    ("far", "vehicle"), [(True, True), (False, False)], ids=["31006", "near-only"]
)
def test_a_trail_beside_another_body_s_way_needs_many_sightings(far: bool, vehicle: bool) -> None:
    """The van's 12-13 sightings on its line, 10 of the walker's off it: more than a third
    left out, so only the most sightings on one line make its trail; without those farther
    than 17 m, the 5 left on it are not enough."""
    first = _first_vehicle(_crowded_frames(far))
    if not vehicle:
        assert first is None
        return
    assert first is not None
    stood = first - _CROWDED_STILL_FROM_S
    assert STOP_S - 0.5 / FPS <= stood <= STOP_S + STOP_LATE_S


def _line(speed_m_s: float, times: list[float]) -> list[Sample]:
    """Sightings 1.3 m wide at X 1 m coming nearer at ``speed_m_s`` on a line reaching 12 m at
    time 0 (``times``: s before the stop, negative)."""
    return [(t, 1.0, 12.0 - speed_m_s * t, 1.3) for t in times]


@pytest.mark.parametrize(
    ("way_s", "found"),
    [
        # 14 sightings at 3 m/s over 2.8 s, 10 of a walker's off it
        ([-0.2 * k for k in range(14, 0, -1)], True),
        # the same with 1.2 s of it unseen: 3.6 m between two of them
        ([-0.2 * k for k in range(20, 0, -1) if not 4 <= k <= 9], False),
        # 9 sightings: too few to outnumber those left out
        ([-0.2 * k for k in range(9, 0, -1)], False),
    ],
    ids=["continuous", "gap", "few"],
)
def test_the_most_sightings_on_one_line_must_be_many_and_continuous(
    way_s: list[float], found: bool
) -> None:
    # somebody walking away beyond it at 1 m/s, 21-23 m off
    walker = [(-0.2 * k, 1.2, 23.0 - 0.2 * k, 0.9) for k in range(10, 0, -1)]
    trail = sorted(_line(3.0, way_s) + walker)
    fit = _most_on_one_line(trail, _GROUND)
    assert (fit is not None) == found
    if fit is not None:
        speed, z0, on = fit
        assert speed == pytest.approx(-3.0) and z0 == pytest.approx(12.0)
        assert [p[0] for p in on] == way_s
