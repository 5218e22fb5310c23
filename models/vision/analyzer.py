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

from models.vision.background import (
    CHROMA_Y0,
    BackgroundSettings,
    DualBackground,
    channels_last,
)
from models.vision.blobs import find_blobs
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.frame import MEDIUM, SMALL, Prepared, prepare
from models.vision.ground import Ground
from models.vision.masks import polygon_mask, union_mask
from models.vision.tamper import TamperDetector, TamperFeatures, TamperState
from models.vision.zones import ZoneDetector, make_detector
from whistle.config.camera import CameraConfig, NoStallZone

#: Stationary evidence (s) at which a blob is checked for being a ghost or a light change.
GHOST_CHECK_FROM_S = 6.0
#: Pixels either side of a blob's border that make its outline for the ghost test.
RING_PX = 2
#: A stationary blob that stands out from its surroundings (their background pixels) by this
#: much more in the image than in the background is an object put down, whatever its
#: outline's edges say: goods lying across painted lines hide edges as strong as their own.
#: Measured as the L1 distance of mean chromaticities (unitless, see
#: ``models.vision.background``), or that plus the relative difference of grey means.
COLOUR_CONTRAST_MIN = 0.06
#: Seconds beyond the longest ``no_stall`` dwell during which a stationary blob may also stand
#: out by colour and grey together (:func:`_stands_out`): low-contrast goods are kept until
#: their episode is due. Older blobs need colour alone, as a stall that has stood for many
#: minutes is otherwise never absorbed and cuts the people passing it (dawn_quiet 9402).
LOW_CONTRAST_KEEP_S = 120.0
#: Checks in a row (one a second) that must call a pixel's blob a ghost before it is absorbed.
GHOST_VOTES = 3
#: The street that objects lying in a ghost are told from (:func:`_unlike_outline`) is the
#: background pixels of the ghost's outline that did not change (were not short-term
#: foreground) in the intervals before this many checks, its own included (one a second).
#: Rubbish dropped where a stall stood, before the stall's ghost was absorbed, can lie partly
#: on that outline where it is no foreground (the background there was as dark), and lent
#: itself its colour as "street": it was absorbed with the ghost 5 s after it was dropped and
#: the street found clean at the check (market_morning 19002 at 14624 s). Passers-by crossing
#: the outline are no street either. At most 8 (the bits of ``SceneAnalyzer._changes``).
GHOST_SETTLED_CHECKS = 6
#: A piece of a ghost whose colour and grey level together are found on fewer than
#: UNLIKE_SUPPORT pixels of the ghost's outline is an object lying in the revealed street
#: (rubbish dropped where a stall stood). "Found" compares cells of a grid over grey (cells
#: UNLIKE_GREY of the outline's median grey plus ``CHROMA_Y0`` wide) and chromaticity
#: (UNLIKE_CHROMA wide, unitless): the same or a neighbouring cell in every dimension.
UNLIKE_GREY = 0.1
UNLIKE_CHROMA = 0.04
UNLIKE_SUPPORT = 3
#: ... over at least this many pixels (SMALL: a 0.5 m box at 12 m covers about 4 x 4).
UNLIKE_MIN_PX = 6
#: Bits per plane of a packed colour cell key (see :func:`_cell_keys`).
CELL_BITS = 10
_CELL_OFFSET = 1 << (CELL_BITS - 1)
#: Device seconds between tamper checks while the view is untampered (at 5 fps every 5th
#: frame): the features cost 0.19 of 1.4 ms a frame when taken on every frame. Tampering must be
#: reported within 10 s of its start after holding ``hold_s`` (config, 2 s by default); this
#: delays noticing a start by less than TAMPER_PERIOD_S. Once a condition is seen every frame is
#: checked again (zones are not judged then, so that is cheap), so the hold and the end count as
#: before, and a view that changes all at once between checks is checked at once (see
#: ``SceneAnalyzer.update``).
TAMPER_PERIOD_S = 1.0
#: Slack (s) when a periodic step falls due: frame times summed in floating point (0.2 + 0.2 +
#: ...) fall a hair short of the period, which would skip the step by a whole frame.
DUE_SLACK_S = 1e-3
_K2 = np.ones((2, 2), np.uint8)
_K3 = np.ones((3, 3), np.uint8)
_K4 = np.ones((4, 4), np.uint8)


