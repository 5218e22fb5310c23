"""``vehicle_free``: a vehicle-sized body moving into the pedestrian street."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np

from models.vision.blobs import Blob, components, find_blobs
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.ground import Ground
from models.vision.zones.common import px
from models.vision.zones.ground_track import (
    FastTrace,
    Sample,
    ahead_on_line,
    recent_run,
    steady,
    still_since,
    stop_start,
    straight,
    velocity,
)
from whistle.config.camera import VehicleFreeZone

#: Vehicle speed is judged only where one image row spans at most this depth (m): further
#: away the foot point jumps by whole metres between frames.
MAX_ROW_M = 1.0
#: A driving vehicle's blob is mostly short-term foreground too (it moves as one body).
MOVING_FRACTION = 0.3
#: Ground speed (m/s) no pedestrian reaches (brisk walking is 1.5-1.8 m/s): a blob this fast
#: on a straight path need not keep its width (a vehicle turning into the street shows its
#: side, its blob widens).
CLEARLY_FAST_M_S = 2.2
#: A rigid mover judged clearly fast stays so while faster than this (m/s, faster than anyone
#: walks): measured over a second or two the speed of a tricycle at 2.2 m/s dips by a tenth.
#: (A blob that merged with another for a frame jumps metres and its speed then decays over
#: the window, but its width does not stay.)
CLEARLY_FAST_HOLD_M_S = 1.8
#: Seconds of track that suffice to judge a clearly fast mover (otherwise 0.75 of
#: ``speed_window_s``): a van driving in at 3-4 m/s can stop within 3 s of being seen, and at
#: that speed a second covers several image rows even at the far end.
CLEARLY_FAST_SPAN_S = 1.0
#: Seconds a clearly fast mover must hold before it is a vehicle (otherwise ``confirm_s``).
CLEARLY_FAST_CONFIRM_S = 1.0
#: A mover judged clearly fast that goes unseen for up to this long (s), its blob broken up
#: (a grey van on grey paving) or hidden, keeps its track when it is seen again within
#: BRIDGE_GATE_M (m, |dX| + |dz|) of where its velocity puts it; its hold starts again there
#: after more than SHORT_GAP_FRAMES missed. (vehicle_entry 9303 and 9508: vans lost for
#: 0.6-1.0 s at 14-17 m stopped 1 s after they were seen again.)
BRIDGE_S = 1.0
BRIDGE_GATE_M = 1.5
#: Frames in a row a mover judged moving at SHORT_GAP_MIN_M_S or faster (clearly fast or
#: not) may go unseen and keep its hold, when it is seen again within BRIDGE_GATE_M of where
#: its velocity puts it: a tricycle's cargo box, as grey as the paving, leaves a blob as narrow
#: as its rider for a frame or two (market_morning 17001 at 13745.6 s, 0.6 m wide at 16 m,
#: judged at 1.66 m/s: its hold of 2.5 s began again 1.2 s before it stopped). Not at walking
#: pace (the simulator's walkers: 0.9-1.5 m/s): two people side by side at 1.2 m/s, lost for
#: two frames, were confirmed so (market_morning 17001 at 5355 s). A tricycle judged clearly
#: fast at 11 m, unseen for two frames, stopped 0.4 s after its hold had begun again
#: (vehicle_entry 22007 at 62 s).
SHORT_GAP_FRAMES = 2
SHORT_GAP_MIN_M_S = 1.5
#: Frame steps after which a mover that missed SHORT_GAP_FRAMES is seen again (half a step
#: forgiven). The stop test (``STOP_S``) takes any mover's track across such a gap, at any
#: speed (its moving rules start again after it unless it was bridged): a grey van at 3.7 m/s
#: on grey paving was seen on 5 frames of the 11 before it stopped, at most 2 missed from
#: 15 m on, and its track began again after each gap, leaving 0.4 s of arrival
#: (vehicle_entry 14004 at 87 s). Its arrival's steps are judged as seen: a step across
#: missed frames may carry no more than half its way either (market_morning 21001 at 82 s:
#: a track still for 0.4 s, then 4 m on across two missed frames, onto somebody else).
SHORT_GAP_STEPS = SHORT_GAP_FRAMES + 1.5
#: Ground speed (m/s) nothing in the street exceeds.
MAX_DRIVE_M_S = 6.0
#: A rigid body at least this wide (m) is wider than two people side by side (a van is about
#: 1.9 m) and is a vehicle after WIDE_BODY_CONFIRM_S at walking pace.
WIDE_BODY_M = 1.6
WIDE_BODY_CONFIRM_S = 1.5
#: A rigid body narrower than that is a vehicle after WIDE_BODY_CONFIRM_S too when it moves at
#: least this fast (m/s; the simulator's walkers keep to 0.9-1.5 m/s, its tricycles 1.8-2.8):
#: a tricycle whose foot point a walker in front pinned for a second or two is measured
#: slower than it drives and may stop before ``confirm_s`` (vehicle_entry 9703, 9803).
BRISK_M_S = 1.8
#: Foreground stationary this long (s) is not part of a moving vehicle's body: a ghost or a
#: standing person it passes would otherwise merge with it and pin its foot point.
STILL_S = 3.0
#: A wide blob whose lowest row lies this much nearer (m of ground) than the median of its
#: columns' lowest pixels may be two bodies, one in front of the other: it is offered to the
#: movers at both depths.
SPLIT_FOOT_M = 1.5
#: ... if the columns ending at that depth are at least this wide (m): more than people in
#: step one behind another show there (dawn_quiet 9601: a track followed the back one of two,
#: hopped to the front one and was "fast"), less than a van (1.9 m) behind a walker.
BEHIND_MIN_WIDTH_M = 1.3

#: A mover that arrived clearly fast (``CLEARLY_FAST_M_S`` over ``ARRIVE_S``, at least
#: ``ARRIVE_MIN_S`` of it, where rows span at most ``ARRIVE_MAX_ROW_M``) and then stood
#: still (within ``STOP_TOL_M``, |dX| + |dz|) as one rigid body for ``STOP_S`` is a vehicle
#: that stopped: a tricycle whose foot point a walker in front pinned for a second or two and
#: that stopped 10-13 m from the camera before any hold was over (vehicle_entry 9402).
#: Walkers who stop arrived at walking pace; a blob that merged with a passer-by jumps, but
#: does not then stand still. No step of the arrival may carry more than half of it: a track
#: that hopped from one body to another, 3.5 m in 0.4 s from a vendor pushing a stall to a
#: person standing in front (dawn_quiet 9402 at 184.8 s) or 2.4 m back to somebody standing
#: behind (market_morning 9401 at 12436 s), was "clearly fast" and then still. So is one
#: judged brisk (``_Hold.brisk``) on every frame of at least ``ARRIVE_MIN_S`` up to where its
#: stop began: a tricycle at 1.95 m/s, held brisk for 1.4 s of the 1.5 s it needed, stopped
#: 12 m off and stood there 23 s (vehicle_entry 22007 at 214 s; its width had changed while
#: it turned into the street, and a window over its stop measures less than it drove).
STOP_S = 2.0
STOP_TOL_M = 0.5
#: ... judged on any frame up to this long (s) after the hold is complete: a mover unseen on
#: the frame the hold completes is judged on the next.
STOP_LATE_S = 1.0
ARRIVE_S = 1.2
ARRIVE_MIN_S = 0.8
#: The arrival is judged only where a row spans at most this depth (m) at its mean depth
#: (nearer than 13.4 m with the simulated camera's calibration): further off a walker's foot
#: point steps a whole row (0.7 m at 16 m) in one frame, and two such steps in a second read
#: as 2.6 m/s (people_standing 9702 at 368 s, a walker whose foot was then pinned by
#: somebody standing).
ARRIVE_MAX_ROW_M = 0.5
#: ... or a mover judged clearly fast that was lost up to ``FAST_TRACE_S`` before the stop
#: drove there: the stop lies ahead on its line (off it by at most ``FAST_TRACE_LATERAL`` of
#: the distance, a vehicle finishing its turn) at about its speed. A tricycle lost where it
#: merged with two walkers crossing in front stopped 6 m on (vehicle_entry 9703 at 69 s).
FAST_TRACE_S = 6.0
FAST_TRACE_LATERAL = 0.35
#: How long (s) a lost clearly fast mover's trace is kept: it serves stops beginning up to
#: FAST_TRACE_S after it, judged up to STOP_S + STOP_LATE_S later still.
FAST_TRACE_KEEP_S = FAST_TRACE_S + STOP_S + STOP_LATE_S
#: A rigid body judged moving (any hold) on every frame from MOVED_MIN_S or more before where
#: it stopped, that arrived at WALK_ARRIVE_M_S or faster (over ARRIVE_S, straight, steady,
#: where rows span at most ARRIVE_MAX_ROW_M, as above) and then stood still as one rigid
#: body for STOP_AFTER_WALK_S is a vehicle that stopped: a tricycle whose foot point a walker
#: pinned far off was judged moving from 194.2 s at 1.2-1.8 m/s (brisk for 0.4 s), arrived
#: at 1.7 m/s and stopped 10 m off at 195.6 s, before its hold of ``confirm_s`` was over
#: (vehicle_entry 25010). The simulator's walkers keep to 0.9-1.5 m/s; a stall pushed at
#: 1 m/s stops too. The longer stop is a margin against people side by side who stop
#: together: on 152 development runs the rule fired only on vehicles (docs/vision.md).
WALK_ARRIVE_M_S = 1.6
MOVED_MIN_S = 1.0
STOP_AFTER_WALK_S = 4.0
#: A confirmed vehicle that is lost goes on along its line: for ``VEHICLE_TRACE_S`` after its
#: mover was lost, a foreground blob whose foot lies ahead on that line (as for
#: ``FAST_TRACE_S``) is where it went, once nothing covers where it was last seen. A
#: tricycle confirmed at 2.3 m/s merged with a walker standing in front, drove 5 m on behind
#: him and stopped there for 80 s; the zone had kept it present only while foreground
#: covered the old place (vehicle_entry 16011).
VEHICLE_TRACE_S = FAST_TRACE_KEEP_S
#: A blob keeps a stopped vehicle present only if it holds at least this share of the area
#: the vehicle was last seen with (its anchor): not a passer-by's leg crossing the place.
PRESENT_AREA_SHARE = 0.3

#: A wide blob's foot is the lowest row of the low pieces right under it: foreground pieces
#: that begin at most BODY_GAP_ROWS rows below its lowest row, lie within its columns and are
#: lower than LOW_PIECE_SHARE of a person standing there (1 m: wheels, lights, a bumper, not
#: a walker in front). A grey van on grey paving shows as its windscreen and roof above its
#: headlights, its grey front between them lost (vehicle_entry 14004, 14010: followed at the
#: roof's lowest row, 4-5 m too far and too slow, and its stop went unseen). (Closing every
#: vertical gap instead joined walkers above and below each other in a crowd: market_morning
#: 14002-14004 lost four vehicles.)
BODY_GAP_ROWS = 6
LOW_PIECE_SHARE = 0.6
#: A track whose foot point made more than HOP_SHARE of its net way in one step of more
#: than HOP_ROWS image rows hopped (pieces of a body joining its blob: a stall pushed at
#: 1 m/s whose legs joined its canopy moved its foot 1.5 m at once and read 2.4 m/s,
#: dawn_quiet 14012); it is judged neither clearly fast nor brisk on that. Far off, a foot point
#: quantised to whole rows steps one or two rows at a time (0.7-1.4 m at 16 m) while a
#: vehicle drives 3 m in a second.
HOP_SHARE = 0.5
HOP_ROWS = 2.5
#: ... judged on this many samples or more: a sparse stream's window (a simulated camera at
#: speed 6 delivers a frame every 1.2 s of device time) holds three, each step half the way.
HOP_MIN_SAMPLES = 5

#: Of this many widths or more, the widest is an outlier ``_rigid`` forgives: a passer-by
#: merging with a tricycle's blob for a frame widened it by half, and a tricycle at
#: 1.85 m/s that needs ``confirm_s`` of rigid motion lost its hold on every such frame
#: (vehicle_entry 15007). People walking together merge and part over several frames.
RIGID_OUTLIER_FROM = 5

#: A wide blob seen on the ground: (blob, (X_m, z_m, width_m)).
_Sighting = tuple[Blob, tuple[float, float, float]]


class _BriskRun(NamedTuple):
    """A stretch of frames in a row on which a mover was judged brisk: from, to (s) and
    where it was on the last (m)."""

    first_s: float
    last_s: float
    x_m: float
    z_m: float


class _Hold(NamedTuple):
    """How a mover is judged on one frame (``VehicleDetector._hold_needed``)."""

    #: Seconds it must keep moving so to be a vehicle.
    needed_s: float
    clearly_fast: bool
    #: Clearly fast, or a rigid body faster than BRISK_M_S whose foot point did not hop.
    brisk: bool


@dataclass
class _Mover:
    """A vehicle candidate followed on the ground: (t_s, X_m, z_m, width_m), newest last."""

    path: list[Sample]
    blob: Blob
    fast_since: float | None = None
    #: Judged clearly fast on its last frame (set and cleared with ``fast_since``).
    clearly_fast: bool = False
    #: Held its judgement for the time it needed: a vehicle while it keeps moving steadily
    #: (judged on every frame since), whatever tier it is judged in now. (A mover judged to
    #: have stopped after a clearly fast arrival is one on that frame; the zone keeps it
    #: present where it stands.)
    confirmed: bool = False
    #: Ground velocity (m/s: X, z) at its last judgement; None when not judged moving.
    velocity: tuple[float, float] | None = None
    #: Where it was and how it moved when last judged clearly fast, and the same while it
    #: was confirmed too: the line it leaves behind when its judgement restarts
    #: (``VehicleDetector._restart``).
    last_fast: FastTrace | None = None
    last_confirmed: FastTrace | None = None
    #: Device time (s) of the first sample its motion is judged on (``_hold_needed``): the
    #: path may hold samples from before a short gap it was not bridged across.
    judged_from: float = -math.inf
    #: Its newest stretch of frames in a row judged brisk (``_Hold.brisk``); kept when its
    #: judgement restarts or its path begins again (it stopped).
    brisk_run: _BriskRun | None = None
    #: Its newest stretch of frames in a row judged moving (any hold), kept likewise.
    moving_run: _BriskRun | None = None

    def note_brisk(self, t_s: float) -> None:
        """Judged brisk at ``t_s``: its brisk stretch goes on if its previous sample was too."""
        self.brisk_run = self._extended(self.brisk_run, t_s)

    def note_moving(self, t_s: float) -> None:
        """Judged moving at ``t_s``: its moving stretch goes on if its previous sample was too."""
        self.moving_run = self._extended(self.moving_run, t_s)

    def _extended(self, run: _BriskRun | None, t_s: float) -> _BriskRun:
        prev = self.path[-2][0] if len(self.path) >= 2 else None
        first = run.first_s if run is not None and run.last_s == prev else t_s
        _, x_m, z_m, _ = self.path[-1]
        return _BriskRun(first, t_s, x_m, z_m)

    def restart(self) -> None:
        """Forget its judgement: it must hold anew."""
        self.fast_since, self.clearly_fast, self.confirmed = None, False, False
        self.velocity = None

    def bridge_velocity(self) -> tuple[float, float] | None:
        """Its velocity if it may be followed across a gap (judged clearly fast), else None."""
        return self.velocity if self.clearly_fast else None

    def short_gap_velocity(self) -> tuple[float, float] | None:
        """Its velocity if it may keep its hold across ``SHORT_GAP_FRAMES`` missed frames
        (judged moving at ``SHORT_GAP_MIN_M_S`` or faster when last seen), else None."""
        v = self.velocity
        if self.fast_since is None or v is None or math.hypot(*v) < SHORT_GAP_MIN_M_S:
            return None
        return v


@dataclass
class VehicleDetector:
    """``vehicle_free``: a vehicle in the zone, confirmed for ``confirm_s``.

    With the camera's ground calibration a vehicle is a solid blob at least ``min_width_m``
    wide whose foot point moves over the ground faster than people walk (``min_speed_m_s``
    over ``speed_window_s``, for ``confirm_s``): this keeps people walking side by side,
    crowds and vendors carrying goods out. Without calibration it falls back to image size
    and shape (``min_area``, ``min_aspect``). A mover that arrived clearly fast and stopped
    before any hold was over is one once it has stood still ``STOP_S``; one judged moving up
    to its stop that arrived faster than people walk, once it has stood still
    ``STOP_AFTER_WALK_S``. Once confirmed the
    vehicle stays judged present while a long-term foreground blob overlaps where it was (it
    may stop).
    """

    cfg: VehicleFreeZone
    mask: np.ndarray
    ground: Ground | None = None
    gap_s: float = 1.5
    kind: str = "vehicle_free"
    #: Every frame: movers are followed frame to frame.
    period_s: float = 0.0
    _since: float | None = None
    _last: float | None = None
    _confirmed: bool = False
    _blob: Blob | None = None
    #: Where the vehicle was last seen as a vehicle (not merely as foreground).
    _anchor: Blob | None = None
    _movers: list[_Mover] = field(default_factory=list)
    #: Movers judged clearly fast that were lost, newest last (kept ``FAST_TRACE_KEEP_S``).
    _fast_lost: list[FastTrace] = field(default_factory=list)
    #: The last confirmed mover that was lost, while it may still lead to the vehicle
    #: (``VEHICLE_TRACE_S``).
    _vehicle_lost: FastTrace | None = None
    #: Device time of the previous frame (s): the analysis' frame step.
    _t_prev: float | None = None
    _step_prev: float | None = None

    @property
    def zone(self) -> str:
        return self.cfg.id

    def _vehicle_like(self, b: Blob, min_px: int) -> bool:
        # a vehicle is a solid blob at least about as wide as tall; a person is ~1:2.5 and a
        # group of people is ragged (low fill of its box)
        fill = b.area / max(1, b.width * b.height)
        return b.area >= min_px and b.width >= self.cfg.min_aspect * b.height and fill >= 0.45

    def _image_candidates(self, ctx: FrameContext) -> list[Blob]:
        min_px = px(self.cfg.min_area, ctx.size)
        blobs, labels = find_blobs(ctx.fg.astype(bool) & self.mask, min_px)
        moving = ctx.moving.astype(bool)
        return [
            b
            for b in blobs
            if self._vehicle_like(b, min_px)
            and float(
                moving[b.y0 : b.y1, b.x0 : b.x1][labels[b.y0 : b.y1, b.x0 : b.x1] == b.label].mean()
            )
            >= 0.15
        ]

    def _ground_candidates(self, ctx: FrameContext, ground: Ground) -> list[Blob]:
        """Solid, mostly moving blobs at least ``min_width_m`` wide, then followed.

        Plain Python over the label statistics (a few dozen rows: cheaper than numpy calls)
        and one ``bincount`` for the moving share, so a busy scene costs little more than an
        empty one.
        """
        still = ctx.bg.stationary_s < STILL_S
        m = (ctx.fg.view(bool) & self.mask & still).view(np.uint8)
        if cv2.countNonZero(m) < 8:
            return self._follow(ctx.t_s, [])
        n, labels, stats = components(m)
        size_x, size_y = ground.size
        # (label, box, area, depth z (m), width (m)) of the solid components wide enough
        cand: list[tuple[int, int, int, int, int, int, float, float]] = []
        boxes = stats.tolist()
        for i, (x, y, w, h, area) in enumerate(boxes):
            row = (y + h - 0.5) / size_y - ground.horizon_y
            if i == 0 or area < 8 or row <= 1e-3 or area < 0.4 * w * h:
                continue
            z = ground.focal_y * ground.height_m / row
            width_m = w / size_x * z / ground.focal_x
            if width_m < self.cfg.min_width_m:
                continue
            foot = _foot_below(boxes, i, ground)
            z_foot = ground.depth_m(foot - 0.5) if foot > y + h else None
            if z_foot is not None:  # nearer: as wide in pixels is narrower in metres
                h, z, width_m = foot - y, z_foot, ground.width_m(w, z_foot)
                if width_m < self.cfg.min_width_m:
                    continue
            cand.append((i, x, y, w, h, area, z, width_m))
        if not cand:
            return self._follow(ctx.t_s, [])
        # ctx.moving is 0/1 (analyzer._clean): the count of its set pixels per label
        moving = np.bincount(labels[ctx.moving.view(bool)], minlength=n).tolist()
        wide: list[_Sighting] = []
        behind: list[_Sighting] = []
        for i, x, y, w, h, area, z, width_m in cand:
            # mostly short-term foreground too: not something stopped with a person by it
            if moving[i] < MOVING_FRACTION * area:
                continue
            b = Blob(x, y, x + w, y + h, area, i)
            x_m = (b.centre[0] / size_x - 0.5) * z / ground.focal_x
            wide.append((b, (x_m, z, width_m)))
            # a walker just in front of a vehicle merges with its blob and pins its lowest row
            # to his own feet: the median of its columns' lowest pixels is a second sighting
            # when the columns ending there are as wide as a van. It may start a mover too: a
            # van driving in behind a walker is seen only so (vehicle_entry 15008). (A track
            # that then hops from the back one of two bodies to the front one is neither
            # clearly fast nor brisk on that step, ``_hopped``.)
            behind.extend(self._sighting_behind(labels, b, z, ground))
        return self._follow(ctx.t_s, wide, behind)

    def _sighting_behind(
        self, labels: np.ndarray, b: Blob, z: float, ground: Ground
    ) -> list[_Sighting]:
        """``b`` seen where the median of its columns' lowest pixels meets the ground, if
        that lies ``SPLIT_FOOT_M`` or more beyond its lowest row (``z``, m) and the columns
        ending there are at least ``BEHIND_MIN_WIDTH_M`` wide; else nothing.

        Most blobs are answered without sorting their columns' feet (same answers, a fifth
        of the cost): the median lies on the box's top row or below it, so no farther than
        that row's depth, over no more columns than the box's width; a blob neither far
        enough nor wide enough even so (a walker: the ground at his head's row lies a few
        metres on, his width there still under a van's) is nothing. And where more than half
        of the columns end on the box's bottom row, the median is that row.
        """
        far = ground.depth_m(b.y0 + 0.5)
        if far is not None and (
            far - z < SPLIT_FOOT_M or ground.width_m(b.width, far) < BEHIND_MIN_WIDTH_M
        ):
            return []
        bottom = labels[b.y1 - 1, b.x0 : b.x1] == b.label
        feet: list[int] | None = None
        if 2 * int(np.count_nonzero(bottom)) > b.width:
            row_med: float = b.y1 - 1
        else:
            feet = _column_feet(labels, b)
            mid = len(feet) // 2
            row_med = feet[mid] if len(feet) % 2 else 0.5 * (feet[mid - 1] + feet[mid])
        foot = ground.foot(b.centre[0], row_med + 0.5)
        if foot is None or foot[1] - z < SPLIT_FOOT_M:
            return []
        x_m, z_med = foot
        # the columns ending no lower than a row below the median: all where it is the bottom
        ending = b.width if feet is None else sum(1 for f in feet if f <= row_med + 1)
        width_m = ground.width_m(ending, z_med)
        if width_m < BEHIND_MIN_WIDTH_M:
            return []
        return [(b, (x_m, z_med, width_m))]

    def _follow(
        self, t_s: float, wide: list[_Sighting], behind: list[_Sighting] | None = None
    ) -> list[Blob]:
        """Match wide blobs to followed movers; return those fast for ``confirm_s``.

        A mover must be seen and fast on every analysed frame of its ``confirm_s`` (one frame
        missed, an occlusion, is forgiven; ``SHORT_GAP_FRAMES`` when it is seen again where
        its velocity puts it): a group of walkers makes a wide blob only now and then, and a
        track stitched from such sightings is not one body.
        """
        step = t_s - self._t_prev if self._t_prev is not None and t_s > self._t_prev else 0.0
        self._t_prev = t_s
        # the stream's frame step: a single long step is a pause (the zone was not judged
        # while the camera was tampered with), not a sparse stream
        step, self._step_prev = min(step, self._step_prev or step), step
        # unseen for longer than this (s) and a mover is lost; a sparse stream (a simulation
        # at speed 10 delivers a frame every 2 s) keeps it for one frame step
        keep_s = max(1.0, 1.5 * step)
        live: list[_Mover] = []
        unused = wide + (behind or [])
        win = self.cfg.speed_window_s
        # a mover unseen for longer than keep_s is lost, even if the zone was not judged
        # meanwhile (tampering): its gate would have grown to take anything
        self._fast_lost = [f for f in self._fast_lost if t_s - f.t_s <= FAST_TRACE_KEEP_S]
        # movers judged clearly fast choose first: when a van and the walker in front of it
        # are followed at both its sightings, the van's mover may have to take the walker's
        # when the walker's is all there is of the van (vehicle_entry 15008)
        for m in sorted(self._movers, key=lambda m: not m.clearly_fast):
            t0, x0, z0, _ = m.path[-1]
            if t_s - t0 > keep_s:
                v = m.bridge_velocity()
                if v is not None and t_s - t0 <= FAST_TRACE_KEEP_S:
                    self._fast_lost.append(FastTrace(t0, x0, z0, *v))
                if m.confirmed and m.velocity is not None:
                    self._vehicle_lost = FastTrace(t0, x0, z0, *m.velocity)
                continue
            dt = t_s - t0
            gap = dt > 2.5 * step  # more than one frame missed
            v = m.bridge_velocity() if gap else None
            keep_hold = False
            # at most SHORT_GAP_FRAMES missed (seen again on the frame after them, half a frame
            # forgiven): a mover judged moving keeps its hold, where its velocity puts it
            short_gap = gap and dt <= SHORT_GAP_STEPS * step
            if short_gap:
                v = v or m.short_gap_velocity()
                keep_hold = v is not None
            if v is not None:
                # look where its velocity puts it, not anywhere its last position could reach
                x0, z0 = x0 + v[0] * dt, z0 + v[1] * dt
                gate = BRIDGE_GATE_M
            else:
                gate = _gate_m(dt)
            best = min(unused, key=lambda c: abs(c[1][0] - x0) + abs(c[1][1] - z0), default=None)
            if best is not None and abs(best[1][0] - x0) + abs(best[1][1] - z0) <= gate:
                unused.remove(best)
                if v is None:
                    # a new run: before the gap it may have been another body. After at most
                    # SHORT_GAP_FRAMES missed its samples stay for the stop test, which
                    # judges an arrival's steps itself (SHORT_GAP_STEPS)
                    if short_gap:
                        m.judged_from = t_s
                    elif gap:
                        m.path = []
                elif not keep_hold:
                    m.fast_since = None  # its hold starts again where it is seen again
                m.path.append((t_s, *best[1]))
                m.blob = best[0]
                if t_s - m.path[0][0] > 2.0 * win + 4.0:
                    m.path = [p for p in m.path if t_s - p[0] <= 2.0 * win + 4.0]
                live.append(m)
            else:
                live.append(m)  # unseen for a moment (occlusion)
                # unseen on this frame too: at most SHORT_GAP_FRAMES missed so far
                bridged = (m.bridge_velocity() is not None and dt <= BRIDGE_S) or (
                    m.short_gap_velocity() is not None and dt <= (SHORT_GAP_FRAMES + 0.5) * step
                )
                if dt > 1.5 * step and not bridged:
                    self._restart(m)  # more than one frame missed: start again
        live.extend(_Mover([(t_s, *c[1])], c[0]) for c in unused)
        self._movers = live
        out = []
        for m in live:
            if m.path[-1][0] != t_s:
                continue
            judged = self._hold_needed(m, t_s, step)
            if judged is None:
                self._restart(m)
            else:
                needed, m.clearly_fast, brisk = judged
                m.note_moving(t_s)
                if brisk:
                    m.note_brisk(t_s)
                if m.fast_since is None:
                    m.fast_since = t_s
                if t_s - m.fast_since >= needed:
                    m.confirmed = True
                if m.velocity is not None and m.clearly_fast:
                    _, x_m, z_m, _ = m.path[-1]
                    m.last_fast = FastTrace(t_s, x_m, z_m, *m.velocity)
                    m.last_confirmed = m.last_fast if m.confirmed else m.last_confirmed
            if not m.confirmed and (
                self._stopped_after_arrival(m, t_s, step) or self._stopped_after_walk(m, t_s, step)
            ):
                m.confirmed = True  # a vehicle now; the zone keeps it present where it stands
            if m.confirmed:
                out.append(m.blob)
        return out

    def _restart(self, m: _Mover) -> None:
        """Forget ``m``'s judgement. If it was last judged clearly fast it leaves its line
        there, as a clearly fast mover that is lost does: a confirmed vehicle's (the zone
        looks for it ahead on that line, ``VEHICLE_TRACE_S``), else a clearly fast mover's (a
        stop ahead on it is a vehicle, ``FAST_TRACE_S``). A track that takes a walker's blob
        keeps following it while the vehicle drives on: a tricycle confirmed clearly fast
        that merged with a walker in front, whose foot then stood still (market_morning
        18003 at 12190 s), and one judged clearly fast whose blob's width came and went as it
        merged with one (18003 at 10859 s), were followed, not lost, until their judgement
        restarted; both stopped 7-8 m on. Not the line of a mover confirmed at walking pace
        or brisk: walkers go on along theirs (two false episodes in market_morning 15004)."""
        if m.confirmed and m.last_confirmed is not None:
            self._vehicle_lost = m.last_confirmed
        elif m.last_fast is not None:
            self._fast_lost.append(m.last_fast)
        m.last_fast = m.last_confirmed = None
        m.restart()

    def _stopped_after_arrival(self, m: _Mover, t_s: float, step: float) -> bool:
        """Did ``m`` stop, still and rigid for ``STOP_S``, right after arriving clearly fast
        (its own track, or a lost clearly fast mover's line leading there)?"""
        if not still_since(m.path, t_s, STOP_S - 0.5 * step, STOP_TOL_M):
            return False  # the cheap test first: most movers are moving
        assert self.ground is not None
        run = recent_run(
            m.path, t_s, STOP_S + STOP_LATE_S + ARRIVE_S + 0.5, step, SHORT_GAP_STEPS * step
        )
        k = stop_start(run, t_s, STOP_S, STOP_LATE_S, step, STOP_TOL_M)
        if k < 0:
            return self._first_seen_stopped(m, run, t_s, step)
        _, x_m, z_m, _ = run[-1]
        if not self._rigid([p[3] for p in run[k:]], z_m):
            return False
        t_stop = run[k][0]
        if self._arrived(
            [p for p in run[: k + 1] if p[0] >= t_stop - ARRIVE_S - 1e-6], CLEARLY_FAST_M_S
        ):
            return True
        return self._brisk_up_to(m, x_m, z_m, t_stop) or self._on_a_lost_fast_line(x_m, z_m, t_stop)

    def _stopped_after_walk(self, m: _Mover, t_s: float, step: float) -> bool:
        """Did ``m``, judged moving up to its stop and arriving at ``WALK_ARRIVE_M_S`` or
        faster, stand still and rigid for ``STOP_AFTER_WALK_S``?"""
        r = m.moving_run
        if r is None or not still_since(m.path, t_s, STOP_AFTER_WALK_S - 0.5 * step, STOP_TOL_M):
            return False
        run = recent_run(
            m.path,
            t_s,
            STOP_AFTER_WALK_S + STOP_LATE_S + ARRIVE_S + 0.5,
            step,
            SHORT_GAP_STEPS * step,
        )
        k = stop_start(run, t_s, STOP_AFTER_WALK_S, STOP_LATE_S, step, STOP_TOL_M)
        if k < 0:
            return False
        z_m = run[-1][2]
        t_stop = run[k][0]
        if not (
            r.first_s <= t_stop - MOVED_MIN_S + 1e-6
            and r.last_s >= t_stop - 1e-6
            and self._rigid([p[3] for p in run[k:]], z_m)
        ):
            return False
        arrival = [p for p in run[: k + 1] if p[0] >= t_stop - ARRIVE_S - 1e-6]
        return self._arrived(arrival, WALK_ARRIVE_M_S)

    @staticmethod
    def _brisk_up_to(m: _Mover, x_m: float, z_m: float, t_stop: float) -> bool:
        """Was ``m`` judged brisk for ``ARRIVE_MIN_S`` or more up to where it stopped at
        (``x_m``, ``z_m``) from ``t_stop``: a stretch ending at most ``BRIDGE_S`` before it,
        within ``BRIDGE_GATE_M`` (|dX| + |dz|) of the stop?"""
        r = m.brisk_run
        return (
            r is not None
            and r.last_s - r.first_s >= ARRIVE_MIN_S - 1e-6
            and t_stop - r.last_s <= BRIDGE_S + 1e-6
            and abs(r.x_m - x_m) + abs(r.z_m - z_m) <= BRIDGE_GATE_M
        )

    def _on_a_lost_fast_line(self, x_m: float, z_m: float, t_stop: float) -> bool:
        """Could a lost clearly fast mover (``_fast_lost``) have driven on to (``x_m``,
        ``z_m``) by ``t_stop``, where a body stopped?"""
        return any(ahead_on_line(f, x_m, z_m, t_stop, FAST_TRACE_LATERAL) for f in self._fast_lost)

    def _first_seen_stopped(self, m: _Mover, run: list[Sample], t_s: float, step: float) -> bool:
        """Was the body of ``run`` (``m``'s :func:`recent_run`) first seen (or seen again after
        a gap) standing still and rigid where a lost clearly fast mover's line led, or where
        ``m`` itself was judged brisk up to a moment before, and has it stood there ``STOP_S``
        (up to ``STOP_LATE_S`` more)? A van judged clearly fast was lost as it stopped 2 m
        on, and its blob came back 1.2 s later standing there as a new mover with no arrival
        of its own (market_morning 18004 at 11345 s); a tricycle judged brisk for 1.2 s went
        unseen for three frames as it stopped, and its track began again there
        (market_morning 22001 at 7731 s). A body that has stood in view longer is no new
        arrival (the window's oldest sample is too old)."""
        if not self._fast_lost and m.brisk_run is None:
            return False
        _, x_m, z_m, _ = run[-1]
        if len(run) < 3 or not STOP_S - 0.5 * step <= t_s - run[0][0] <= STOP_S + STOP_LATE_S:
            return False
        if any(abs(p[1] - x_m) + abs(p[2] - z_m) > STOP_TOL_M for p in run):
            return False
        if not self._rigid([p[3] for p in run], z_m):
            return False
        t_stop = run[0][0]
        return self._brisk_up_to(m, x_m, z_m, t_stop) or self._on_a_lost_fast_line(x_m, z_m, t_stop)

    def _arrived(self, arrival: list[Sample], min_speed_m_s: float) -> bool:
        """Do the samples up to a stop show a straight, steady approach at ``min_speed_m_s``
        or faster, over
        ``ARRIVE_MIN_S`` or more, where rows span at most ``ARRIVE_MAX_ROW_M`` (at their mean
        depth)?"""
        return (
            len(arrival) >= 4
            and arrival[-1][0] - arrival[0][0] >= ARRIVE_MIN_S - 1e-6
            and self._row_m(sum(p[2] for p in arrival) / len(arrival)) <= ARRIVE_MAX_ROW_M
            and math.hypot(*velocity(arrival)) >= min_speed_m_s
            and straight(arrival)
            and steady(arrival)
        )

    def _rigid(self, widths_m: list[float], z_far_m: float) -> bool:
        """One rigid body keeps its width (within 1.4x); blobs of people merging and parting
        do not. Widths are whole pixels: one pixel at the farthest sample (``z_far_m``; 0.2 m
        at 20 m, where a tricycle's blob is 5-7 pixels wide) is forgiven, and of
        ``RIGID_OUTLIER_FROM`` widths or more the widest (a passer-by merged for a frame)."""
        assert self.ground is not None
        pixel_m = z_far_m / (self.ground.focal_x * self.ground.size[0])
        ws = sorted(widths_m)
        widest = ws[-2] if len(ws) >= RIGID_OUTLIER_FROM else ws[-1]
        return widest - pixel_m <= 1.4 * ws[0]

    def _hopped(self, pts: list[Sample]) -> bool:
        """Did the foot point make more than ``HOP_SHARE`` of its net way in one step, and
        that step more than ``HOP_ROWS`` image rows? (Pieces of one body joining its blob,
        a stall's legs under its canopy, move the foot by metres at once.) Fewer than
        ``HOP_MIN_SAMPLES`` samples never hopped."""
        if len(pts) < HOP_MIN_SAMPLES:
            return False
        net = math.hypot(pts[-1][1] - pts[0][1], pts[-1][2] - pts[0][2])
        for a, b in itertools.pairwise(pts):
            d = math.hypot(b[1] - a[1], b[2] - a[2])
            if d > HOP_SHARE * net and d > HOP_ROWS * self._row_m(0.5 * (a[2] + b[2])):
                return True
        return False

    def _row_m(self, z_m: float) -> float:
        """Depth (m) one image row spans on the ground at depth ``z_m``."""
        assert self.ground is not None
        return z_m * z_m / (self.ground.focal_y * self.ground.height_m * self.ground.size[1])

    def _hold_needed(self, m: _Mover, t_s: float, step: float) -> _Hold | None:
        """Seconds the mover must keep moving like this to be a vehicle, whether it is
        clearly fast and whether it is brisk, or None when its motion over the last
        ``speed_window_s`` is not steady motion faster than walking.

        ``confirm_s`` by default; less for a clearly fast mover (``CLEARLY_FAST_CONFIRM_S``)
        and for a rigid body wider than people side by side or faster than ``BRISK_M_S``
        (``WIDE_BODY_CONFIRM_S``).

        Least-squares velocity of the foot point; the motion must be straight (net distance
        at least 0.6 of the path walked: a track hopping between blobs of a crowd zig-zags)
        and measured where one image row spans at most ``MAX_ROW_M`` of depth.
        """
        assert self.ground is not None
        # the newest sample (never smoothed): too far to judge?
        if self._row_m(m.path[-1][2]) > MAX_ROW_M:
            return None
        # sparse frames (``step`` s apart, a simulation at speed 10 delivers one every 2 s):
        # widen the window to hold three samples
        win = max(self.cfg.speed_window_s, 2.0 * step + 0.1)
        # a gap in the path is one bridged (``_follow`` starts a new run after any other)
        path = m.path
        if path[0][0] < m.judged_from:
            path = [p for p in path if p[0] >= m.judged_from]
        pts = recent_run(path, t_s, win, step, BRIDGE_S + 0.5 * step)
        n = len(pts)
        span = pts[-1][0] - pts[0][0]
        if n < 3 or span < min(CLEARLY_FAST_SPAN_S, 0.75 * self.cfg.speed_window_s):
            return None
        vx, vz = velocity(pts)
        speed = math.hypot(vx, vz)
        m.velocity = (vx, vz)
        if speed < self.cfg.min_speed_m_s:
            return None
        widths = [p[3] for p in pts]
        w_min = min(widths)
        rigid = self._rigid(widths, max(p[2] for p in pts))
        # a foot point that hopped moved faster than its body: its speed shortens no hold
        hopped = self._hopped(pts)
        clearly_fast = (
            speed >= CLEARLY_FAST_M_S
            or (rigid and m.clearly_fast and speed >= CLEARLY_FAST_HOLD_M_S)
        ) and not hopped
        if span < 0.75 * self.cfg.speed_window_s and not clearly_fast:
            return None  # a short track is judged only when clearly fast
        if not straight(pts):
            return None
        if clearly_fast:
            # nobody walks this fast; a turning vehicle's width changes
            return _Hold(min(CLEARLY_FAST_CONFIRM_S, self.cfg.confirm_s), True, True)
        if not rigid:
            return None
        brisk = speed >= BRISK_M_S and not hopped
        if w_min >= WIDE_BODY_M or brisk:
            return _Hold(min(WIDE_BODY_CONFIRM_S, self.cfg.confirm_s), False, brisk)
        return _Hold(self.cfg.confirm_s, False, False)

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        if self.ground is not None:
            found = self._ground_candidates(ctx, self.ground)
            confirm_s = 0.0  # the movers already held for confirm_s
        else:
            found = self._image_candidates(ctx)
            confirm_s = self.cfg.confirm_s
        seen = bool(found)
        if not found and self._confirmed and self._anchor is not None:
            # a confirmed vehicle may stop: present while foreground still covers where it
            # was last seen moving (the anchor does not follow what merely overlaps it, or it
            # would wander off along passers-by)
            b0 = self._anchor
            present, _ = find_blobs(ctx.fg.view(bool) & self.mask, 4)
            found = [
                b
                for b in present
                if b.x0 < b0.x1
                and b0.x0 < b.x1
                and b.y0 < b0.y1
                and b0.y0 < b.y1
                and b.area >= PRESENT_AREA_SHARE * b0.area
            ]
            if not found:
                found = self._ahead_of_lost_vehicle(present, b0, ctx.t_s)
                if found:
                    self._anchor = max(found, key=lambda b: b.area)
        if found:
            blob = max(found, key=lambda b: b.area)
            lost = self._last is not None and ctx.t_s - self._last > self.gap_s
            if self._since is None or lost:
                self._since, self._confirmed = ctx.t_s, False
            self._last, self._blob = ctx.t_s, blob
            if seen:
                self._anchor = blob
            if ctx.t_s - self._since >= confirm_s:
                self._confirmed = True
        elif self._last is None or ctx.t_s - self._last > self.gap_s:
            self._since, self._confirmed, self._blob, self._anchor = None, False, None, None
            self._vehicle_lost = None
        active = self._confirmed and self._last == ctx.t_s
        blob_now = self._blob
        return ZoneJudgement(
            self.zone,
            self.kind,
            active,
            box=blob_now.norm_box(ctx.size) if blob_now else None,
            measured={"area": (blob_now.area if blob_now else 0) / (ctx.size[0] * ctx.size[1])},
            first_seen_s=self._since,
        )

    def _ahead_of_lost_vehicle(self, blobs: list[Blob], anchor: Blob, t_s: float) -> list[Blob]:
        """Of ``blobs`` (foreground in the zone), those as large as the vehicle was seen
        (``anchor``) whose foot lies ahead on the line of the confirmed mover lost last, while
        it is kept (``VEHICLE_TRACE_S``)."""
        trace = self._vehicle_lost
        if trace is None or self.ground is None or t_s - trace.t_s > VEHICLE_TRACE_S:
            return []
        out = []
        for b in blobs:
            if b.area < PRESENT_AREA_SHARE * anchor.area:
                continue
            foot = self.ground.foot(b.centre[0], b.y1 - 0.5)
            if foot is not None and ahead_on_line(trace, *foot, t_s, FAST_TRACE_LATERAL):
                out.append(b)
        return out


def _gate_m(dt_s: float) -> float:
    """How far (m, |dX| + |dz|) a sighting may lie from a mover last seen ``dt_s`` ago."""
    return 1.5 + MAX_DRIVE_M_S * dt_s


def _foot_below(boxes: list[list[int]], i: int, ground: Ground) -> int:
    """One past the lowest row of component ``i`` (``boxes``: x, y, w, h, area per label) and
    of the low pieces right under it (see ``BODY_GAP_ROWS``)."""
    x, y, w, h, _ = boxes[i]
    bottom = y + h
    foot = bottom
    for j, (xj, yj, wj, hj, _) in enumerate(boxes):
        if (
            j != i
            and j != 0
            and 0 <= yj - bottom <= BODY_GAP_ROWS
            and xj >= x
            and xj + wj <= x + w
            and hj < LOW_PIECE_SHARE * ground.person_height_px(yj + hj - 0.5)
        ):
            foot = max(foot, yj + hj)
    return foot


def _column_feet(labels: np.ndarray, b: Blob) -> list[int]:
    """Row (px) of the lowest pixel of label ``b.label`` in each of ``b``'s columns, sorted.

    An 8-connected component holds a pixel in every column of its box. Plain Python after one
    argmax: a few dozen values cost less than numpy's median.
    """
    sub = labels[b.y0 : b.y1, b.x0 : b.x1] == b.label
    # per column, the last row set: argmax of the flipped column finds the first from below
    # (on the boolean mask itself: numpy's boolean argmax stops at the first True, a uint8
    # view is searched for its maximum; 4.2 against 6.5 us on a 40x30 box)
    return sorted(((b.y1 - 1) - np.argmax(sub[::-1], axis=0)).tolist())
