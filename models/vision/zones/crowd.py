"""``walkway``: crowd density at the entrance or a traffic-control point."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from models.vision.blobs import find_blobs
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.ground import Ground
from whistle.config.camera import WalkwayZone

#: Stationary evidence (s) beyond which foreground is an object, not people waiting.
SETTLED_S = 45.0


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
    #: Judged on every other frame at 5 fps (0.3 s: a stream's uneven frame times do not make
    #: it every third): the density is smoothed over ``smooth_s`` (10 s by default).
    period_s: float = 0.3
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
        # what has stood still for minutes is a stall or a parked cart, not a crowd: people
        # waiting shuffle, which restarts their stationary evidence
        occ &= ctx.bg.stationary_s < SETTLED_S
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