@dataclass(frozen=True)
class FrameResult:
    t_s: float
    tamper: TamperState
    zones: list[ZoneJudgement]
    #: Light change re-learned the background on this frame.
    relearned: bool
    #: Fraction of the frame that is long-term foreground.
    fg_fraction: float


def _is_due(t_s: float, due: float, period_s: float) -> bool:
    """Is a step of period ``period_s`` that falls due at ``due`` due at device time ``t_s``?
    A clock that went back (a restarted source) must not stop the steps."""
    return t_s >= due - DUE_SLACK_S or t_s < due - period_s


def _clean(mask: np.ndarray) -> np.ndarray:
    """Opening (2x2) then closing (3x3) of a boolean mask, as uint8 0/1.

    Three passes instead of four: the opening's dilation (offsets -1..0) followed by the
    closing's (-1..1) is one dilation by their sum (-2..1, a 4x4 square anchored at (2, 2)).
    Both contain the origin, so this holds at the image border too (same masks on 3000 random
    and blurred masks).
    """
    m = cv2.erode(mask.view(np.uint8), _K2)  # bool is 0/1 bytes: no copy
    m = cv2.dilate(m, _K4, anchor=(2, 2))
    return cv2.erode(m, _K3)


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
        #: Each detector's last judgement and when (device seconds) its next one is due.
        self._judged: list[tuple[ZoneJudgement | None, float]] = [
            (None, 0.0) for _ in self.detectors
        ]
        self._next_ghost_check = 0.0
        #: Stationary age (s) below which a blob may stand out by colour and grey together.
        self._low_contrast_keep_s = LOW_CONTRAST_KEEP_S + max(
            (z.dwell_s for z in cfg.zones if isinstance(z, NoStallZone)),
            default=NoStallZone.model_fields["dwell_s"].default,
        )
        self._ghost_votes = np.zeros(self.valid.shape, np.uint8)
        #: Per pixel, whether it was short-term foreground in each interval between ghost
        #: checks: bit k for the interval ending k checks ago (``GHOST_SETTLED_CHECKS``).
        self._changes = np.zeros(self.valid.shape, np.uint8)
        #: The last tamper check's verdict, and when (device seconds) the next one is due.
        self._tamper_state = TamperState(None, None, _NO_FEATURES)
        self._next_tamper_check: float | None = None

    def _check_tamper(self, prep: Prepared, t_s: float) -> TamperState:
        if self.tamper is not None:
            self._tamper_state = self.tamper.update(prep.grey_m, t_s)
            self._next_tamper_check = t_s + TAMPER_PERIOD_S
        return self._tamper_state

    def _tamper_due(self, t_s: float) -> bool:
        due = self._next_tamper_check
        if due is None or self._tamper_state.since_s is not None:
            return True
        return _is_due(t_s, due, TAMPER_PERIOD_S)

    def update(self, image: np.ndarray, t_s: float, local: time | None = None) -> FrameResult:
        prep = prepare(image)
        checked = self.tamper is not None and self._tamper_due(t_s)
        tamper = self._check_tamper(prep, t_s) if checked else self._tamper_state
        if tamper.since_s is not None:
            # the view is not the scene: neither learn it nor judge zones on it
            return FrameResult(t_s, tamper, [], False, 0.0)

        def untampered() -> bool:
            """Much of the view changed at once: tampering begun since the last check, or
            light? Only light may be learned."""
            return checked or self._check_tamper(prep, t_s).since_s is None

        bg = self.bg
        accept = untampered if self.tamper is not None else None
        if not bg.update(prep.grey, t_s, prep.chroma, accept):
            return FrameResult(t_s, self._tamper_state, [], False, 0.0)
        if t_s >= self._next_ghost_check:
            self._next_ghost_check = t_s + 1.0
            np.left_shift(self._changes, 1, out=self._changes)
            bg.take_changed(self._changes)
            bg.restore_revealed(prep.grey, prep.chroma)
            self._absorb_ghosts(prep.grey, prep.chroma)
        fg = _clean(bg.fg_long)
        moving = _clean(bg.fg_long & bg.fg_short)
        ctx = FrameContext(t_s, local, prep.grey, bg, fg, moving, SMALL)
        zones = [self._judge(i, d, ctx) for i, d in enumerate(self.detectors)]
        # count / size: the same float as fg.mean() (an exact integer sum) at a tenth of the cost
        frac = cv2.countNonZero(fg) / fg.size
        return FrameResult(t_s, tamper, zones, bg.relearned, frac)

    def _judge(self, i: int, detector: ZoneDetector, ctx: FrameContext) -> ZoneJudgement:
        """Detector ``i``'s judgement of this frame: new when its ``period_s`` is up, else
        its last one repeated."""
        last, due = self._judged[i]
        t_s = ctx.t_s
        if last is None or _is_due(t_s, due, detector.period_s):
            last = detector.update(ctx)
            self._judged[i] = (last, t_s + detector.period_s)
        return last

    def _absorb_ghosts(self, grey: np.ndarray, chroma: np.ndarray | None) -> None:
        """Stationary blobs without new edges at their outline are ghosts or light: absorb them.

        An object put down brings its own outline into the image; a ghost (something that left
        the background) or a light change (a lamp switched off, a shadow) brings none, or takes
        the background's outline away. Compare mean gradient magnitude (grey plus colour
        differences: a crate as bright as the paving still has a colour edge) on the blob's
        outline (a ring from one pixel inside to RING_PX outside its border) in the image and the
        light-scaled background. An object that stands out from its surroundings more in the
        image than in the background (:func:`_stands_out`) is never a ghost, whatever its
        outline: goods lying across painted lines hide edges as strong as their own. A ghost's
        outline never takes the pixels of an object that stands out: an object lying across a
        line can split along it, the piece on the line looks like a ghost (the line's colour is
        in the background), and its outline used to eat the rest of the object.
        """
        bg = self.bg
        cand = bg.stationary_s >= GHOST_CHECK_FROM_S
        if bg.long is None or not cand.any():
            self._ghost_votes[:] = 0
            return
        # judge whole objects: the foreground component around the stationary pixels, so
        # that the outline is the object's own and not a line through a half-settled person
        blobs, labels = find_blobs(cand | bg.fg_any, 2)
        # labels under stationary pixels (a count per label: a tenth of np.unique's sort)
        held = set(np.flatnonzero(np.bincount(labels[cand])).tolist())
        blobs = [b for b in blobs if b.label in held]
        if not blobs:
            self._ghost_votes[:] = 0
            return
        h, w = grey.shape
        # edges are read on the outlines only: take them in the window around all the blobs'
        # slices and one pixel more, so that every 3x3 Sobel neighbourhood read lies in the
        # window or reflects at the image border as before (same numbers on a few per cent of
        # the image)
        m = RING_PX + 1
        wy = slice(max(0, min(b.y0 for b in blobs) - m), min(h, max(b.y1 for b in blobs) + m))
        wx = slice(max(0, min(b.x0 for b in blobs) - m), min(w, max(b.x1 for b in blobs) + m))
        win = (wy, wx)
        gi = _edges(grey[win], _planes(chroma, win))
        bg_grey = bg.gain * bg.long
        bg_chroma = bg.background_chroma(win) if chroma is not None else None  # the window's
        gb = _edges(bg_grey[win], _planes(bg_chroma))
        bg_n = bg.background_chromaticity()  # once per check, not once per blob
        img_n = None if bg.last_n is None else channels_last(bg.last_n)
        if bg_n is not None:
            bg_n = channels_last(bg_n)
        looks = (_Look(grey, img_n), _Look(bg_grey, bg_n))
        ghosts: list[tuple[tuple[slice, slice], np.ndarray]] = []
        standing_out: list[int] = []
        settled_bits = (1 << GHOST_SETTLED_CHECKS) - 1
        for b in blobs:
            sl = (
                slice(max(0, b.y0 - RING_PX), min(h, b.y1 + RING_PX)),
                slice(max(0, b.x0 - RING_PX), min(w, b.x1 + RING_PX)),
            )
            inside = labels[sl] == b.label
            region = inside.view(np.uint8)
            ring = cv2.dilate(region, _K3, iterations=RING_PX).astype(bool) & ~cv2.erode(
                region, _K3, iterations=1, borderType=cv2.BORDER_REPLICATE
            ).astype(bool)
            sw = (  # sl in the edge window
                slice(sl[0].start - wy.start, sl[0].stop - wy.start),
                slice(sl[1].start - wx.start, sl[1].stop - wx.start),
            )
            e_img = float(gi[sw][ring].mean())
            e_bg = float(gb[sw][ring].mean())
            edges_new = e_img >= 1.1 * e_bg + 4.0
            young = bool(bg.stationary_s[sl][inside].max() < self._low_contrast_keep_s)
            outside = ring & (labels[sl] == 0)  # the background pixels of the outline
            if _stands_out(*looks, sl, inside, outside, young):
                standing_out.append(b.label)  # an object by its contrast
            elif not edges_new:
                # objects lying in the revealed street are not part of the ghost; judged
                # again on every check, so once taken away their place is absorbed too
                # the street around is what lay there unchanged (GHOST_SETTLED_CHECKS)
                street = outside & ((self._changes[sl] & settled_bits) == 0)
                lying = _unlike_outline(looks[0], sl, inside, street)
                area = ring | inside
                ghosts.append((sl, area if lying is None else area & ~_with_border(lying)))
        ghost = np.zeros(cand.shape, bool)
        for sl, area in ghosts:
            # the outline of a ghost never takes the pixels of an object that stands out
            ghost[sl] |= area & ~np.isin(labels[sl], standing_out) if standing_out else area
        # a verdict stands only after GHOST_VOTES checks in a row: a vendor still beside the
        # goods or a passer-by crossing the outline spoils a single look
        votes = self._ghost_votes
        # one more where a ghost, 0 elsewhere (arithmetic: a fifth of the boolean indexing)
        np.add(votes, 1, out=votes)
        np.multiply(votes, ghost, out=votes)
        sure = votes >= GHOST_VOTES
        if sure.any():
            votes[sure] = 0
            bg.absorb(sure & ~bg.fg_short, grey, chroma)


