"""vehicle_free's second sighting of a wide blob (``_sighting_behind``): its shortcuts give the
answer of its definition, the median of the columns' lowest pixels, on every blob shape."""

from __future__ import annotations

import numpy as np
import pytest

from models.vision.blobs import Blob, components
from models.vision.frame import SMALL
from models.vision.ground import Ground
from models.vision.zones.vehicle import (
    BEHIND_MIN_WIDTH_M,
    SPLIT_FOOT_M,
    VehicleDetector,
    _Sighting,
)
from whistle.config.camera import GroundPlane, VehicleFreeZone

GROUND = Ground(GroundPlane(horizon_y=0.20, height_m=4.0, focal_y=1.0), SMALL)


def _by_definition(labels: np.ndarray, b: Blob, z: float) -> list[_Sighting]:
    """The sighting as the docstring defines it, every column's foot sorted."""
    sub = labels[b.y0 : b.y1, b.x0 : b.x1] == b.label
    feet = sorted(b.y0 + int(np.flatnonzero(col).max()) for col in sub.T)
    n = len(feet)
    row_med = feet[n // 2] if n % 2 else 0.5 * (feet[n // 2 - 1] + feet[n // 2])
    foot = GROUND.foot(b.centre[0], row_med + 0.5)
    if foot is None or foot[1] - z < SPLIT_FOOT_M:
        return []
    width_m = GROUND.width_m(sum(1 for f in feet if f <= row_med + 1), foot[1])
    return [] if width_m < BEHIND_MIN_WIDTH_M else [(b, (foot[0], foot[1], width_m))]


def _blob_shapes(seed: int) -> np.ndarray:
    """A mask of a few blobs: boxes with ragged bottoms (legs, wheels, a person in front),
    some flat-bottomed, some tall, near and far."""
    rng = np.random.default_rng(seed)
    h, w = SMALL[1], SMALL[0]
    mask = np.zeros((h, w), np.uint8)
    for _ in range(4):
        x0 = int(rng.integers(0, w - 30))
        y1 = int(rng.integers(30, h + 1))
        bw, bh = int(rng.integers(3, 30)), int(rng.integers(2, 25))
        y0 = max(int(h * 0.2) + 2, y1 - bh)
        mask[y0:y1, x0 : x0 + bw] = 1
        # ragged bottom: each column loses 0 to a few rows
        for x in range(x0, x0 + bw):
            cut = int(rng.choice([0, 0, 1, 3, int(rng.integers(0, max(1, y1 - y0)))]))
            if cut:
                mask[max(y0 + 1, y1 - cut) : y1, x] = 0
    return mask


@pytest.mark.parametrize("seed", range(40))
def test_the_second_sighting_is_the_median_of_the_columns_feet(seed: int) -> None:
    zone = VehicleFreeZone(id="street", kind="vehicle_free", polygon=[(0, 0), (1, 0), (1, 1)])
    detector = VehicleDetector(zone, np.ones(SMALL[::-1], bool), GROUND)
    n, labels, stats = components(_blob_shapes(seed))
    checked = 0
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        b = Blob(x, y, x + w, y + h, area, i)
        z_bottom = GROUND.depth_m(y + h - 0.5)
        if z_bottom is None:
            continue
        # the lowest row's depth, and nearer (a low piece right under the blob)
        for z in (z_bottom, 0.8 * z_bottom):
            assert detector._sighting_behind(labels, b, z, GROUND) == _by_definition(labels, b, z)
            checked += 1
    assert checked > 0
