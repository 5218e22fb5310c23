"""One camera's whole analysis: background, tamper check and every zone, per analysed frame.

``SceneAnalyzer.update(image, t_s, local)`` takes a BGR frame, its device time in seconds and
its local time of day, and returns a :class:`FrameResult`. It never looks at the clock, so a
file, a live stream and a simulation at any speed give the same judgements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import cv2
import numpy as np

from models.vision.background import BackgroundSettings, DualBackground
from models.vision.blobs import find_blobs
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.frame import MEDIUM, SMALL, prepare
from models.vision.ground import Ground
from models.vision.masks import polygon_mask, union_mask
from models.vision.tamper import TamperDetector, TamperFeatures, TamperState
from models.vision.zones import ZoneDetector, make_detector
from whistle.config.camera import CameraConfig

#: Stationary evidence (s) at which a blob is checked for being a ghost or a light change.
GHOST_CHECK_FROM_S = 6.0
_K2 = np.ones((2, 2), np.uint8)
_K3 = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class FrameResult:
    t_s: float
    tamper: TamperState
    zones: list[ZoneJudgement]
    #: Light change re-learned the background on this frame.
    relearned: bool
    #: Fraction of the frame that is long-term foreground.
    fg_fraction: float


def _clean(mask: np.ndarray) -> np.ndarray:
    m = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, _K2)
    return cv2.morphologyEx(m, cv2.MORPH_CLOSE, _K3)


class SceneAnalyzer:
    def __init__(self, cfg: CameraConfig, settings: BackgroundSettings | None = None) -> None:
        self.cfg = cfg
        motion = union_mask(cfg.motion_masks, SMALL)
        self.valid = ~motion
        self.bg = DualBackground(self.valid, settings)
        valid_m = ~union_mask(cfg.motion_masks, MEDIUM)
        ts = cfg.tamper
        self.tamper: TamperDetector | None = (
            TamperDetector(
                valid_m,
                hold_s=ts.hold_s,
                defocus_ratio=ts.defocus_ratio,
                moved_similarity=ts.moved_similarity,
            )
            if ts.enabled
            else None
        )
        self.ground = Ground(cfg.ground, SMALL) if cfg.ground is not None else None
        self.detectors: list[ZoneDetector] = [
            make_detector(z, polygon_mask(z.polygon, SMALL) & self.valid, self.ground)
            for z in cfg.zones
        ]
        self._next_ghost_check = 0.0

    def update(self, image: np.ndarray, t_s: float, local: time | None = None) -> FrameResult:
        prep = prepare(image)
        if self.tamper is not None:
            tamper = self.tamper.update(prep.grey_m, t_s)
        else:
            tamper = TamperState(None, None, _NO_FEATURES)
        if tamper.since_s is not None:
            # the view is not the scene: neither learn it nor judge zones on it
            return FrameResult(t_s, tamper, [], False, 0.0)
        bg = self.bg
        bg.update(prep.grey, t_s)
        if t_s >= self._next_ghost_check:
            self._next_ghost_check = t_s + 1.0
            self._absorb_ghosts(prep.grey)
        fg = _clean(bg.fg_long)
        moving = _clean(bg.fg_long & bg.fg_short)
        ctx = FrameContext(t_s, local, prep.grey, bg, fg, moving, SMALL)
        zones = [d.update(ctx) for d in self.detectors]
        frac = float(fg.mean())
        return FrameResult(t_s, tamper, zones, bg.relearned, frac)

    def _absorb_ghosts(self, grey: np.ndarray) -> None:
        """Stationary blobs without new edges are ghosts or light, not objects: absorb them.

        An object put down brings its own outline into the image; a ghost (something that left
        the background) or a light change (a lamp switched off, a shadow) brings none, or takes
        the background's outline away. Compare mean gradient magnitude over the blob's
        neighbourhood in the image and in the light-scaled background.
        """
        bg = self.bg
        cand = bg.stationary_s >= GHOST_CHECK_FROM_S
        if bg.long is None or not cand.any():
            return
        blobs, labels = find_blobs(cand, 2)
        if not blobs:
            return
        ref = bg.gain * bg.long
        gi = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(grey, cv2.CV_32F, 0, 1))
        gb = np.abs(cv2.Sobel(ref, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(ref, cv2.CV_32F, 0, 1))
        for b in blobs:
            region = labels[b.y0 : b.y1, b.x0 : b.x1] == b.label
            region = cv2.dilate(region.astype(np.uint8), _K3, iterations=2).astype(bool)
            sl = (slice(b.y0, b.y1), slice(b.x0, b.x1))
            e_img = float(gi[sl][region].mean())
            e_bg = float(gb[sl][region].mean())
            if e_img < 1.1 * e_bg + 4.0:
                full = np.zeros_like(cand)
                full[sl] = region
                bg.absorb(full & ~bg.fg_short, grey)


_NO_FEATURES = TamperFeatures(0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0)
