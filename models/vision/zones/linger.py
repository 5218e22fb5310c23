"""``restricted``: a person-sized blob lingering in a doorway or stairwell."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from models.vision.blobs import Blob, PixelBox, box_area, box_common, find_blobs
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.ground import Ground
from models.vision.zones.common import px
from whistle.config.camera import RestrictedZone

#: Bottom rows of a blob's box (at 160x90: 4 px of 360 each) that make its feet.
FOOT_ROWS = 2
#: Share of a blob's columns whose feet must be in the zone: one column of a pair of people
#: standing 0.2-0.4 m beside the doorway touched it (people_standing 13008, 3 minutes).
FOOT_SHARE = 1.0 / 3.0
#: Pixels either side of the zone within which a blob standing in it is labelled whole.
REACH_PX = 8
#: A blob whose box is where it was this many seconds before (``SETTLED_IOU``) has settled:
#: the stay's spot moves there. A walker covers 2-3 m in that time; somebody who walked in
#: and then stood still has settled a step or two from where their stay began.
SETTLE_S = 2.0
SETTLED_IOU = 0.5
#: Seconds a track that has settled is kept without a blob: a still person in clothes near the
#: paving's grey shows as a torso of about ``min_area`` that comes and goes (market_morning
#: 13003 at 11832 s: 2-4 s seen, 1-3 s not), or is hidden by somebody passing in front. Not
#: longer than the pause in judging that ends a stay (tampering, a minute).
SETTLED_GAP_S = 6.0
#: With a ground calibration, a blob wider than this (metres, at its foot row) is no person
#: nor two side by side: a van stopped by the door (market_morning 13004 at 6378 s, 1.7 m of
#: it seen) kept its stay going with the pieces left where it stood.
PEOPLE_MAX_WIDTH_M = 1.4
#: A settled stay goes on with a blob that does not stand in the zone if the blob covers
#: at least this share of the stay's spot (its anchor box) and foreground still fills this
#: share of the spot: the person merged with somebody or something in front of the zone,
#: whose feet are then the blob's (market_morning 21002 at 3424 s: a person in the
#: stairwell joined the blob of what stood below it for 34 s and the stay began again).
COVER_SHARE = 0.5


@dataclass
class _Track:
    first_s: float
    last_s: float
    blob: Blob
    #: Pixel box (x0, y0, x1, y1) where the stay began, or where the blob last settled.
    anchor: PixelBox
    #: (time, box) of the blob about ``SETTLE_S`` ago, to tell when it has settled.
    probe: tuple[float, PixelBox]
    #: Has the blob once stood still (``SETTLE_S``)? Walkers never do.
    settled: bool = False

    @classmethod
    def start(cls, t_s: float, b: Blob) -> _Track:
        return cls(t_s, t_s, b, b.box, (t_s, b.box))

    def follow(self, t_s: float, b: Blob) -> _Track:
        """The stay continued by ``b``; its spot moves where ``b`` has settled."""
        anchor, probe, settled = self.anchor, self.probe, self.settled
        if t_s - probe[0] >= SETTLE_S:
            if _iou(b.box, probe[1]) >= SETTLED_IOU:
                anchor, settled = b.box, True
            probe = (t_s, b.box)
        return _Track(self.first_s, t_s, b, anchor, probe, settled)


def _column_counts(mask: np.ndarray, rows: int) -> list[list[int]]:
    """For each row ``y1`` (0..height), the running count over columns (0..width) of the
    columns where ``mask`` is set on any of the ``rows`` rows ending before ``y1`` (fewer at
    the top): the zone's columns under the feet of a blob ``rows`` high, from ``x0`` to ``x1``,
    are ``counts[y1][x1] - counts[y1][x0]``."""
    out = []
    for y1 in range(mask.shape[0] + 1):
        cols = mask[max(0, y1 - rows) : y1].any(axis=0)
        out.append([0, *np.cumsum(cols).tolist()])
    return out


def _iou(a: PixelBox, b: PixelBox) -> float:
    inter = box_common(a, b)
    union = box_area(a) + box_area(b) - inter
    return inter / union if union > 0 else 0.0


def _overlap(b: Blob, box: PixelBox) -> int:
    """Pixels of ``b``'s box inside ``box``."""
    return box_common(b.box, box)


