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
    straight,
    velocity,
)
from models.vision.zones.vehicle_mover import (
    BRIDGE_GATE_M,
    BRIDGE_S,
    CLEARLY_FAST_M_S,
    MAX_ROW_M,
    SHORT_GAP_FRAMES,
    SHORT_GAP_STEPS,
    WIDE_BODY_M,
    Mover,
    rigid,
)
from models.vision.zones.vehicle_stop import (
    FAST_TRACE_KEEP_S,
    FAST_TRACE_LATERAL,
    TRAIL_KEEP_S,
    stopped,
)
from whistle.config.camera import VehicleFreeZone

#: A driving vehicle's blob is mostly short-term foreground too (it moves as one body).
MOVING_FRACTION = 0.3
#: A mover judged clearly fast stays so while faster than this (m/s, faster than anyone
#: walks) if it kept its width over its last CLEARLY_FAST_SPAN_S: measured over a second or
#: two the speed of a tricycle at 2.2 m/s dips by a tenth. (A blob that merged with another
#: for a frame jumps metres and its speed then decays over the window, but its width does
#: not stay.) Not its width over the whole window: a tricycle 2.0-2.2 m wide while it turned
#: into the street, its side in view, and 1.4 m since lost its judgement 0.2 s before its
#: hold was over (vehicle_entry 26005 at 224.2 s).
CLEARLY_FAST_HOLD_M_S = 1.8
#: Seconds of track that suffice to judge a clearly fast mover (otherwise 0.75 of
#: ``speed_window_s``): a van driving in at 3-4 m/s can stop within 3 s of being seen, and at
#: that speed a second covers several image rows even at the far end.
CLEARLY_FAST_SPAN_S = 1.0
#: Seconds a clearly fast mover must hold before it is a vehicle (otherwise ``confirm_s``).
CLEARLY_FAST_CONFIRM_S = 1.0
#: Ground speed (m/s) nothing in the street exceeds.
MAX_DRIVE_M_S = 6.0
#: A rigid body at least ``WIDE_BODY_M`` wide is a vehicle after WIDE_BODY_CONFIRM_S at
#: walking pace.
WIDE_BODY_CONFIRM_S = 1.5
#: A rigid body narrower than that is a vehicle after WIDE_BODY_CONFIRM_S too when it moves at
#: least this fast (m/s; the simulator's walkers keep to 0.9-1.5 m/s, its tricycles 1.8-2.8):
#: a tricycle whose foot point a walker in front pinned for a second or two is measured
#: slower than it drives and may stop before ``confirm_s`` (vehicle_entry 9703, 9803).
BRISK_M_S = 1.8
#: Foreground stationary this long (s) is not part of a moving vehicle's body: a ghost or a
#: standing person it passes would otherwise merge with it and pin its foot point.
STILL_S = 3.0
#: A vehicle is a solid blob: its pixels fill at least SOLID_SHARE of its box (a group of
#: people is ragged) or, where the box is taller, of its rows up to SOLID_BAND_M above its
#: lowest (at that depth): what stands farther behind it is seen above it and merges with
#: its blob. A tricycle stopped 9.6 m off, its blob 0.53 solid over its lowest metre and
#: 0.54 over its own box, was 0.35 solid with a walker's who stopped 7 m behind it, and was
#: no candidate from 2 s after it stopped (vehicle_entry 31004 at 218.2 s).
SOLID_SHARE = 0.4
SOLID_BAND_M = 1.4
#: A wide blob whose lowest row lies this much nearer (m of ground) than the median of its
#: columns' lowest pixels may be two bodies, one in front of the other: it is offered to the
#: movers at both depths.
SPLIT_FOOT_M = 1.5
#: ... if the columns ending at that depth are at least this wide (m): more than people in
#: step one behind another show there (dawn_quiet 9601: a track followed the back one of two,
#: hopped to the front one and was "fast"), less than a van (1.9 m) behind a walker.
BEHIND_MIN_WIDTH_M = 1.3

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
#: ... and for at most this long (s) after it was last seen as a vehicle: foreground where
#: it stopped is all that is left of it then, and a stall set up there is foreground all
#: morning. A walker merged with a stall being set up behind him was confirmed moving away
#: at 2.9 m/s, and the stall, standing where it was last seen, held that episode open from
#: 04:32 to the end of the scenario, 43 min (dawn_quiet 24002); a false episode opened at
#: 04:32 in market_morning 27002 stayed open 100 min, through a real vehicle's arrival. The
#: simulator's vehicles stand 20-80 s; a vehicle parked longer outside the shelving line is
#: the no_stall zone's encroachment, and when it drives off it is a vehicle moving in the
#: street again.
PRESENT_MAX_S = 180.0

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

#: A wide blob seen on the ground: (blob, (X_m, z_m, width_m)).
_Sighting = tuple[Blob, tuple[float, float, float]]