@dataclass(frozen=True)
class _Look:
    """One view of the scene for the ghost test: grey (h, w) and chromaticity (h, w, 2) or
    None for a grey camera."""

    grey: np.ndarray
    n: np.ndarray | None


def _contrast(
    look: _Look, sl: tuple[slice, slice], region: np.ndarray, outside: np.ndarray
) -> tuple[float, float]:
    """(colour, grey) contrast of ``region`` against ``outside`` in ``look``: the L1 distance
    of their mean chromaticities and their grey means' difference relative to the outside's
    grey level plus ``CHROMA_Y0`` (unitless both; a change of light intensity leaves both
    alone)."""
    g = look.grey[sl]
    g_out = float(g[outside].mean())
    grey = abs(float(g[region].mean()) - g_out) / (g_out + CHROMA_Y0)
    if look.n is None:
        return 0.0, grey
    n = look.n[sl]
    return float(np.abs(n[region].mean(axis=0) - n[outside].mean(axis=0)).sum()), grey


def _stands_out(
    img: _Look,
    bg: _Look,
    sl: tuple[slice, slice],
    region: np.ndarray,
    outside: np.ndarray,
    young: bool,
) -> bool:
    """Does the blob (``region`` of the slice ``sl``) differ from its surroundings
    (``outside``) more in the image than in the background? An object put down does; a ghost
    or a change of light does not. By colour alone, or while ``young`` by colour and grey
    together: low-contrast goods (sacks on painted hatching) stand out a little in both."""
    if not outside.any():
        return False
    c_img, g_img = _contrast(img, sl, region, outside)
    c_bg, g_bg = _contrast(bg, sl, region, outside)
    if c_img > c_bg + COLOUR_CONTRAST_MIN:
        return True
    return young and c_img + g_img > c_bg + g_bg + COLOUR_CONTRAST_MIN


