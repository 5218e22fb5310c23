"""What every zone detector shares: the protocol they follow and small helpers."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from models.vision.context import FrameContext, ZoneJudgement

#: Stationary evidence (s) from which a pixel belongs to a stopped object.
STATIONARY_FROM_S = 4.0
K3 = np.ones((3, 3), np.uint8)


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
