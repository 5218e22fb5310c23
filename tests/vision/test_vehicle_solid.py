"""``vehicle_free``: a vehicle is a solid blob, judged on its own rows where something farther
behind it merged with it (``SOLID_SHARE``, ``SOLID_BAND_M``).

The shapes are vehicle_entry 31004's at 218.2 s (160x90): a tricycle standing 9.6 m off,
12 pixels wide, and a walker standing 7 m behind it, seen above it, merged with its blob.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from models.vision.context import FrameContext
from models.vision.zones.vehicle import SOLID_SHARE

from .test_zone_models import SMALL, _flat_background, _street_vehicle_detector

#: The tricycle's lowest row (its foot at 9.6 m) and columns.
_FOOT_ROW = 55
_X0, _X1 = 85, 97


def _tricycle(mask: np.ndarray, rows: int) -> None:
    """Its lowest ``rows`` rows, solid."""
    mask[_FOOT_ROW + 1 - rows : _FOOT_ROW + 1, _X0:_X1] = 1


def _walker_behind(mask: np.ndarray, top: int, bottom: int) -> None:
    """A walker two pixels wide whose body spans rows ``top`` to ``bottom`` (exclusive)."""
    mask[top:bottom, 90:92] = 1


def _legs(mask: np.ndarray, rows: int) -> None:
    """Three people's legs side by side over the lowest ``rows`` rows, joined at the top."""
    for x in (_X0, _X0 + 5, _X1 - 1):
        mask[_FOOT_ROW + 1 - rows : _FOOT_ROW + 1, x] = 1
    mask[_FOOT_ROW + 1 - rows, _X0:_X1] = 1


def _tricycle_alone(mask: np.ndarray) -> None:
    _tricycle(mask, 8)


def _tricycle_and_walker(mask: np.ndarray) -> None:
    _tricycle(mask, 8)
    _walker_behind(mask, 20, _FOOT_ROW - 7)


def _legs_and_walker(mask: np.ndarray) -> None:
    _legs(mask, 13)
    _walker_behind(mask, 20, _FOOT_ROW - 12)


@pytest.mark.parametrize(
    ("draw", "candidate"),
    [
        (_tricycle_alone, True),
        # the whole box 0.35 solid (fails without the band), its lowest 1.4 m 0.6
        (_tricycle_and_walker, True),
        # as tall and wide, but its lowest rows ragged too: no solid body at all
        (_legs_and_walker, False),
    ],
    ids=["alone", "walker-behind", "ragged"],
)
def test_a_vehicle_merged_with_somebody_behind_it_is_judged_on_its_own_rows(
    draw: Callable[[np.ndarray], None], candidate: bool
) -> None:
    mask = np.zeros(SMALL[::-1], np.uint8)
    draw(mask)
    grey, bg = _flat_background()
    detector = _street_vehicle_detector()
    detector.update(FrameContext(0.0, None, grey, bg, mask, mask, SMALL))
    if candidate:
        # one sighting, at the tricycle's foot
        assert len(detector._seen) == 1
        assert detector._seen[0][2] == pytest.approx(9.6, abs=0.3)
    else:
        assert detector._seen == []
    box = mask[20 : _FOOT_ROW + 1, _X0:_X1]
    if draw is not _tricycle_alone:
        assert np.count_nonzero(box) < SOLID_SHARE * box.size
