"""Building blocks shared by every config file: identifiers, time windows, polygons, positions."""

from __future__ import annotations

from datetime import time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from whistle.config.loader import StrictModel

#: Site, device, zone and stream identifiers: what may appear as one level of an MQTT topic.
ID_PATTERN = r"^[a-z0-9_-]+$"
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=64)]

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
#: A point in normalised image (or site-plan) coordinates: x to the right, y down, both 0..1.
NormPoint = tuple[Fraction, Fraction]


def _check_polygon(points: list[NormPoint]) -> list[NormPoint]:
    if len(points) < 3:
        raise ValueError("a polygon needs at least 3 points")
    return points


Polygon = Annotated[list[NormPoint], AfterValidator(_check_polygon)]


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


class TimeWindow(StrictModel):
    """A daily window in local time; ``end`` before ``start`` means it runs past midnight."""

    start: time
    end: time

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindow:
        if self.start == self.end:
            raise ValueError("start and end are equal: the window would be empty")
        return self

    def contains(self, t: time) -> bool:
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


class PlanPosition(StrictModel):
    """Where a device is drawn on its site's plan (normalised 0..1, x right, y down)."""

    x: Fraction
    y: Fraction


class GeoPoint(StrictModel):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


#: The Gumo early market's trading hours, the default schedule of market camera zones.
MARKET_HOURS = TimeWindow(start=time(4, 30), end=time(8, 30))
