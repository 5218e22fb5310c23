"""Per-zone detectors: one small class per zone kind, all fed the same :class:`FrameContext`.

Thresholds are the zone's config parameters; fixed constants below carry their reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Protocol

import cv2
import numpy as np

from models.vision.background import GRID
from models.vision.blobs import Blob, find_blobs, person_shaped, union_box
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.ground import Ground
from whistle.config.camera import (
    CameraZone,
    CleanlinessZone,
    NoStallZone,
    RestrictedZone,
    VehicleFreeZone,
    WalkwayZone,
)

#: Stationary evidence (s) from which a pixel belongs to a stopped object.
STATIONARY_FROM_S = 4.0
#: Vehicle speed is judged only where one image row spans at most this depth (m): further
#: away the foot point jumps by whole metres between frames.
MAX_ROW_M = 1.0
#: A driving vehicle's blob is mostly short-term foreground too (it moves as one body).
MOVING_FRACTION = 0.3
#: A stationary blob down to PERSIST_AREA_SHARE of ``min_area`` counts once it has stayed
#: PERSIST_S: a crate as grey as the paving shows only part of its box, and time (not
#: size) is what tells an object from noise.
PERSIST_AREA_SHARE = 0.5
PERSIST_S = 60.0
_K3 = np.ones((3, 3), np.uint8)
#: Seconds an object must have lain still to count as left-over rubbish.
LITTER_STILL_S = 30.0


class ZoneDetector(Protocol):
    @property
    def zone(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def update(self, ctx: FrameContext) -> ZoneJudgement: ...


def _px(frac: float, size: tuple[int, int]) -> int:
    return max(1, round(frac * size[0] * size[1]))


@dataclass
class StallDetector:
    """``no_stall``: a stationary object (Porikli evidence) in the zone longer than ``dwell``."""

    cfg: NoStallZone
    mask: np.ndarray
    #: Seconds the short-term model needs to absorb a stopped object (about 1.6 tau_short):
    #: evidence starts that late, so it is added back to the object's age.
    lag_s: float = 8.0
    kind: str = "no_stall"

    @property
    def zone(self) -> str:
        return self.cfg.id

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        st = ctx.bg.stationary_s
        cand = (st >= STATIONARY_FROM_S) & self.mask
        if not cand.any():
            return ZoneJudgement(self.zone, self.kind, False, measured={"age_s": 0.0})
        # goods show in patches (parts as bright and as coloured as the paving): close the
        # gaps between them before measuring the area
        cand = cv2.morphologyEx(cand.view(np.uint8), cv2.MORPH_CLOSE, _K3).astype(bool)
        cand &= self.mask
        min_px = _px(self.cfg.min_area, ctx.size)
        blobs, labels = find_blobs(cand, max(1, round(PERSIST_AREA_SHARE * min_px)))
        best: tuple[float, Blob] | None = None
        n_px = ctx.size[0] * ctx.size[1]
        for b in blobs:
            if self.cfg.ignore_people and person_shaped(b, n_px):
                continue
            age = float(np.percentile(st[labels == b.label], 75)) + self.lag_s
            # a blob smaller than min_area counts only once it has stayed PERSIST_S
            if b.area < min_px and age < PERSIST_S:
                continue
            if best is None or age > best[0]:
                best = (age, b)
        if best is None:
            return ZoneJudgement(self.zone, self.kind, False, measured={"age_s": 0.0})
        age, blob = best
        return ZoneJudgement(
            self.zone,
            self.kind,
            age >= self.cfg.dwell_s,
            box=blob.norm_box(ctx.size),
            measured={"age_s": round(age, 1), "area": blob.area / n_px},
            first_seen_s=ctx.t_s - age,
        )


@dataclass
class _Track:
    first_s: float
    last_s: float
    blob: Blob
    anchor: tuple[float, float]


@dataclass
class LingerDetector:
    """``restricted``: a person-sized blob staying in the zone longer than ``dwell``.

    Blobs of long-term foreground in the zone are followed by nearest centre; a track lives
    while a blob stays within ``reach`` of it, with gaps up to ``gap_s`` (occlusion, noise).
    Its stay restarts when it drifts more than a body size from where it began, so a stream
    of people walking through is not one lingering person.
    """

    cfg: RestrictedZone
    mask: np.ndarray
    gap_s: float = 2.0
    tracks: list[_Track] = field(default_factory=list)
    kind: str = "restricted"

    @property
    def zone(self) -> str:
        return self.cfg.id

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        fg = ctx.fg.astype(bool) & self.mask
        blobs, _ = find_blobs(fg, _px(self.cfg.min_area, ctx.size))
        live: list[_Track] = []
        unused = list(blobs)
        for tr in self.tracks:
            cx, cy = tr.blob.centre
            reach = max(3.0, 0.75 * max(tr.blob.width, tr.blob.height))
            match = min(
                unused,
                key=lambda b: abs(b.centre[0] - cx) + abs(b.centre[1] - cy),
                default=None,
            )
            if match and abs(match.centre[0] - cx) + abs(match.centre[1] - cy) <= reach:
                unused.remove(match)
                ax, ay = tr.anchor
                mx, my = match.centre
                if abs(mx - ax) + abs(my - ay) > max(3.0, 0.8 * max(match.width, match.height)):
                    live.append(_Track(ctx.t_s, ctx.t_s, match, match.centre))
                else:
                    live.append(_Track(tr.first_s, ctx.t_s, match, tr.anchor))
            elif ctx.t_s - tr.last_s <= self.gap_s:
                live.append(tr)
        live.extend(_Track(ctx.t_s, ctx.t_s, b, b.centre) for b in unused)
        self.tracks = live
        oldest = min(live, key=lambda tr: tr.first_s, default=None)
        if oldest is None:
            return ZoneJudgement(self.zone, self.kind, False, measured={"stay_s": 0.0})
        stay = ctx.t_s - oldest.first_s
        return ZoneJudgement(
            self.zone,
            self.kind,
            stay >= self.cfg.dwell_s,
            box=oldest.blob.norm_box(ctx.size),
            measured={"stay_s": round(stay, 1)},
            first_seen_s=oldest.first_s,
        )


@dataclass
class CrowdDetector:
    """``walkway``: perspective-weighted occupied fraction of the zone (crowd density).

    With the camera's ground calibration the zone is extended upwards by a standing person's
    height at each row (people whose feet are in the zone), since most of a far person's
    pixels lie above the ground polygon. The density is averaged exponentially over
    ``smooth_s`` (a standing crowd shuffles and hides itself). The tracker's ``open_after_s``
    carries the "for longer than" part (see edge.vision).
    """

    cfg: WalkwayZone
    mask: np.ndarray
    ground: Ground | None = None
    kind: str = "walkway"
    _density: float | None = None
    _t: float | None = None

    def __post_init__(self) -> None:
        if self.ground is not None:
            self.mask = _people_extent(self.mask, self.ground)
        h = self.mask.shape[0]
        ys = np.nonzero(self.mask.any(axis=1))[0]
        top, bottom = (int(ys[0]), int(ys[-1])) if len(ys) else (0, h - 1)
        rows = np.arange(h, dtype=np.float32)
        frac = np.clip((rows - top) / max(1, bottom - top), 0.0, 1.0)
        # a person at the top of the zone covers perspective^2 times fewer pixels (area ~ size^2)
        weight_row = self.cfg.perspective ** (2.0 * (1.0 - frac))
        self.weights = (weight_row[:, None] * self.mask).astype(np.float32)
        self.total = float(self.weights.sum()) or 1.0

    @property
    def zone(self) -> str:
        return self.cfg.id

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        occ = ctx.bg.fg_long & self.mask
        now = float((self.weights * occ).sum()) / self.total
        if self.ground is not None and now >= 0.5 * self.cfg.threshold:
            # only a busy zone can be mistaken for a crowd: the blob test runs only then
            occ = self._without_vehicles(occ, self.ground)
            now = float((self.weights * occ).sum()) / self.total
        if self._density is None or self._t is None:
            self._density = now
        else:
            a = min(1.0, max(0.0, ctx.t_s - self._t) / self.cfg.smooth_s)
            self._density += a * (now - self._density)
        self._t = ctx.t_s
        density = self._density
        box = None
        if now > 0:
            x, y, bw, bh = cv2.boundingRect(occ.view(np.uint8))
            w, h = ctx.size
            box = (x / w, y / h, (x + bw) / w, (y + bh) / h)
        return ZoneJudgement(
            self.zone,
            self.kind,
            density >= self.cfg.threshold,
            box=box,
            measured={"density": round(density, 3)},
        )

    @staticmethod
    def _without_vehicles(occ: np.ndarray, ground: Ground) -> np.ndarray:
        """Drop solid blobs wider than a car lane's half (a van waiting is not a crowd).

        A crowd at this distance is a ragged, speckled blob (fill of its box < 0.6); a
        vehicle body is solid and at least 1.4 m wide.
        """
        blobs, labels = find_blobs(occ, 6)
        for b in blobs:
            foot = ground.foot(b.centre[0], b.y1 - 0.5)
            if foot is None or b.area < 0.6 * b.width * b.height:
                continue
            if ground.width_m(b.width, foot[1]) >= 1.4:
                occ = occ & (labels != b.label)
        return occ


def _people_extent(mask: np.ndarray, ground: Ground) -> np.ndarray:
    """``mask`` grown upwards by a standing person's image height at each of its rows."""
    out = mask.copy()
    for y in np.nonzero(mask.any(axis=1))[0]:
        up = round(ground.person_height_px(float(y) + 0.5))
        out[max(0, y - up) : y] |= mask[y][None, :]
    return out


