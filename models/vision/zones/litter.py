"""``cleanliness``: rubbish left in the street after closing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import cv2
import numpy as np

from models.vision.background import GRID
from models.vision.blobs import find_blobs, union_box
from models.vision.context import FrameContext, ZoneJudgement
from whistle.config.camera import CleanlinessZone

#: Seconds an object must have lain still to count as left-over rubbish.
LITTER_STILL_S = 30.0


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
    kind: str = "cleanliness"
    #: Judged once a second: rubbish does not run away, and the clean street is learned over
    #: an hour and a half.
    period_s: float = 1.0
    _ref: np.ndarray | None = None
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
        if not self._learned_in_window:
            return self._left_behind(ctx)
        ref = self._ref
        moving = ctx.moving.astype(bool)
        w = (~moving & bg.valid).astype(np.float32)
        g_ref = self._gain(ctx.grey, ref, w) * ref
        thr = bg.s.abs_threshold + bg.s.rel_threshold * g_ref
        diff = np.abs(ctx.grey - g_ref)
        litter = (diff > thr) & self.mask & ~moving
        heat = np.clip(diff / (4.0 * thr), 0.0, 1.0)
        return self._judge(litter, heat, ctx)

    def _judge(self, litter: np.ndarray, heat: np.ndarray, ctx: FrameContext) -> ZoneJudgement:
        """The verdict on ``litter`` (bool mask, specks of one pixel opened away) with its
        heat map (0..1, clipped to the zone) for the evidence."""
        litter = cv2.morphologyEx(
            litter.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)
        ).astype(bool)
        frac = float(litter.sum()) / max(1, int(self.mask.sum()))
        box = union_box(find_blobs(litter, 2)[0])
        return ZoneJudgement(
            self.zone,
            self.kind,
            frac > self.cfg.max_litter,
            box=box.norm_box(ctx.size) if box else None,
            measured={"litter": round(frac, 4)},
            heat=(heat * self.mask).astype(np.float32),
        )

    def _left_behind(self, ctx: FrameContext) -> ZoneJudgement:
        """Without a clean reference: things put down and left (Porikli stationary evidence).

        A camera that never saw the street clean (started after the learn window) judges
        what arrived and stayed at least ``LITTER_STILL_S``: the dual background keeps such
        objects as long-term foreground for an hour, while ghosts of stalls that left bring
        no new edges and are absorbed (see ``SceneAnalyzer._absorb_ghosts``).
        """
        bg = ctx.bg
        still = (bg.stationary_s >= LITTER_STILL_S) & self.mask & ~ctx.moving.astype(bool)
        heat = np.clip(bg.stationary_s / (4.0 * LITTER_STILL_S), 0.0, 1.0)
        return self._judge(still, heat, ctx)
