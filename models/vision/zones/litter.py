"""``cleanliness``: rubbish left in the street after closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import cv2
import numpy as np

from models.vision.blobs import find_blobs, union_box
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.ground import Ground
from models.vision.zones.common import standing_person
from whistle.config.camera import CleanlinessZone

#: Seconds an object must have lain still to count as left-over rubbish; against the clean
#: street, seconds a difference from it must last (the parts of passers-by that stand still
#: for a step or a pause differ for a few seconds: market_morning 22001 at 08:34-08:50 opened
#: eight episodes in 16 minutes before this held for the learned street too, 2026-12-07).
LITTER_STILL_S = 30.0
#: An alert stands until the rubbish measures under this fraction of ``max_litter``: people
#: passing over it and its edges at the threshold make the measure dip for seconds, and each
#: dip longer than the episode's close delay used to split the alert in two.
RELEASE_FRACTION = 0.5
#: Seconds of difference taken back by each second a pixel looks like the clean street again:
#: one second of it (a passer-by's shadow, noise at the threshold, a stall carried off over
#: the rubbish) does not start the rubbish's count again (market_morning 21001 at 14689 s and
#: 22004 at 15547 s split their alerts in two when it did), six seconds do.
FORGET_RATE = 10.0
#: What is left over lies on the street: a piece of difference from it that stands upright
#: (taller than wide) and taller than this (m, at the depth of its lowest row) is somebody or
#: something standing there. A bag 0.5 m tall reads up to 0.75 m near the camera, its top
#: face adding its depth; a person is 1.5-1.9 m tall, and the parts of people that differ
#: from the street (a torso) are 0.9 m or more.
RUBBISH_MAX_HEIGHT_M = 0.8
#: Pieces of fewer pixels (8-connected, at the working size) are specks, not rubbish, in the
#: comparison with the clean street.
MIN_PIECE_PX = 4
#: Longest step (s) between two comparisons counted towards ``LITTER_STILL_S``: after a gap
#: (the view tampered, the analysis restarted) a difference is timed afresh.
MAX_STEP_S = 5.0
#: Side (px at the working size, 160x90) of the median window of the light ratio between the
#: image and the clean reference: rubbish under half of it (a 1 m heap 6 m away) is not light.
RATIO_MEDIAN_PX = 15
#: Quantum of the log light ratio for the median filter (a 2.3 % step; range x1/19 .. x19).
RATIO_LOG_STEP = 0.023
#: Quantum of a chromaticity difference for its median filter (range -1.28 .. 1.27).
CHROMA_STEP = 0.01
#: Grey levels added to image and reference before their ratio (sensor black level and noise):
#: a reference 2 levels above black is not a tenth of one 20 levels above it.
RATIO_OFFSET = 4.0
#: Uncertainty of the clean reference itself (grey levels: sensor noise, JPEG quantisation),
#: magnified by the light ratio in the comparison: a street learned in dim light, 10 levels
#: above black, says little of what it looks like in full daylight.
REF_NOISE = 2.0


def _median(values: np.ndarray, step: float) -> np.ndarray:
    """``values`` median-filtered over ``RATIO_MEDIAN_PX`` (float32): quantised to ``step``
    around 0 in 8 bits, where OpenCV's median takes any window size."""
    q = np.clip(np.round(values / step) + 128.0, 0, 255).astype(np.uint8)
    return (cv2.medianBlur(q, RATIO_MEDIAN_PX).astype(np.float32) - 128.0) * step


def _opened(mask: np.ndarray) -> np.ndarray:
    """``mask`` (bool) opened by 2 x 2: specks and lines one pixel thin taken away."""
    k = np.ones((2, 2), np.uint8)
    return cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)


