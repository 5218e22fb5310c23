"""no_stall: an object taken away stops counting once its pixels are no longer foreground,
though their stationary evidence takes minutes to decay."""

from __future__ import annotations

import numpy as np
import pytest

from models.vision.context import FrameContext
from models.vision.frame import SMALL
from models.vision.zones.stall import CONFIRM_S, GONE_AFTER_S, StallDetector
from whistle.config.camera import NoStallZone

from .test_zone_models import _flat_background

SACKS = (slice(50, 62), slice(30, 44))
TABLE = (slice(44, 56), slice(36, 52))  # overlaps the sacks' upper part


@pytest.mark.parametrize("after_s", [21.0, 60.0, 100.0])
def test_goods_taken_away_leave_the_next_object_its_own_age(after_s: float) -> None:
    """Sacks lie 500 s; a table is put down beside them, overlapping; 90 s later the sacks
    are taken away. Their evidence decays at ``decay`` (4) times the rate it grew, so it
    stays above the stationary threshold for two minutes; the zone judges the table alone,
    with its own age, from ``GONE_AFTER_S`` after the removal. (Where the next object
    covers the same pixels their evidence runs on, and this does not tell them apart:
    market_morning 21002 at 5977 s, sacks then a table in one episode.)"""
    h, w = SMALL[1], SMALL[0]
    grey, bg = _flat_background()
    zone = NoStallZone(id="lane", kind="no_stall", polygon=[(0, 0), (1, 0), (1, 1), (0, 1)])
    detector = StallDetector(zone, np.ones((h, w), bool), lag_s=0.0)
    empty = np.zeros((h, w), np.uint8)
    table_down, gone = 410, 500

    def judge(t: float) -> dict[str, float]:
        st = bg.stationary_s
        st[:] = 0.0
        fg = np.zeros((h, w), bool)
        if t < gone:
            st[SACKS] = t
            fg[SACKS] = True
        else:
            st[SACKS] = max(0.0, gone - 4.0 * (t - gone))  # decaying, no longer foreground
        if t >= table_down:
            st[TABLE] = t - table_down
            fg[TABLE] = True
        bg.fg_any = fg
        judgement = detector.update(FrameContext(t, None, grey, bg, empty, empty, SMALL))
        return {"active": float(judgement.active), **judgement.measured}

    for t in range(0, gone):
        judge(float(t))
    assert judge(float(gone - 1))["active"] == 1.0  # the sacks, 499 s
    later = judge(gone + after_s)
    table_age = gone + after_s - table_down
    assert after_s > GONE_AFTER_S
    assert later["age_s"] == pytest.approx(table_age)
    assert later["active"] == float(table_age >= zone.dwell_s - CONFIRM_S)
