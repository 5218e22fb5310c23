"""Flat-ground pinhole geometry (``models.vision.ground``) against its own equations."""

from __future__ import annotations

import pytest

from models.vision.ground import Ground
from models.vision.zones.vehicle_stop import ARRIVE_MAX_ROW_M
from whistle.config.camera import GroundPlane

#: The simulated market camera (firmware_sim.camera.geometry): horizon at 0.20 of the image
#: height, a 4 m pole, focal length 1.0 image heights; at the 160x90 analysis size.
SIM = Ground(GroundPlane(horizon_y=0.20, height_m=4.0, focal_y=1.0), (160, 90))


@pytest.mark.parametrize("z_m", [5.0, 8.0, 10.0, 13.4, 16.0, 20.0])
def test_a_rows_ground_span_is_the_depth_between_its_edges(z_m: float) -> None:
    """``row_span_m`` is dz/dy (``z = f_y h / y``) for one row: the depths half a row either
    side of the row seen at ``z_m`` differ by it, to the second order of a row (under 1 %
    nearer than 20 m)."""
    row_px = (SIM.horizon_y + SIM.focal_y * SIM.height_m / z_m) * SIM.size[1]
    near, far = SIM.depth_m(row_px + 0.5), SIM.depth_m(row_px - 0.5)
    assert near is not None and far is not None
    assert SIM.row_span_m(z_m) == pytest.approx(far - near, rel=0.01)


def test_the_arrival_depth_limit_is_where_rows_span_half_a_metre() -> None:
    """docs/vision.md: arrivals are judged nearer than 13.4 m with this camera, where a row
    spans at most ``ARRIVE_MAX_ROW_M`` (0.5 m)."""
    assert SIM.row_span_m(13.3) <= ARRIVE_MAX_ROW_M < SIM.row_span_m(13.5)