def _without_specks(mask: np.ndarray) -> np.ndarray:
    """``mask`` (bool) opened by a horizontal pair of pixels, then without its pieces under
    ``MIN_PIECE_PX`` (8-connected).

    Against the clean street, where a difference must last (``_lasting``), instead of the
    fallback's 2 x 2 opening: a flat carton or sheet 10-15 m off is a horizontal line one or
    two pixels high, which that opening thinned away (market_morning 22002's flat box, 11 x 3
    px: it kept 14 of the pixels that differ, this keeps 17). What lies flat on the street
    runs across the image seen from a pole; lines one pixel wide that run down it are left
    by edges (a shadow's across the paving, a kerb's) and go."""
    flat = cv2.morphologyEx(mask.view(np.uint8), cv2.MORPH_OPEN, np.ones((1, 2), np.uint8))
    blobs, labels = find_blobs(flat, MIN_PIECE_PX)
    if not blobs:
        return np.zeros(mask.shape, bool)
    keep = np.zeros(int(labels.max()) + 1, bool)
    keep[[b.label for b in blobs]] = True
    return np.asarray(keep[labels] & flat.astype(bool))


@dataclass(frozen=True)
class CleanStreet:
    """The clean street a ``cleanliness`` zone learned in its ``learn`` window: what an agent
    keeps across restarts (a power cut or an update in the night would otherwise leave the
    next morning's check to the fallback, ``LitterDetector._left_behind``).

    ``grey``: the long-term background's grey levels (0-255, float32, the working size's
    shape); ``chroma_n``: its planar chromaticity (float32, twice the rows; see
    ``models.vision.background``), None for a grey camera.
    """

    grey: np.ndarray
    chroma_n: np.ndarray | None

    def check(self, shape: tuple[int, int]) -> None:
        """Raise ValueError naming what is wrong unless this street fits a detector whose
        zone mask has ``shape`` (rows, columns): a reference kept by another version or
        another working size, or damaged, must not be compared with the street."""
        h, w = shape
        for name, arr, want in (
            ("grey", self.grey, (h, w)),
            ("chroma_n", self.chroma_n, (2 * h, w)),
        ):
            if arr is None:
                continue
            if arr.dtype != np.float32 or arr.shape != want:
                raise ValueError(
                    f"{name}: expected float32 of shape {want}, got {arr.dtype} {arr.shape}"
                )
            if not np.isfinite(arr).all():
                raise ValueError(f"{name}: values that are not finite")
        if not ((self.grey >= 0.0) & (self.grey <= 255.0)).all():
            raise ValueError("grey: levels outside 0-255")


def _in_window(t: time, start: time, end: time) -> bool:
    return start <= t < end if start < end else (t >= start or t < end)


def _seconds(t: time) -> float:
    return t.hour * 3600.0 + t.minute * 60.0 + t.second + t.microsecond / 1e6


