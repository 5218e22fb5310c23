"""``no_stall``: a new stationary object in the roadway longer than its dwell."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from models.vision.blobs import Blob, box_area, box_common, find_blobs
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.ground import Ground
from models.vision.zones.common import K3, STATIONARY_FROM_S, px, standing_person
from whistle.config.camera import NoStallZone

#: A stationary blob down to PERSIST_AREA_SHARE of ``min_area`` counts once it has stayed
#: PERSIST_S: a crate as grey as the paving shows only part of its box, and time (not
#: size) is what tells an object from noise.
PERSIST_AREA_SHARE = 0.5
PERSIST_S = 60.0
#: Seconds after a pixel was last long-term foreground (grey or colour, ``fg_any``) that
#: it stops counting for a stationary object. Where a pixel is no longer foreground its
#: stationary evidence decays at ``BackgroundSettings.decay`` times the step, so goods that
#: lay for minutes leave evidence behind after they are taken away, and the zone went on
#: judging them there: "it closes when the object is gone" (side by side on 32 development
#: runs, 2026-12-07: 4 of 35 episodes closed 14-20 s sooner, the longest lag after the
#: removal 58.7 -> 38.7 s; no other count changed). Longer than the gaps in a low-contrast
#: object's foreground, which comes and goes in patches; shorter than the hysteresis.
GONE_AFTER_S = 20.0
#: An object judged as one for HELD_AFTER_S keeps its age for a blob that still covers at
#: least HELD_SHARE of its last box (judged again within HELD_GAP_S): the age is the 75th
#: percentile of the blob's evidence, and passers-by stopping beside goods join the blob
#: with seconds of evidence and pull it down (held-out market_morning 9302 at 8051-8061 s:
#: 171 -> 168 s while 10 s passed). Only after a minute: a blob that has just formed (old
#: scattered pixels joined up by a tricycle stopping by, market_morning 9301 at 12509 s) can
#: show a high age for a moment, which must not be kept. A blob whose own age falls more than
#: HELD_DROP_S below the carried one is a new object where the old one stood (sacks taken
#: away, crates put down in their place: development market_morning 1 at 8508 s).
#: A blob lying mostly (HELD_SHARE of its box) inside the last box continues the object too:
#: passers-by standing beside goods join their blob and the judged box grows, then shrinks
#: back to the goods when they go, whose own evidence froze while people crossed in front
#: (market_morning 17003 at 12465 s: the sacks alone 94 s against 108 s carried; opened
#: 210.3 s after they were put down, past dwell + 30 s).
HELD_AFTER_S = 60.0
HELD_DROP_S = 30.0
HELD_GAP_S = 5.0
HELD_SHARE = 0.5
#: Seconds of unbroken judgement the caller (``edge.vision.session``) waits before it opens
#: an episode, so that an object judged for a moment is no encroachment. The judgement turns
#: active this much before ``dwell_s``: the episode then opens when the object has stayed
#: ``dwell_s``, as the zone's setting says, instead of ``CONFIRM_S`` after it (fresh
#: market_morning 24001 and 24003: crates found 211.3 and 210.6 s after they were put down,
#: past dwell + 30 s).
CONFIRM_S = 10.0


@dataclass(frozen=True)
class _Held:
    """The last judged object: device time, age (s), blob, and since when it is one."""

    t_s: float
    age_s: float
    blob: Blob
    since_s: float

    def continued_by(self, b: Blob, t_s: float) -> bool:
        """Is ``b``, judged at ``t_s``, this object still? Judged within HELD_GAP_S, and
        covering HELD_SHARE of the last box or lying HELD_SHARE inside it."""
        held = self.blob.box
        smaller = min(box_area(held), box_area(b.box))
        return t_s - self.t_s <= HELD_GAP_S and box_common(b.box, held) >= HELD_SHARE * smaller


@dataclass
class StallDetector:
    """``no_stall``: a stationary object (Porikli evidence) in the zone longer than ``dwell``.

    The judgement is active from ``dwell_s - CONFIRM_S`` of age on; the caller opens the
    episode after ``CONFIRM_S`` of active judgements, at the dwell."""

    cfg: NoStallZone
    mask: np.ndarray
    ground: Ground | None = None
    #: Seconds the short-term model needs to absorb a stopped object (about 1.6 tau_short):
    #: evidence starts that late, so it is added back to the object's age.
    lag_s: float = 8.0
    kind: str = "no_stall"
    #: Judged once a second: a stall counts after a dwell of minutes.
    period_s: float = 1.0
    _held: _Held | None = None
    #: Device time (s) at which each pixel was last seen long-term foreground.
    _seen_s: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self._seen_s = np.full(self.mask.shape, -np.inf)

    @property
    def zone(self) -> str:
        return self.cfg.id

    def _aged(self, age: float, b: Blob, t_s: float) -> float:
        """``age`` (s), or the held object's age carried on to ``t_s`` if ``b`` continues an
        object judged as one for HELD_AFTER_S: its age does not fall while it stays."""
        held = self._held
        if held is None or t_s - held.since_s < HELD_AFTER_S or not held.continued_by(b, t_s):
            return age
        carried = held.age_s + (t_s - held.t_s)
        return carried if age < carried <= age + HELD_DROP_S else age

    def _still_there(self, ctx: FrameContext) -> np.ndarray:
        """Pixels long-term foreground within the last ``GONE_AFTER_S`` (bool); a clock
        that went back (a restarted source) counts as recent."""
        self._seen_s[ctx.bg.fg_any] = ctx.t_s
        return np.asarray(ctx.t_s - self._seen_s <= GONE_AFTER_S)

    def update(self, ctx: FrameContext) -> ZoneJudgement:
        st = ctx.bg.stationary_s
        cand = (st >= STATIONARY_FROM_S) & self.mask & self._still_there(ctx)
        if not cand.any():
            return ZoneJudgement(self.zone, self.kind, False, measured={"age_s": 0.0})
        # goods show in patches (parts as bright and as coloured as the paving): close the
        # gaps between them before measuring the area
        cand = cv2.morphologyEx(cand.view(np.uint8), cv2.MORPH_CLOSE, K3).astype(bool)
        cand &= self.mask
        min_px = px(self.cfg.min_area, ctx.size)
        blobs, labels = find_blobs(cand, max(1, round(PERSIST_AREA_SHARE * min_px)))
        best: tuple[float, Blob] | None = None
        n_px = ctx.size[0] * ctx.size[1]
        for b in blobs:
            if self.cfg.ignore_people and standing_person(b, n_px, self.ground):
                continue
            age = self._aged(
                float(np.percentile(st[labels == b.label], 75)) + self.lag_s, b, ctx.t_s
            )
            # a blob smaller than min_area counts only once it has stayed PERSIST_S
            if b.area < min_px and age < PERSIST_S:
                continue
            if best is None or age > best[0]:
                best = (age, b)
        if best is None:
            return ZoneJudgement(self.zone, self.kind, False, measured={"age_s": 0.0})
        age, blob = best
        held = self._held
        since = held.since_s if held is not None and held.continued_by(blob, ctx.t_s) else ctx.t_s
        self._held = _Held(ctx.t_s, age, blob, since)
        return ZoneJudgement(
            self.zone,
            self.kind,
            age >= self.cfg.dwell_s - CONFIRM_S,
            box=blob.norm_box(ctx.size),
            measured={"age_s": round(age, 1), "area": blob.area / n_px},
            first_seen_s=ctx.t_s - age,
        )
