"""``restricted``: a person-sized blob lingering in a doorway or stairwell."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.vision.blobs import Blob, find_blobs
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.zones.common import px
from whistle.config.camera import RestrictedZone


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
        blobs, _ = find_blobs(fg, px(self.cfg.min_area, ctx.size))
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