class _Hold(NamedTuple):
    """How a mover is judged on one frame (``VehicleDetector._hold_needed``)."""

    #: Seconds it must keep moving so to be a vehicle.
    needed_s: float
    clearly_fast: bool
    #: Clearly fast, or a rigid body faster than BRISK_M_S whose foot point did not hop.
    brisk: bool


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
    ``STOP_AFTER_WALK_S``; one that came a long way nearer before it stopped
    (``vehicle_stop.APPROACH_S``), once it has stood still ``STOP_S``. Once confirmed the
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
    #: Where and when (device s) the vehicle was last seen as a vehicle (not merely as
    #: foreground).
    _anchor: Blob | None = None
    _anchor_t: float = -math.inf
    _movers: list[Mover] = field(default_factory=list)
    #: Movers judged clearly fast that were lost, newest last (kept ``FAST_TRACE_KEEP_S``).
    _fast_lost: list[FastTrace] = field(default_factory=list)
    #: Every wide sighting (and the one behind) of the last ``TRAIL_KEEP_S``, oldest first.
    _seen: list[Sample] = field(default_factory=list)
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
            if i == 0 or area < 8 or row <= 1e-3:
                continue
            z = ground.focal_y * ground.height_m / row
            width_m = w / size_x * z / ground.focal_x
            if width_m < self.cfg.min_width_m:
                continue
            if area < SOLID_SHARE * w * h and not _solid_below(
                labels, (i, area), (x, y, w, h), z, ground
            ):
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
        live: list[Mover] = []
        unused = wide + (behind or [])
        # (a clock that went back, a restarted source, leaves none of them)
        self._seen = [p for p in self._seen if 0.0 <= t_s - p[0] <= TRAIL_KEEP_S]
        self._seen.extend((t_s, *c[1]) for c in unused)
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
        live.extend(Mover([(t_s, *c[1])], c[0]) for c in unused)
        self._movers = live
        out = []
        assert self.ground is not None  # movers are followed on the ground only
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
            if not m.confirmed and stopped(m, t_s, step, self.ground, self._fast_lost, self._seen):
                m.confirmed = True  # a vehicle now; the zone keeps it present where it stands
            if m.confirmed:
                out.append(m.blob)
        return out

    def _restart(self, m: Mover) -> None:
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

    def _hopped(self, pts: list[Sample]) -> bool:
        """Did the foot point make more than ``HOP_SHARE`` of its net way in one step, and
        that step more than ``HOP_ROWS`` image rows? (Pieces of one body joining its blob,
        a stall's legs under its canopy, move the foot by metres at once.) Fewer than
        ``HOP_MIN_SAMPLES`` samples never hopped."""
        if len(pts) < HOP_MIN_SAMPLES:
            return False
        assert self.ground is not None
        net = math.hypot(pts[-1][1] - pts[0][1], pts[-1][2] - pts[0][2])
        for a, b in itertools.pairwise(pts):
            d = math.hypot(b[1] - a[1], b[2] - a[2])
            if d > HOP_SHARE * net and d > HOP_ROWS * self.ground.row_span_m(0.5 * (a[2] + b[2])):
                return True
        return False

    def _rigid_lately(self, pts: list[Sample], since_s: float) -> bool:
        """Did the body of ``pts`` keep its width from ``since_s`` on?"""
        assert self.ground is not None
        recent = [p for p in pts if p[0] >= since_s - 1e-6]
        return rigid(self.ground, [p[3] for p in recent], max(p[2] for p in recent))

    def _hold_needed(self, m: Mover, t_s: float, step: float) -> _Hold | None:
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
        if self.ground.row_span_m(m.path[-1][2]) > MAX_ROW_M:
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
        is_rigid = rigid(self.ground, widths, max(p[2] for p in pts))
        # a foot point that hopped moved faster than its body: its speed shortens no hold
        hopped = self._hopped(pts)
        clearly_fast = (
            speed >= CLEARLY_FAST_M_S
            or (
                m.clearly_fast
                and speed >= CLEARLY_FAST_HOLD_M_S
                and self._rigid_lately(pts, t_s - CLEARLY_FAST_SPAN_S)
            )
        ) and not hopped
        if span < 0.75 * self.cfg.speed_window_s and not clearly_fast:
            return None  # a short track is judged only when clearly fast
        if not straight(pts):
            return None
        if clearly_fast:
            # nobody walks this fast; a turning vehicle's width changes
            return _Hold(min(CLEARLY_FAST_CONFIRM_S, self.cfg.confirm_s), True, True)
        if not is_rigid:
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
        if (
            not found
            and self._confirmed
            and self._anchor is not None
            and ctx.t_s - self._anchor_t <= PRESENT_MAX_S
        ):
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
                self._anchor, self._anchor_t = blob, ctx.t_s
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


def _solid_below(
    labels: np.ndarray,
    component: tuple[int, int],
    box: tuple[int, int, int, int],
    z_m: float,
    ground: Ground,
) -> bool:
    """Does ``component`` (its label and area in pixels; ``box``: x, y, w, h; its lowest row
    ``z_m`` off) fill ``SOLID_SHARE`` of its rows up to ``SOLID_BAND_M`` above that row, if
    its box is taller? (Without counting where it has too few pixels for that anyway.)"""
    i, area = component
    x, y, w, h = box
    band = round(ground.focal_y * SOLID_BAND_M / z_m * ground.size[1])
    if band >= h or band < 1 or area < SOLID_SHARE * w * band:
        return False
    own = labels[y + h - band : y + h, x : x + w] == i
    return int(np.count_nonzero(own)) >= SOLID_SHARE * w * band


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
