"""``cleanliness``: people standing in the street after closing are not rubbish.

Somebody who stops to talk differs from the clean street as long as rubbish does; their
foreground blob is shaped like a person standing (``standing_person``), a heap's is not
(market_morning 31002: eight alerts from 08:34 to 08:52, each while somebody stood 20-40 s).
"""

from __future__ import annotations

import numpy as np
import pytest

from models.vision.background import DualBackground
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.frame import SMALL
from models.vision.ground import Ground
from models.vision.zones.litter import LITTER_STILL_S, LitterDetector
from whistle.config.camera import GroundPlane

from .test_litter_learned import CHECK_AT, LEARNED_AT, H, W, _morning_light, _paving, _zone

GROUND = Ground(GroundPlane(horizon_y=0.20, height_m=4.0, focal_y=1.0), SMALL)
#: Where what stands there meets the street (row at the working size: 6.9 m off).
FOOT_ROW = 70
X0 = 70


def _person_height_px() -> int:
    return round(GROUND.person_height_px(FOOT_ROW - 0.5))


#: (width, height (px), rows above the foot row): what differs from the clean street, and
#: the long-term foreground blob (grey or colour) it belongs to.
Rect = tuple[int, int, int]
_PERSON: Rect = (5, _person_height_px(), 0)
#: ... of whom only the torso differs from the street (0.6 m: not tall enough to be upright)
_TORSO: Rect = (6, 7, 8)


def _learned() -> tuple[LitterDetector, DualBackground, np.ndarray]:
    """A detector with the ground calibration that learned the clean paving at 11:00, its
    background, and the paving's reflectance."""
    paving = _paving(np.random.default_rng(4))
    cfg, mask = _zone()
    detector = LitterDetector(cfg, mask, GROUND)
    street = paving * 300.0
    bg = DualBackground(np.ones((H, W), bool))
    bg.reset(street)
    none = np.zeros((H, W), np.uint8)
    assert not detector.update(FrameContext(0.0, LEARNED_AT, street, bg, none, none, SMALL)).active
    return detector, bg, paving


def _standing(
    learned: tuple[LitterDetector, DualBackground, np.ndarray],
    differs: np.ndarray,
    foreground: np.ndarray,
    seconds: int,
    t0_s: float,
) -> list[ZoneJudgement]:
    """The verdicts, once a second from ``t0_s`` after the check, while something dark
    differs from the street at ``differs`` and ``foreground`` is long-term foreground (it
    stood there, not moving)."""
    detector, bg, paving = learned
    morning = paving * _morning_light(False)
    morning[differs] = 20.0  # dark clothes, dark bags
    bg.reset(morning)
    none = np.zeros((H, W), np.uint8)
    verdicts = []
    for k in range(seconds):
        bg.fg_any = foreground
        ctx = FrameContext(t0_s + k, CHECK_AT, morning, bg, foreground.view(np.uint8), none, SMALL)
        verdicts.append(detector.update(ctx))
    return verdicts


@pytest.mark.parametrize(
    ("differs", "foreground", "alert"),
    [
        (_PERSON, _PERSON, False),  # somebody standing, 0.5 m wide, full height
        (_PERSON, None, False),  # ... not foreground: an upright piece 1.7 m tall
        (_TORSO, _PERSON, False),  # ... only the torso differs: a person's blob
        ((10, 5, 0), (10, 5, 0), True),  # a heap of bags
        ((5, 9, 0), (5, 9, 0), True),  # sacks as narrow as a person, half as tall
    ],
    ids=["person", "upright", "torso", "heap", "sacks"],
)
def test_a_person_standing_is_not_rubbish(
    differs: Rect, foreground: Rect | None, alert: bool
) -> None:
    fg = np.zeros((H, W), bool) if foreground is None else _rect(foreground)
    verdict = _standing(_learned(), _rect(differs), fg, int(LITTER_STILL_S) + 2, 1.0)[-1]
    assert verdict.active is alert, verdict.measured


def _rect(r: Rect) -> np.ndarray:
    width, height, above = r
    out = np.zeros((H, W), bool)
    out[FOOT_ROW - above - height : FOOT_ROW - above, X0 : X0 + width] = True
    return out


def test_somebody_standing_over_the_rubbish_does_not_close_its_alert() -> None:
    """Rubbish opens the alert; a person who then stops over it hides it (his blob is a
    person's), and the alert stands while everything that differs still measures half of
    ``max_litter``."""
    learned = _learned()
    heap = _rect((5, 8, 0))  # 0.6 m: lying there
    person = _rect(_PERSON)
    lying_s = int(LITTER_STILL_S) + 2
    verdicts = _standing(learned, heap, heap, lying_s, 1.0)
    verdicts += _standing(learned, person, person, 10, 1.0 + lying_s)
    assert all(v.active for v in verdicts[int(LITTER_STILL_S) :]), [v.measured for v in verdicts]
