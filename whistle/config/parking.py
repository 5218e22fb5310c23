"""Car park spaces watched by a camera. Owned by the parks work (issue 8)."""

from __future__ import annotations

from whistle.config.common import Identifier, Polygon
from whistle.config.loader import StrictModel


class ParkingSpace(StrictModel):
    """One marked bay, as a polygon in normalised image coordinates (x right, y down, 0..1)."""

    id: Identifier
    polygon: Polygon
    #: Optional row/label painted on the ground, for the pages.
    label: str = ""
