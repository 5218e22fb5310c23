"""Per-zone detectors: one small class per zone kind, all fed the same ``FrameContext``.

Thresholds are the zone's config parameters; fixed constants in each module carry their
reasoning. ``make_detector`` picks the class for a configured zone.
"""

from __future__ import annotations

import numpy as np

from models.vision.ground import Ground
from models.vision.zones.common import ZoneDetector
from models.vision.zones.crowd import CrowdDetector
from models.vision.zones.linger import LingerDetector
from models.vision.zones.litter import LitterDetector
from models.vision.zones.stall import StallDetector
from models.vision.zones.vehicle import VehicleDetector
from whistle.config.camera import (
    CameraZone,
    NoStallZone,
    RestrictedZone,
    VehicleFreeZone,
    WalkwayZone,
)

__all__ = [
    "CrowdDetector",
    "LingerDetector",
    "LitterDetector",
    "StallDetector",
    "VehicleDetector",
    "ZoneDetector",
    "make_detector",
]


def make_detector(zone: CameraZone, mask: np.ndarray, ground: Ground | None = None) -> ZoneDetector:
    if isinstance(zone, NoStallZone):
        return StallDetector(zone, mask, ground)
    if isinstance(zone, RestrictedZone):
        return LingerDetector(zone, mask, ground)
    if isinstance(zone, WalkwayZone):
        return CrowdDetector(zone, mask, ground)
    if isinstance(zone, VehicleFreeZone):
        return VehicleDetector(zone, mask, ground)
    return LitterDetector(zone, mask, ground)