@dataclass
class LitterDetector:
    """``cleanliness``: after ``check_at``, rubbish = difference from the learned clean street.

    The clean reference is the long-term background taken while the local time is in the
    zone's ``learn`` window and the zone is empty; a camera that never saw that window takes it
    after ``fallback_after_s`` of running and then judges only what was put down and lay still
    (``_left_behind``). The comparison with a learned reference divides out the light
    (``_light``).
    """

    cfg: CleanlinessZone
    mask: np.ndarray
    #: The camera's ground calibration, if any: tells a person standing from a heap.
    ground: Ground | None = None
    fallback_after_s: float = 60.0
    kind: str = "cleanliness"
    #: Judged once a second: rubbish does not run away, and the clean street is learned over
    #: hours.
    period_s: float = 1.0
    _ref: np.ndarray | None = None
    #: The clean street's chromaticity (planar, ``DualBackground.long_n``), None when grey.
    _ref_n: np.ndarray | None = None
    _t0: float | None = None
    _learned_in_window: bool = False
    #: Device time (s) the clean street was last learned in the window; None before, and
    #: after :meth:`restore` until it is learned again.
    learned_s: float | None = None
    #: Per pixel, seconds it has differed from the clean street (``_lasting``).
    _differs_s: np.ndarray | None = None
    _compared_at: float | None = None
    #: The last judgement found rubbish (``_judge``'s hysteresis).
    _dirty: bool = False

    @property
    def zone(self) -> str:
        return self.cfg.id

    @property
    def clean_street(self) -> CleanStreet | None:
        """The clean street learned in the ``learn`` window (or restored), None before."""
        if not self._learned_in_window or self._ref is None:
            return None
        return CleanStreet(self._ref, self._ref_n)

    def restore(self, street: CleanStreet) -> None:
        """Take ``street`` as the clean street learned in the window (kept by a run before
        this one); it is replaced when the window comes round with the zone empty.
        ValueError (see :meth:`CleanStreet.check`) when it does not fit this zone."""
        street.check(self.mask.shape)
        self._ref, self._ref_n = street.grey.copy(), None
        if street.chroma_n is not None:
            self._ref_n = street.chroma_n.copy()
        self._learned_in_window = True

    def _light(self, grey: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """The light ratio ``(grey + c) / (ref + c)`` as a field (float32 at the working size):
        its log, median-filtered over ``RATIO_MEDIAN_PX`` (quantised to ``RATIO_LOG_STEP``).

        Light changes multiply what the street reflects (lamp pools at night, daylight and
        building shadows later), so their ratio is smooth or a straight step where the surface
        is the same; a median keeps ramps and straight steps (the kerb between lit facade and
        paving, a shadow's edge) and drops what covers less than half of its window
        (rubbish). Not enough for a reference learned under street lamps (0.5 to 10 times
        the light of 08:30 in the simulator): a far lamp's pool is as small as rubbish, and
        4-5 % of a clean simulated street differed; hence the daylight ``learn`` window.
        """
        log_ratio = np.log((grey + RATIO_OFFSET) / (ref + RATIO_OFFSET))
        return np.exp(_median(log_ratio, RATIO_LOG_STEP))

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
            self._ref_n = None if bg.long_n is None else bg.long_n.copy()
            self.learned_s = ctx.t_s
        elif (
            self._ref is None
            and bg.long is not None
            and ctx.t_s - self._t0 >= self.fallback_after_s
        ):
            self._ref = bg.long.copy()
        local_s = None if ctx.local is None else _seconds(ctx.local)
        check_s = _seconds(self.cfg.check_at)
        if self._ref is None or local_s is None or local_s < check_s - LITTER_STILL_S:
            self._dirty, self._compared_at = False, None
            return self._nothing()
        if not self._learned_in_window:
            if local_s < check_s:
                return self._nothing()
            return self._left_behind(ctx)
        # compared from LITTER_STILL_S before the check: rubbish lying then is found at it
        verdict = self._compared(ctx, self._ref)
        if local_s < check_s:
            self._dirty = False
            return self._nothing()
        return verdict

    def _nothing(self) -> ZoneJudgement:
        """The verdict while the street is not judged (before the check, nothing learned)."""
        return ZoneJudgement(self.zone, self.kind, False, measured={"litter": 0.0})

    def _compared(self, ctx: FrameContext, ref: np.ndarray) -> ZoneJudgement:
        """Rubbish against the clean reference ``ref`` under the light of now.

        Where the reference is too dark for the light of now (its noise, times the light
        ratio, above the background's absolute threshold: a street learned in dim light) it
        cannot tell rubbish from paving; there what was put down and lay still is judged
        (``_still``), as without a reference.
        """
        bg = ctx.bg
        light = self._light(ctx.grey, ref)
        expected = light * (ref + RATIO_OFFSET) - RATIO_OFFSET
        thr = bg.s.abs_threshold + bg.s.rel_threshold * expected + light * REF_NOISE
        diff = np.abs(ctx.grey - expected)
        blind = light * REF_NOISE > bg.s.abs_threshold
        still, still_heat = self._still(ctx)
        changed = ((diff > thr) | self._recoloured(ctx)) & self.mask
        lasting = self._lasting(changed, ctx.moving.astype(bool), ctx.t_s) >= LITTER_STILL_S
        litter = np.where(blind, still, lasting)
        heat = np.where(blind, still_heat, np.clip(diff / (4.0 * thr), 0.0, 1.0))
        return self._judge(_without_specks(litter), heat, ctx)

    def _lasting(self, changed: np.ndarray, moving: np.ndarray, t_s: float) -> np.ndarray:
        """Seconds each pixel has differed from the clean street (float32): counted where it
        differs and nothing moves over it, kept where someone moves over it (rubbish under a
        passer-by's feet), taken back at ``FORGET_RATE`` where it looks like the street."""
        dt = 0.0 if self._compared_at is None else min(MAX_STEP_S, t_s - self._compared_at)
        self._compared_at = t_s
        if self._differs_s is None or dt < 0.0:
            self._differs_s = np.zeros(changed.shape, np.float32)
        acc = self._differs_s
        acc[changed & ~moving] += np.float32(dt)
        same = ~changed
        acc[same] = np.maximum(acc[same] - np.float32(FORGET_RATE * dt), np.float32(0.0))
        return acc

    def _recoloured(self, ctx: FrameContext) -> np.ndarray | bool:
        """Where the colour differs from the clean street's (bool), after the tint of the light
        (its median per chromaticity plane, like ``_light``): brown cardboard on grey paving is
        about as bright as the paving. ``False`` for a grey camera."""
        n_now, n_ref = ctx.bg.last_n, self._ref_n
        if n_now is None or n_ref is None:
            return False
        d = n_now - n_ref
        h = d.shape[0] // 2
        res = np.abs(d - _median(d, CHROMA_STEP))
        return np.asarray((res[:h] + res[h:]) > ctx.bg.s.chroma_threshold)

    def _judge(self, litter: np.ndarray, heat: np.ndarray, ctx: FrameContext) -> ZoneJudgement:
        """The verdict on ``litter`` (bool mask without specks) with its heat map (0..1,
        clipped to the zone) for the evidence. Only rubbish lying there (:meth:`_lying`)
        opens an alert; an open one stands while everything that differs measures at least
        half of ``max_litter``: people who stop over the rubbish hide it, and each of them
        used to close the alert and leave the next one to open it again (market_morning
        24001: three alerts where there had been one)."""
        area = max(1, int(self.mask.sum()))
        if self._dirty:
            self._dirty = float(litter.sum()) / area > self.cfg.max_litter * RELEASE_FRACTION
        lying = self._lying(litter, ctx)
        frac = float(lying.sum()) / area
        self._dirty = self._dirty or frac > self.cfg.max_litter
        box = union_box(find_blobs(lying if lying.any() else litter, 2)[0])
        return ZoneJudgement(
            self.zone,
            self.kind,
            self._dirty,
            box=box.norm_box(ctx.size) if box else None,
            measured={"litter": round(frac, 4)},
            heat=(heat * self.mask).astype(np.float32),
        )

    def _lying(self, litter: np.ndarray, ctx: FrameContext) -> np.ndarray:
        """``litter`` (bool) without what stands in the street: people standing (its
        long-term foreground blobs, grey or colour, shaped like a person standing:
        :func:`standing_person`) and, with a ground calibration, pieces upright and taller
        than ``RUBBISH_MAX_HEIGHT_M`` at their lowest row's depth (people in a group, parts
        of them). Somebody who stops to talk in the street after closing differs from the
        clean street as long as rubbish does: eight alerts from 08:34 to 08:52, each while
        people stood there 20-40 s (market_morning 31002)."""
        blobs, labels = find_blobs(ctx.bg.fg_any & self.mask, 2)
        people = [b.label for b in blobs if standing_person(b, labels.size, self.ground)]
        if people:
            litter = litter & ~np.isin(labels, people)
        g = self.ground
        if g is None:
            return litter
        pieces, plabels = find_blobs(litter, 1)
        upright = []
        for b in pieces:
            z = g.depth_m(b.y1 - 0.5)
            if z is None:
                continue
            tall = g.height_m_of(b.height, z)
            if tall > RUBBISH_MAX_HEIGHT_M and tall > g.width_m(b.width, z):
                upright.append(b.label)
        return litter & ~np.isin(plabels, upright) if upright else litter

    def _left_behind(self, ctx: FrameContext) -> ZoneJudgement:
        """Without a clean reference: things put down and left (Porikli stationary evidence).

        A camera that never saw the street clean (started after the learn window) judges
        what arrived and stayed at least ``LITTER_STILL_S``: the dual background keeps such
        objects as long-term foreground for an hour, while ghosts of stalls that left bring
        no new edges and are absorbed (see ``SceneAnalyzer._absorb_ghosts``).
        """
        still, heat = self._still(ctx)
        return self._judge(_opened(still), heat, ctx)

    def _still(self, ctx: FrameContext) -> tuple[np.ndarray, np.ndarray]:
        """(bool mask, heat 0..1) of what lay still ``LITTER_STILL_S`` or more in the zone."""
        st = ctx.bg.stationary_s
        still = (st >= LITTER_STILL_S) & self.mask & ~ctx.moving.astype(bool)
        return still, np.clip(st / (4.0 * LITTER_STILL_S), 0.0, 1.0)
