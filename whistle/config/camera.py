"""Camera device config: source, analysis rate, zones with their kind's parameters, masks.

Owned by the market-camera work (issue 4); the car park spaces belong to the parks work.

Zones are polygons in normalised image coordinates (x right, y down, 0..1). Each zone has a
``kind`` and that kind's parameters; a YAML zone looks like::

    - id: fire-lane-north
      kind: no_stall
      polygon: [[0.0, 0.6], [0.4, 0.6], [0.4, 1.0], [0.0, 1.0]]
      dwell_s: 180
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

from pydantic import Field, model_validator

from whistle.config.common import MARKET_HOURS, Fraction, Identifier, Polygon, TimeWindow
from whistle.config.devices import DeviceBase
from whistle.config.loader import StrictModel
from whistle.config.parking import ParkingSpace

PositiveSeconds = Annotated[float, Field(gt=0)]


class CameraSource(StrictModel):
    kind: Literal["simulator", "mjpeg", "rtsp", "file"]
    #: For ``kind: simulator``: which simulated scene to render.
    simulator: Literal["market", "carpark"] = "market"
    url: str | None = None
    scenario: str | None = None
    seed: int = 0
    #: Stream health (real seconds): no data for this long is "stalled", an unchanged picture
    #: for this long "frozen"; reconnects back off from ``backoff_initial_s`` to
    #: ``backoff_max_s``.
    stall_after_s: PositiveSeconds = 5.0
    frozen_after_s: PositiveSeconds = 5.0
    backoff_initial_s: PositiveSeconds = 0.5
    backoff_max_s: PositiveSeconds = 30.0

    @model_validator(mode="after")
    def _backoff_order(self) -> CameraSource:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must not be below backoff_initial_s")
        return self


def _market_hours() -> list[TimeWindow]:
    return [MARKET_HOURS]


class _ZoneBase(StrictModel):
    id: Identifier
    polygon: Polygon
    #: When the zone is watched (local time of the site); default: market hours 04:30-08:30.
    schedule: list[TimeWindow] = Field(default_factory=_market_hours)


class NoStallZone(_ZoneBase):
    """Roadway or fire lane outside the shelving line: nothing may be put down here."""

    kind: Literal["no_stall"]
    #: A new stationary object staying this long opens an encroachment episode.
    dwell_s: PositiveSeconds = 180.0
    #: Smallest object that counts, as a fraction of the image area.
    min_area: Fraction = 0.002
    #: Stationary person-shaped blobs (taller than wide, person-sized) are not stalls.
    ignore_people: bool = True


class WalkwayZone(_ZoneBase):
    """Entrance or traffic-control point: congestion is a crowded zone for too long."""

    kind: Literal["walkway"]
    #: Calibrated crowd density: occupied fraction of the zone (perspective-weighted) above
    #: which the zone is congested.
    threshold: Fraction = 0.2
    #: The density must stay above the threshold this long.
    for_s: PositiveSeconds = 60.0
    #: How much larger a person looks at the bottom edge of the zone than at its top (>= 1);
    #: pixels near the top weigh more so a far crowd counts like a near one.
    perspective: Annotated[float, Field(ge=1.0, le=20.0)] = 1.0
    #: The density is averaged over this many seconds (a crowd shuffles, people hide others).
    smooth_s: PositiveSeconds = 10.0


class RestrictedZone(_ZoneBase):
    """Doorway or stairwell: a person must not linger here during the schedule."""

    kind: Literal["restricted"]
    dwell_s: PositiveSeconds = 60.0
    #: Smallest blob that may be a person, as a fraction of the image area.
    min_area: Fraction = 0.001


class VehicleFreeZone(_ZoneBase):
    """Pedestrian street: no vehicle may enter during the schedule."""

    kind: Literal["vehicle_free"]
    #: Smallest moving blob that is a vehicle, as a fraction of the image area.
    min_area: Fraction = 0.004
    #: A vehicle's blob is at least this wide for its height (a person's is about 0.4).
    min_aspect: Annotated[float, Field(gt=0)] = 0.8
    #: The blob must be seen this long (moving) before the episode opens. With ``ground``:
    #: a mover must hold the speed and width tests this long on every frame (1 s is enough
    #: when it is clearly faster than anyone walks; a van can stop 3 s after entering). Two
    #: people side by side pass the tests for 2 s at most in the development scenarios.
    confirm_s: Annotated[float, Field(ge=0)] = 2.5
    #: With the camera's ``ground`` calibration: a vehicle is at least this wide (metres)...
    min_width_m: Annotated[float, Field(gt=0)] = 0.9
    #: ...and moves steadily as one rigid body (same width, a straight path) at least this
    #: fast (m/s, over ``speed_window_s``). Tricycles in a crowded street roll at walking
    #: pace, so speed alone does not separate them from people; it rules out stopped things.
    min_speed_m_s: Annotated[float, Field(gt=0)] = 1.0
    speed_window_s: Annotated[float, Field(gt=0, le=10)] = 2.5
    #: Once confirmed, the vehicle must stay judged present this long before the episode
    #: opens: people walking side by side pass for a vehicle for a few seconds at most,
    #: a vehicle in a pedestrian street stays longer.
    present_s: Annotated[float, Field(ge=0, le=60)] = 5.0


def _after_closing() -> list[TimeWindow]:
    return [TimeWindow(start=time(8, 30), end=time(10, 0))]


def _after_sweeping() -> TimeWindow:
    return TimeWindow(start=time(10, 0), end=time(16, 0))


class CleanlinessZone(_ZoneBase):
    """The street after closing: left-over rubbish at ``check_at`` opens an alert."""

    kind: Literal["cleanliness"]
    schedule: list[TimeWindow] = Field(default_factory=_after_closing)
    #: When the street must be clean (local time).
    check_at: time = time(9, 0)
    #: When the clean street is learned (local time, the last moment nothing is in the zone):
    #: by default in daylight after the street is swept, like the light at ``check_at``. Not
    #: at night: cameras switch to infrared, and lamp light is not daylight (the simulator's
    #: street learned under its lamps differs over 5-18 % of the clean street at 08:34,
    #: docs/vision.md). Until a camera has seen this window it judges what was put down and
    #: lay still.
    learn: TimeWindow = Field(default_factory=_after_sweeping)
    #: Rubbish covering more than this fraction of the zone opens the alert.
    max_litter: Fraction = 0.01


CameraZone = Annotated[
    NoStallZone | WalkwayZone | RestrictedZone | VehicleFreeZone | CleanlinessZone,
    Field(discriminator="kind"),
]
ZoneKind = Literal["no_stall", "walkway", "restricted", "vehicle_free", "cleanliness"]


class TamperSettings(StrictModel):
    """Whole-camera tampering: covered, defocused, turned away."""

    enabled: bool = True
    #: The tamper condition must hold this long before the episode opens.
    hold_s: Annotated[float, Field(ge=0, le=9)] = 2.0
    #: Sharpness below this fraction of its learned baseline: defocused.
    defocus_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.35
    #: Scene similarity to the reference below this: turned away (or covered).
    moved_similarity: Annotated[float, Field(gt=-1, lt=1)] = 0.5


class GroundPlane(StrictModel):
    """Pinhole calibration of a camera over a flat street (square pixels, no roll).

    A ground point seen at normalised row ``y`` lies at depth
    ``z = height_m * focal_y / (y - horizon_y)`` metres; sizes and speeds of objects standing
    on the ground follow in metres. Measure it once at installation (the horizon row, and one
    known distance along the street).
    """

    #: Normalised image row of the horizon (where the street's parallel lines meet).
    horizon_y: Annotated[float, Field(ge=-1.0, lt=1.0)]
    #: Height of the camera above the street, metres.
    height_m: Annotated[float, Field(gt=0, le=50)]
    #: Focal length in image heights (normalised rows per unit of height/depth).
    focal_y: Annotated[float, Field(gt=0, le=20)]


class CameraConfig(DeviceBase):
    kind: Literal["camera"]
    source: CameraSource
    #: Frames analysed per second of device time (the rest are skipped).
    analysis_fps: Annotated[float, Field(gt=0, le=30)] = 5.0
    zones: list[CameraZone] = Field(default_factory=list)
    #: Blurred in every stored image (residents' windows).
    privacy_masks: list[Polygon] = Field(default_factory=list)
    #: Ignored by the detectors (trees, a flapping banner).
    motion_masks: list[Polygon] = Field(default_factory=list)
    tamper: TamperSettings = Field(default_factory=TamperSettings)
    #: Optional ground calibration: metric sizes and speeds (vehicles), crowd extents.
    ground: GroundPlane | None = None
    #: Car park spaces (a camera with spaces runs the car park classifier).
    spaces: list[ParkingSpace] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_zones(self) -> CameraConfig:
        ids = [z.id for z in self.zones]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"zone ids used twice: {', '.join(dupes)}")
        return self
