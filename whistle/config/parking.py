"""Car park spaces watched by a camera. Owned by the parks work (issue 8)."""

from __future__ import annotations

from whistle.config.common import Identifier, Polygon
from whistle.config.loader import StrictModel


class ParkingSpace(StrictModel):
    id: Identifier
    polygon: Polygon
