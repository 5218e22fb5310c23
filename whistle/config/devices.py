"""Fields every device of a site has, whatever its kind."""

from __future__ import annotations

from whistle.config.common import GeoPoint, Identifier, PlanPosition
from whistle.config.loader import StrictModel


class DeviceBase(StrictModel):
    id: Identifier
    name: str
    name_en: str = ""
    #: Where the device is drawn on the site plan of the web pages.
    position: PlanPosition | None = None
    location: GeoPoint | None = None
