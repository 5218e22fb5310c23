"""What every zone detector shares: the protocol they follow and small helpers."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from models.vision.blobs import Blob, person_shaped
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.ground import Ground

#: Stationary evidence (s) from which a pixel belongs to a stopped object.
STATIONARY_FROM_S = 4.0
K3 = np.ones((3, 3), np.uint8)
#: With a ground calibration, a narrow upright blob is a standing person only when it is at
#: least this share of a 1.7 m person's image height at its foot row: a heap of sacks seen
#: from the side is as narrow, but half as tall.
PERSON_HEIGHT_SHARE = 0.75
#: ... and at most this wide (m): a person standing behind goods merges with them into one
#: blob, which is then wider than anybody's shoulders.
PERSON_MAX_WIDTH_M = 1.5


class ZoneDetector(Protocol):
    @property
    def zone(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def period_s(self) -> float:
        """Device seconds between judgements (0: every analysed frame). In between, the
        analyzer repeats the last judgement: a kind that judges over minutes (a stall's dwell,
        a crowd's smoothed density, rubbish) need not pay for every frame."""
        ...

    def update(self, ctx: FrameContext) -> ZoneJudgement: ...


def px(frac: float, size: tuple[int, int]) -> int:
    """``frac`` of the image area of ``size`` (width, height) in whole pixels (at least 1)."""
    return max(1, round(frac * size[0] * size[1]))


def standing_person(b: Blob, image_area_px: int, ground: Ground | None) -> bool:
    """Is ``b`` a person standing: taller than wide and no larger than a near person
    (:func:`person_shaped`) and, with a ``ground`` calibration, at least
    ``PERSON_HEIGHT_SHARE`` of a person's image height at its foot row and at most
    ``PERSON_MAX_WIDTH_M`` wide?"""
    if not person_shaped(b, image_area_px):
        return False
    width = None if ground is None else ground.width_at_row_m(b.width, b.y1 - 0.5)
    if ground is None or width is None:
        return True
    return (
        b.height >= PERSON_HEIGHT_SHARE * ground.person_height_px(b.y1 - 0.5)
        and width <= PERSON_MAX_WIDTH_M
    )
