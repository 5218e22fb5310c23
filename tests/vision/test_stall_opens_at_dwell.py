"""A crate left in the roadway opens its encroachment episode when it has stayed ``dwell_s``.

The whole chain is real: background models, stationary evidence, ``StallDetector`` and the
session's confirmation hold (``NO_STALL_OPEN_AFTER_S``). The detector judges the object
``CONFIRM_S`` before the dwell so that the hold ends at the dwell; before that, every episode
opened ``CONFIRM_S`` late (fresh market_morning 24001, 24003: past dwell + 30 s).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from edge.device import EpisodeState
from edge.vision.session import CameraSession

from . import simeval

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 27, 5, 0, tzinfo=TZ)
FRAME_S = 0.2
PUT_DOWN_S = 60.0
ROADWAY = [[0.0, 0.4], [1.0, 0.4], [1.0, 1.0], [0.0, 1.0]]


def _opened_after_put_down(dwell_s: float, stay_s: float) -> list[float]:
    """Seconds from putting a crate down to each encroachment episode's opening."""
    cfg = simeval.one_zone_camera(
        {"id": "road", "kind": "no_stall", "polygon": ROADWAY, "dwell_s": dwell_s}
    )
    session = CameraSession(cfg, TZ)
    rng = np.random.default_rng(1)
    street = np.clip(rng.normal(110, 12, (360, 640, 3)), 0, 255).astype(np.uint8)
    opened = []
    for i in range(int((PUT_DOWN_S + stay_s + 40.0) / FRAME_S)):
        t = i * FRAME_S
        image = street.astype(np.int16) + rng.integers(-3, 4, street.shape)
        if PUT_DOWN_S <= t < PUT_DOWN_S + stay_s:
            image[230:290, 300:380] = (40, 60, 200)  # a red crate, 80 x 60 px
        for e in session.process(START + timedelta(seconds=t), image.clip(0, 255).astype(np.uint8)):
            if e.zone == "road" and e.state is EpisodeState.OPENED:
                opened.append((e.ts - START).total_seconds() - PUT_DOWN_S)
    return opened


@pytest.mark.parametrize("dwell_s", [60.0, 90.0])
def test_crate_opens_its_episode_at_the_dwell(dwell_s: float) -> None:
    (opened,) = _opened_after_put_down(dwell_s, dwell_s + 30.0)
    assert dwell_s - 1.0 <= opened <= dwell_s + 3.0


def test_crate_taken_away_before_the_dwell_opens_nothing() -> None:
    assert _opened_after_put_down(60.0, 55.0) == []