def _unlike_outline(
    img: _Look, sl: tuple[slice, slice], inside: np.ndarray, outside: np.ndarray
) -> np.ndarray | None:
    """Pixels (of the slice ``sl``) of objects lying in a ghost, or None when the whole ghost
    looks like the street on its outline.

    A revealed area continues the street around it, so its colours and grey levels are found
    on the outline (painted lines and kerbs run across it); rubbish dropped where a stall stood
    brings a colour or grey level found nowhere there. Colours are compared on a grid (see
    UNLIKE_GREY), distinct cells only, so the cost does not grow with the blob.
    """
    if int(outside.sum()) < 4 * UNLIKE_MIN_PX:
        return None
    g = img.grey[sl]
    mid = median(g[outside])
    planes = [g / (UNLIKE_GREY * (mid + CHROMA_Y0))]
    if img.n is not None:
        n = img.n[sl]
        planes += [n[..., 0] / UNLIKE_CHROMA, n[..., 1] / UNLIKE_CHROMA]
    keys = _cell_keys(planes)
    out_keys, out_counts = np.unique(keys[outside], return_counts=True)
    in_keys, which = np.unique(keys[inside], return_inverse=True)
    out_cells, in_cells = _key_cells(out_keys, len(planes)), _key_cells(in_keys, len(planes))
    near = (np.abs(in_cells[:, None, :] - out_cells[None, :, :]) <= 1).all(axis=2)
    support = near.astype(np.int64) @ out_counts  # outline pixels alike, per inside cell
    unlike = np.zeros_like(inside)
    unlike[inside] = support[which.ravel()] < UNLIKE_SUPPORT
    if int(unlike.sum()) < UNLIKE_MIN_PX:
        return None
    _, labels, stats, _ = cv2.connectedComponentsWithStats(unlike.view(np.uint8), connectivity=8)
    big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= UNLIKE_MIN_PX)
    big = big[big > 0]
    if big.size == 0:
        return None
    return np.isin(labels, big)