@dataclass
class _Mover:
    """A vehicle candidate followed on the ground: (t_s, X_m, z_m, width_m), newest last."""

    path: list[tuple[float, float, float, float]]
    blob: Blob
    fast_since: float | None = None


@dataclass
class VehicleDetector:
    """``vehicle_free``: a vehicle in the zone, confirmed for ``confirm_s``.

    With the camera's ground calibration a vehicle is a solid blob at least ``min_width_m``
    wide whose foot point moves over the ground faster than people walk (``min_speed_m_s``
    over ``speed_window_s``, for ``confirm_s``): this keeps people walking side by side,
    crowds and vendors carrying goods out. Without calibration it falls back to image size
    and shape (``min_area``, ``min_aspect``). Once confirmed the vehicle stays judged present
    while a long-term foreground blob overlaps where it was (it may stop).
    """

    cfg: VehicleFreeZone
    mask: np.ndarray
    ground: Ground | None = None
    gap_s: float = 1.5
    kind: str = "vehicle_free"
    _since: float | None = None
    _last: float | None = None
    _confirmed: bool = False
    _blob: Blob | None = None
    _movers: list[_Mover] = field(default_factory=list)

    @property
    def zone(self) -> str:
        return self.cfg.id

    def _vehicle_like(self, b: Blob, min_px: int) -> bool:
        # a vehicle is a solid blob at least about as wide as tall; a person is ~1:2.5 and a
        # group of people is ragged (low fill of its box)
        fill = b.area / max(1, b.width * b.height)
        return b.area >= min_px and b.width >= self.cfg.min_aspect * b.height and fill >= 0.45

    def _image_candidates(self, ctx: FrameContext) -> list[Blob]:
        min_px = _px(self.cfg.min_area, ctx.size)
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

        Vectorised over all components (label statistics and one ``bincount`` for the moving
        share) so a busy scene costs little more than an empty one.
        """
        m = (ctx.fg.astype(bool) & self.mask).view(np.uint8)
        if cv2.countNonZero(m) < 8:
            return self._follow(ctx.t_s, [])
        n, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
        x, y, w, h, area = (stats[1:, k].astype(np.float64) for k in range(5))
        row = (y + h - 0.5) / ground.size[1] - ground.horizon_y
        ok = (area >= 8) & (row > 1e-3) & (area >= 0.4 * w * h)
        z = ground.focal_y * ground.height_m / np.where(row > 1e-3, row, 1.0)
        width_m = w / ground.size[0] * z / ground.focal_x
        ok &= width_m >= self.cfg.min_width_m
        if not ok.any():
            return self._follow(ctx.t_s, [])
        # ctx.moving is 0/1 (analyzer._clean): the count of its set pixels per label
        moving = np.bincount(labels[ctx.moving != 0], minlength=n)[1:]
        # mostly short-term foreground too: not something stopped with a person by it
        ok &= moving >= MOVING_FRACTION * area
        wide: list[tuple[Blob, tuple[float, float, float]]] = []
        for i in np.nonzero(ok)[0].tolist():
            b = Blob(int(x[i]), int(y[i]), int(x[i] + w[i]), int(y[i] + h[i]), int(area[i]), i + 1)
            x_m = (b.centre[0] / ground.size[0] - 0.5) * float(z[i]) / ground.focal_x
            wide.append((b, (x_m, float(z[i]), float(width_m[i]))))
        return self._follow(ctx.t_s, wide)

    def _follow(
        self, t_s: float, wide: list[tuple[Blob, tuple[float, float, float]]]
    ) -> list[Blob]:
        """Match wide blobs to followed movers; return those fast for ``confirm_s``."""
        live: list[_Mover] = []
        unused = list(wide)
        win = self.cfg.speed_window_s
        for m in self._movers:
            t0, x0, z0, _ = m.path[-1]
            gate = 1.5 + 6.0 * (t_s - t0)  # metres: nothing here drives faster than 6 m/s
            best = min(unused, key=lambda c: abs(c[1][0] - x0) + abs(c[1][1] - z0), default=None)
            if best is not None and abs(best[1][0] - x0) + abs(best[1][1] - z0) <= gate:
                unused.remove(best)
                m.path.append((t_s, *best[1]))
                m.blob = best[0]
                m.path = [p for p in m.path if t_s - p[0] <= 2.0 * win + 4.0]
                live.append(m)
            elif t_s - t0 <= max(1.0, 1.5 * (t0 - m.path[-2][0]) if len(m.path) > 1 else 1.0):
                live.append(m)  # unseen for a moment (occlusion): keep for one frame step
        live.extend(_Mover([(t_s, *c[1])], c[0]) for c in unused)
        self._movers = live
        out = []
        for m in live:
            if m.path[-1][0] != t_s:
                continue
            if not self._fast(m, t_s):
                m.fast_since = None
                continue
            if m.fast_since is None:
                m.fast_since = t_s
            if t_s - m.fast_since >= self.cfg.confirm_s:
                out.append(m.blob)
        return out

    def _fast(self, m: _Mover, t_s: float) -> bool:
        """Steady ground motion faster than walking over the last ``speed_window_s``.

        Least-squares velocity of the foot point; the motion must be straight (net distance
        at least 0.6 of the path walked: a track hopping between blobs of a crowd zig-zags)
        and measured where one image row spans at most ``MAX_ROW_M`` of depth.
        """
        # sparse frames (a simulation at speed 10 delivers one every 2 s): widen the window
        # to hold three samples
        step = m.path[-1][0] - m.path[-2][0] if len(m.path) > 1 else 0.0
        win = max(self.cfg.speed_window_s, 2.0 * step + 0.1)
        pts = np.array([p for p in m.path if t_s - p[0] <= win], np.float64)
        if len(pts) < 3 or pts[-1, 0] - pts[0, 0] < 0.75 * self.cfg.speed_window_s:
            return False
        assert self.ground is not None
        z = float(pts[-1, 2])
        row_m = z * z / (self.ground.focal_y * self.ground.height_m * self.ground.size[1])
        if row_m > MAX_ROW_M:
            return False
        t = pts[:, 0] - pts[:, 0].mean()
        den = float((t * t).sum())
        vx = float((t * (pts[:, 1] - pts[:, 1].mean())).sum()) / den
        vz = float((t * (pts[:, 2] - pts[:, 2].mean())).sum()) / den
        if float(np.hypot(vx, vz)) < self.cfg.min_speed_m_s:
            return False
        steps = float(np.hypot(np.diff(pts[:, 1]), np.diff(pts[:, 2])).sum())
        net = float(np.hypot(pts[-1, 1] - pts[0, 1], pts[-1, 2] - pts[0, 2]))
        # one rigid body keeps its width; blobs of people merging and parting do not
        widths = pts[:, 3]
        return net >= 0.6 * steps and float(widths.max()) <= 1.4 * float(widths.min())

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        if self.ground is not None:
            found = self._ground_candidates(ctx, self.ground)
            confirm_s = 0.0  # the movers already held for confirm_s
        else:
            found = self._image_candidates(ctx)
            confirm_s = self.cfg.confirm_s
        if not found and self._confirmed and self._blob is not None:
            b0 = self._blob
            present, _ = find_blobs(ctx.fg.astype(bool) & self.mask, 4)
            found = [
                b
                for b in present
                if b.x0 < b0.x1
                and b0.x0 < b.x1
                and b.y0 < b0.y1
                and b0.y0 < b.y1
                and b.area >= 0.3 * b0.area
            ]
        if found:
            blob = max(found, key=lambda b: b.area)
            lost = self._last is not None and ctx.t_s - self._last > self.gap_s
            if self._since is None or lost:
                self._since, self._confirmed = ctx.t_s, False
            self._last, self._blob = ctx.t_s, blob
            if ctx.t_s - self._since >= confirm_s:
                self._confirmed = True
        elif self._last is None or ctx.t_s - self._last > self.gap_s:
            self._since, self._confirmed, self._blob = None, False, None
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


def _in_window(t: time, start: time, end: time) -> bool:
    return start <= t < end if start < end else (t >= start or t < end)


@dataclass
class LitterDetector:
    """``cleanliness``: after ``check_at``, rubbish = difference from the learned clean street.

    The clean reference is the long-term background taken while the local time is in the
    zone's ``learn`` window and the zone is empty; a camera that never saw that window takes it
    after ``fallback_after_s`` of running. The comparison normalises light with a gain field
    against the reference, like the background model.
    """

    cfg: CleanlinessZone
    mask: np.ndarray
    fallback_after_s: float = 60.0
    #: Rubbish does not run away: the comparison runs at most once per this many seconds.
    every_s: float = 1.0
    kind: str = "cleanliness"
    _ref: np.ndarray | None = None
    _last: ZoneJudgement | None = None
    _next_s: float = 0.0
    _t0: float | None = None
    _learned_in_window: bool = False

    @property
    def zone(self) -> str:
        return self.cfg.id

    def _gain(self, grey: np.ndarray, ref: np.ndarray, w: np.ndarray) -> np.ndarray:
        s_i = cv2.resize(grey * w, GRID, interpolation=cv2.INTER_AREA)
        s_b = cv2.resize(ref * w, GRID, interpolation=cv2.INTER_AREA)
        m_b = cv2.resize(ref, GRID, interpolation=cv2.INTER_AREA)
        g = float(s_i.sum() + 1.0) / float(s_b.sum() + 1.0)
        prior = 0.05 * m_b
        blocks = np.clip((s_i + g * prior) / (s_b + prior + 1e-3), 0.2, 5.0).astype(np.float32)
        h, wd = grey.shape
        return cv2.resize(blocks, (wd, h), interpolation=cv2.INTER_LINEAR)

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        if self._t0 is None:
            self._t0 = ctx.t_s
        bg = ctx.bg
        quiet = not (ctx.fg.astype(bool) & self.mask).any()
        in_learn = ctx.local is not None and _in_window(
            ctx.local, self.cfg.learn.start, self.cfg.learn.end
        )
        if bg.long is not None and quiet and in_learn:
            self._ref, self._learned_in_window = bg.long.copy(), True
        elif (
            self._ref is None
            and bg.long is not None
            and ctx.t_s - self._t0 >= self.fallback_after_s
        ):
            self._ref = bg.long.copy()
        due = ctx.local is not None and ctx.local >= self.cfg.check_at
        if self._ref is None or not due:
            return ZoneJudgement(self.zone, self.kind, False, measured={"litter": 0.0})
        if self._last is not None and ctx.t_s < self._next_s:
            return self._last
        self._next_s = ctx.t_s + self.every_s
        if not self._learned_in_window:
            self._last = self._left_behind(ctx)
            return self._last
        ref = self._ref
        moving = ctx.moving.astype(bool)
        w = (~moving & bg.valid).astype(np.float32)
        g_ref = self._gain(ctx.grey, ref, w) * ref
        thr = bg.s.abs_threshold + bg.s.rel_threshold * g_ref
        diff = np.abs(ctx.grey - g_ref)
        litter = (diff > thr) & self.mask & ~moving
        litter = cv2.morphologyEx(
            litter.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)
        ).astype(bool)
        n_zone = max(1, int(self.mask.sum()))
        frac = float(litter.sum()) / n_zone
        heat = np.clip(diff / (4.0 * thr), 0.0, 1.0) * self.mask
        box = union_box(find_blobs(litter, 2)[0])
        self._last = ZoneJudgement(
            self.zone,
            self.kind,
            frac > self.cfg.max_litter,
            box=box.norm_box(ctx.size) if box else None,
            measured={"litter": round(frac, 4)},
            heat=heat.astype(np.float32),
        )
        return self._last

    def _left_behind(self, ctx: FrameContext) -> ZoneJudgement:
        """Without a clean reference: things put down and left (Porikli stationary evidence).

        A camera that never saw the street clean (started after the learn window) judges
        what arrived and stayed at least ``LITTER_STILL_S``: the dual background keeps such
        objects as long-term foreground for an hour, while ghosts of stalls that left bring
        no new edges and are absorbed (see ``SceneAnalyzer._absorb_ghosts``).
        """
        bg = ctx.bg
        still = (bg.stationary_s >= LITTER_STILL_S) & self.mask & ~ctx.moving.astype(bool)
        still = cv2.morphologyEx(
            still.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)
        ).astype(bool)
        n_zone = max(1, int(self.mask.sum()))
        frac = float(still.sum()) / n_zone
        heat = np.clip(bg.stationary_s / (4.0 * LITTER_STILL_S), 0.0, 1.0) * self.mask
        box = union_box(find_blobs(still, 2)[0])
        return ZoneJudgement(
            self.zone,
            self.kind,
            frac > self.cfg.max_litter,
            box=box.norm_box(ctx.size) if box else None,
            measured={"litter": round(frac, 4)},
            heat=heat.astype(np.float32),
        )


def make_detector(zone: CameraZone, mask: np.ndarray, ground: Ground | None = None) -> ZoneDetector:
    if isinstance(zone, NoStallZone):
        return StallDetector(zone, mask)
    if isinstance(zone, RestrictedZone):
        return LingerDetector(zone, mask)
    if isinstance(zone, WalkwayZone):
        return CrowdDetector(zone, mask, ground)
    if isinstance(zone, VehicleFreeZone):
        return VehicleDetector(zone, mask, ground)
    return LitterDetector(zone, mask)