def _moved_off(b: Blob, anchor: PixelBox, person_px: float) -> bool:
    """``b`` no longer overlaps ``anchor`` and its centre is more than a body size away.

    The body is the larger of ``b``, the anchor and ``person_px`` (a standing person's image
    height at the lower of their bottoms, from the ground calibration; 0 without one): a still
    person's blob splits, into a torso and legs whose pieces take turns (clothes as grey as
    the paving), and a torso-only fragment is no measure of how far the person is from where
    they stood (market_morning 13003 at 5981 s: torso 9.5 px above the legs' spot, 7 px tall
    pieces of a 16 px person, restarted the stay).
    """
    if _overlap(b, anchor) > 0:
        return False
    ax, ay = (anchor[0] + anchor[2]) / 2.0, (anchor[1] + anchor[3]) / 2.0
    mx, my = b.centre
    body = max(b.width, b.height, anchor[2] - anchor[0], anchor[3] - anchor[1], person_px)
    return abs(mx - ax) + abs(my - ay) > max(3.0, 0.8 * body)


@dataclass
class LingerDetector:
    """``restricted``: a person-sized blob staying in the zone longer than ``dwell``.

    Blobs of long-term foreground standing in the zone (their foot point inside it, as
    Frigate places objects in zones) are followed (see ``_match``), with gaps up to
    ``gap_s`` (occlusion, noise). A track's stay restarts when its blob has moved off its
    spot (no overlap, centre more than a body size away), so a stream of people walking
    through is not one lingering person. The spot is the box where the stay began, moved to
    where the blob has settled (its box ``SETTLE_S`` earlier is where it is now): somebody
    caught walking in stops a step further on.
    """

    cfg: RestrictedZone
    mask: np.ndarray
    ground: Ground | None = None
    gap_s: float = 2.0
    tracks: list[_Track] = field(default_factory=list)
    kind: str = "restricted"
    #: Every frame: people are followed frame to frame.
    period_s: float = 0.0
    #: Where a blob standing in the zone, or covering it, can be: the zone's columns (plus
    #: ``REACH_PX`` either side), the whole height (a person in front of the zone must be
    #: labelled down to their feet below it). Labelling only this window costs a fraction of
    #: the whole frame.
    _reach: tuple[slice, slice] = field(init=False)
    #: ``_feet[k][y1][x]``: how many of the columns left of ``x`` hold zone pixels on the
    #: ``k`` rows (1..FOOT_ROWS) ending before row ``y1`` (see ``_stands_in_zone``).
    _feet: dict[int, list[list[int]]] = field(init=False)
    #: The reach's foreground, one column wider when the reach's width is odd: that column
    #: stays background, and ``find_blobs`` labels the even width without a padded copy.
    _fg: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self._feet = {k: _column_counts(self.mask, k) for k in range(1, FOOT_ROWS + 1)}
        xs = np.flatnonzero(self.mask.any(axis=0))
        if len(xs) == 0:
            self._reach = (slice(0, 0), slice(0, 0))
            self._fg = np.zeros((0, 0), bool)
            return
        h, w = self.mask.shape
        x0, x1 = max(0, int(xs[0]) - REACH_PX), min(w, int(xs[-1]) + 1 + REACH_PX)
        self._reach = (slice(0, h), slice(x0, x1))
        self._fg = np.zeros((h, x1 - x0 + (x1 - x0) % 2), bool)

    @property
    def zone(self) -> str:
        return self.cfg.id

    def _match(self, tr: _Track, blobs: list[Blob]) -> Blob | None:
        """The blob that continues ``tr``: the one covering most of the spot where its stay
        began, else the one covering most of where it was last, else the nearest centre within
        a body size (with a ground calibration at least 0.75 of a person's height: a torso
        and the legs below it, seen in turn). A person's blob splits (legs, torso) and merges
        with passers-by; boxes overlapping the spot keep the stay going through both."""
        best = max(blobs, key=lambda b: _overlap(b, tr.anchor), default=None)
        if best is not None and _overlap(best, tr.anchor) > 0:
            return best
        best = max(blobs, key=lambda b: _overlap(b, tr.blob.box), default=None)
        if best is not None and _overlap(best, tr.blob.box) > 0:
            return best
        cx, cy = tr.blob.centre

        def distance(b: Blob) -> float:
            return abs(b.centre[0] - cx) + abs(b.centre[1] - cy)

        def reach(b: Blob) -> float:
            body = max(tr.blob.width, tr.blob.height, self._person_px(tr.blob.box, b.box))
            return max(3.0, 0.75 * body)

        near = min(blobs, key=distance, default=None)
        if near is not None and distance(near) <= reach(near):
            return near
        return None

    @staticmethod
    def _covered(spot: PixelBox, blobs: list[Blob], fg: np.ndarray, dx: int) -> bool:
        """Does one of ``blobs`` cover ``COVER_SHARE`` of ``spot`` while foreground (``fg``,
        the reach window starting at column ``dx``) fills as much of it?"""
        need = COVER_SHARE * box_area(spot)
        if not any(box_common(b.box, spot) >= need for b in blobs):
            return False
        x0, y0, x1, y1 = spot
        return int(np.count_nonzero(fg[y0:y1, x0 - dx : x1 - dx])) >= need

    def _gap(self, tr: _Track) -> float:
        """Seconds ``tr`` is kept without a blob."""
        return max(self.gap_s, SETTLED_GAP_S) if tr.settled else self.gap_s

    def _person_px(self, *boxes: PixelBox) -> float:
        """Image height (px) of a person standing at the lowest bottom of ``boxes`` (a torso
        piece's bottom is the waist); 0 without a ground calibration."""
        if self.ground is None:
            return 0.0
        return self.ground.person_height_px(max(b[3] for b in boxes) - 0.5)

    def _person_sized(self, b: Blob) -> bool:
        """Is ``b`` no wider than ``PEOPLE_MAX_WIDTH_M`` where it stands (True without a
        ground calibration)?"""
        width = None if self.ground is None else self.ground.width_at_row_m(b.width, b.y1 - 0.5)
        return width is None or width <= PEOPLE_MAX_WIDTH_M

    def _stands_in_zone(self, b: Blob) -> bool:
        """Does ``b`` stand in the zone: its bottom rows (``FOOT_ROWS``) in the zone along at
        least ``FOOT_SHARE`` of its width? A person is where they stand: somebody in front of
        a doorway covers it in the image but stands in the street, below it, and people
        beside it touch it with a corner."""
        # the zone's columns under its feet, counted from a table (numpy's any and count on
        # a 2 x width slice cost 4 us a blob)
        counts = self._feet[min(FOOT_ROWS, b.height)][b.y1]
        return counts[b.x1] - counts[b.x0] >= max(1.0, FOOT_SHARE * b.width)

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        # whole blobs (ctx.fg is 0/1 bytes: a view, not a copy), kept where their feet are;
        # with the colour test's foreground: clothes as bright as the door behind them but of
        # another colour are never grey foreground (doorway_linger 14011, 15001)
        rows, cols = self._reach
        fg = self._fg
        np.bitwise_or(
            ctx.fg.view(bool)[rows, cols],
            ctx.bg.fg_colour[rows, cols],
            out=fg[:, : cols.stop - cols.start],
        )
        found, _ = find_blobs(fg, px(self.cfg.min_area, ctx.size))
        dx = cols.start
        # person-sized blobs standing in the zone, and those standing in front of it
        blobs: list[Blob] = []
        in_front: list[Blob] = []
        for c in found:
            b = Blob(c.x0 + dx, c.y0, c.x1 + dx, c.y1, c.area, c.label)
            if self._person_sized(b):
                (blobs if self._stands_in_zone(b) else in_front).append(b)
        live: list[_Track] = []
        unused = list(blobs)
        # a track not seen for longer than gap_s is over, whatever it would match now: the
        # zone is not judged while the camera is tampered with, and a person found at the
        # spot a minute later has not been standing there all along
        for tr in (tr for tr in self.tracks if ctx.t_s - tr.last_s <= self._gap(tr)):
            match = self._match(tr, unused)
            if match is None and tr.settled and self._covered(tr.anchor, in_front, fg, dx):
                live.append(dataclasses.replace(tr, last_s=ctx.t_s))  # still there, merged
                continue
            if match is not None:
                unused.remove(match)
                if _moved_off(match, tr.anchor, self._person_px(match.box, tr.anchor)):
                    # moved off the spot where the stay began: somebody walking through, or
                    # one passing a person who stood still there and is hidden for a moment
                    # (market_morning 13004 at 11843 s): that person's stay goes on if they
                    # are seen there again
                    if tr.settled:
                        live.append(tr)
                    live.append(_Track.start(ctx.t_s, match))
                else:
                    live.append(tr.follow(ctx.t_s, match))
            else:
                live.append(tr)
        live.extend(_Track.start(ctx.t_s, b) for b in unused)
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