def _with_border(lying: np.ndarray) -> np.ndarray:
    """Pieces lying in a ghost (:func:`_unlike_outline`) with a pixel's border
    (8-neighbourhood), which stays out of the ghost: the border blends a piece with the street
    (the camera's blur, the reduction to SMALL), and absorbed it would be street on the
    piece's outline, alike its colour, and the piece absorbed three checks later
    (market_morning 20004 at 14479 s: a flat box, the street then found clean)."""
    return cv2.dilate(lying.view(np.uint8), _K3).view(bool)


def median(values: np.ndarray) -> float:
    """``float(np.median(values))`` of a non-empty 1-D float array without NaN, by one sort:
    the same number (the middle value, or the two middle values' mean in their own dtype),
    at an eighth of the cost on the tens to hundreds of outline pixels of a ghost (4-8 us
    against np.median's 35-60 us here, 28-519 values)."""
    s = np.sort(values)
    k = s.size // 2
    return float(s[k] if s.size % 2 else (s[k - 1] + s[k]) / s.dtype.type(2))


def _cell_keys(planes: list[np.ndarray]) -> np.ndarray:
    """Each pixel's grid cell (``floor`` of each plane) packed into one int64 key, CELL_BITS
    per plane: a 1-D ``np.unique`` of keys costs a tenth of one of (n, 3) rows (``axis=0``).
    Cells lie far inside the packed range (grey: 255 / (UNLIKE_GREY * CHROMA_Y0) < 107;
    chromaticity: 128 / CHROMA_Y0 / UNLIKE_CHROMA < 134 either side); clipped to it anyway,
    so that no two cells ever share a key."""
    keys = np.zeros(planes[0].shape, np.int64)
    for plane in planes:
        cell = np.clip(np.floor(plane), -_CELL_OFFSET, _CELL_OFFSET - 1).astype(np.int64)
        keys <<= CELL_BITS
        keys |= cell + _CELL_OFFSET
    return keys


def _key_cells(keys: np.ndarray, n_planes: int) -> np.ndarray:
    """The cells (n, ``n_planes``) of packed keys (:func:`_cell_keys`)."""
    shifts = CELL_BITS * np.arange(n_planes - 1, -1, -1, dtype=np.int64)
    return ((keys[:, None] >> shifts) & ((1 << CELL_BITS) - 1)) - _CELL_OFFSET


def _planes(
    planar: np.ndarray | None, win: tuple[slice, slice] | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """Both planes of a planar two-channel image, or their window ``win`` (views)."""
    if planar is None:
        return None
    h = planar.shape[0] // 2
    if win is None:
        return planar[:h], planar[h:]
    return planar[:h][win], planar[h:][win]


def _edges(grey: np.ndarray, chroma: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """L1 Sobel gradient magnitude of grey plus, if given, both colour-difference planes."""
    e = _sobel_l1(grey)
    if chroma is not None:
        e += _sobel_l1(chroma[0]) + _sobel_l1(chroma[1])
    return e


def _sobel_l1(img: np.ndarray) -> np.ndarray:
    return np.abs(cv2.Sobel(img, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(img, cv2.CV_32F, 0, 1))


_NO_FEATURES = TamperFeatures(0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0)
