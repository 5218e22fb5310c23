"""Camera device config: source, analysis size and rate, zones, masks.

Owned by the market-camera work (issue 4); the car park spaces belong to the parks work.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from whistle.config.common import MARKET_HOURS, Identifier, Polygon, TimeWindow
from whistle.config.devices import DeviceBase
from whistle.config.loader import StrictModel
from whistle.config.parking import ParkingSpace


class CameraSource(StrictModel):
    kind: Literal["simulator", "mjpeg", "rtsp", "file"]
    #: For ``kind: simulator``: which simulated scene to render.
    simulator: Literal["market", "carpark"] = "market"
    url: str | None = None
    scenario: str | None = None
    seed: int = 0


class CameraZone(StrictModel):
    id: Identifier
    kind: Literal["no_stall", "walkway", "restricted", "vehicle_free", "cleanliness"]
    polygon: Polygon
    schedule: list[TimeWindow] = Field(default_factory=lambda: [MARKET_HOURS])


class CameraConfig(DeviceBase):
    kind: Literal["camera"]
    source: CameraSource
    zones: list[CameraZone] = Field(default_factory=list)
    privacy_masks: list[Polygon] = Field(default_factory=list)
    motion_masks: list[Polygon] = Field(default_factory=list)
    #: Car park spaces (a camera with spaces runs the car park classifier).
    spaces: list[ParkingSpace] = Field(default_factory=list)
