"""restricted: a person standing in the zone stays one stay while their blob merges with
somebody or something in front of the zone, whose feet are then the blob's."""

from __future__ import annotations

import numpy as np
import pytest

from models.vision.context import FrameContext
from models.vision.frame import SMALL
from models.vision.masks import polygon_mask
from models.vision.zones.linger import SETTLED_GAP_S, LingerDetector
from whistle.config.camera import RestrictedZone

from .test_zone_models import FPS, _flat_background, _ground

#: A stairwell: columns 72-96, rows 27-54 at SMALL (160x90).
STAIRWELL = [(0.45, 0.3), (0.6, 0.3), (0.6, 0.6), (0.45, 0.6)]


def _stays(person_until_s: float) -> list[float]:
    """A person stands in the stairwell (feet on row 48) from the start until
    ``person_until_s``; from 20 s on something stands in front of it, below, and their blobs
    merge while both are there (one blob, its feet on row 66, outside the zone)."""
    h, w = SMALL[1], SMALL[0]
    grey, bg = _flat_background()
    zone = RestrictedZone(id="stairs", kind="restricted", polygon=STAIRWELL, dwell_s=60.0)
    detector = LingerDetector(zone, polygon_mask(STAIRWELL, SMALL), _ground())
    stays = []
    for i in range(int(70 * FPS)):
        t = i / FPS
        fg = np.zeros((h, w), np.uint8)
        if t < person_until_s:
            fg[34:48, 80:86] = 1
        if t >= 20.0:
            fg[48:66, 78:92] = 1
        ctx = FrameContext(t, None, grey, bg, fg, fg, SMALL)
        stays.append(detector.update(ctx).measured["stay_s"])
    return stays


def test_a_person_merged_with_what_stands_in_front_keeps_lingering() -> None:
    """market_morning 21002 at 3424 s: the stay began again when the person's blob joined
    what stood below the stairwell, and the episode opened 59 s late."""
    stays = _stays(person_until_s=70.0)
    assert stays[int(19 * FPS)] >= 18.0
    assert stays[-1] >= 69.0


@pytest.mark.parametrize("left_s", [25.0, 40.0])
def test_the_stay_ends_when_the_person_leaves_what_stands_in_front(left_s: float) -> None:
    """Once the person has gone, what stands below the stairwell touches the spot but does
    not cover it: the stay ends as an unseen one does (``SETTLED_GAP_S``)."""
    stays = _stays(person_until_s=left_s)
    assert max(stays[int((left_s + SETTLED_GAP_S + 1.0) * FPS) :]) == 0.0
