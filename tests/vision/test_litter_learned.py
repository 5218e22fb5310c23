"""``cleanliness`` against the clean street learned in its ``learn`` window.

The street is learned in daylight after sweeping and compared at ``check_at`` the next morning
under other light: brighter or dimmer, a building's shadow across part of the street. The
light ratio field (``LitterDetector._light``) must take that out and leave the rubbish.
"""

from __future__ import annotations

import dataclasses
from datetime import time

import cv2
import numpy as np
import pytest

from models.vision.background import DualBackground
from models.vision.context import FrameContext
from models.vision.frame import SMALL, prepare
from models.vision.zones.litter import LITTER_STILL_S, LitterDetector
from whistle.config.camera import CleanlinessZone

W, H = SMALL
#: The street part of the image (the zone): rows from 30 % down.
ZONE_TOP = 0.3
LEARNED_AT = time(11, 0)
CHECK_AT = time(9, 0)


def _zone() -> tuple[CleanlinessZone, np.ndarray]:
    cfg = CleanlinessZone.model_validate(
        {
            "id": "street",
            "kind": "cleanliness",
            "polygon": [(0, ZONE_TOP), (1, ZONE_TOP), (1, 1), (0, 1)],
            "max_litter": 0.003,  # the evaluation's (tests/vision/simeval.py)
        }
    )
    mask = np.zeros((H, W), bool)
    mask[int(ZONE_TOP * H) :, :] = True
    return cfg, mask


def _paving(rng: np.random.Generator) -> np.ndarray:
    """Reflectance of grey tiles with darker joints, 0..1, at SMALL."""
    cells = rng.uniform(0.40, 0.55, (9, 16)).astype(np.float32)
    tiles: np.ndarray = cv2.resize(cells, (W, H), interpolation=cv2.INTER_NEAREST)
    tiles[::10, :] *= np.float32(0.7)
    tiles[:, ::10] *= np.float32(0.7)
    return tiles


def _morning_light(shadow: bool) -> np.ndarray:
    """Grey levels per unit reflectance at the check: dimmer than at 11:00, brighter towards
    the camera, and (``shadow``) a building's shadow over the left of the street, its edge a
    slanted straight line with a 2 px penumbra, 0.45 of the sunlit level."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    light = 150.0 + 50.0 * yy / H
    if shadow:
        edge = 60.0 + 0.5 * (yy - H / 2)
        light *= 1.0 - 0.55 * np.clip((edge - xx) / 2.0 + 0.5, 0.0, 1.0)
    return light


def _context(grey: np.ndarray, bg: DualBackground, local: time) -> FrameContext:
    none = np.zeros((H, W), np.uint8)
    return FrameContext(0.0, local, grey, bg, none, none, (W, H))


def _learned(
    street: np.ndarray, chroma: np.ndarray | None = None, at: time = LEARNED_AT
) -> tuple[LitterDetector, DualBackground]:
    """A detector that learned ``street`` (grey at SMALL, float32; ``chroma``: its colour
    differences, planar) as clean at ``at``."""
    cfg, mask = _zone()
    detector = LitterDetector(cfg, mask)
    bg = DualBackground(np.ones((H, W), bool))
    bg.reset(street, chroma)
    assert not detector.update(_context(street, bg, at)).active
    return detector, bg


@pytest.mark.parametrize(
    ("shadow", "carton_at", "alert"),
    [
        (False, None, False),  # dimmer light alone is not rubbish
        (True, None, False),  # nor is a building's shadow edge across the street
        (True, (110, 60), True),  # a carton in the sun
        (True, (25, 70), True),  # a carton in the shadow
        (True, (57, 45), True),  # a carton on the shadow's edge
    ],
)
def test_rubbish_against_the_street_learned_the_day_before(
    shadow: bool, carton_at: tuple[int, int] | None, alert: bool
) -> None:
    paving = _paving(np.random.default_rng(4))
    detector, bg = _learned(paving * 300.0)
    morning = paving * _morning_light(shadow)
    if carton_at is not None:  # a dark carton about 40 x 30 cm, 8 x 6 px
        x, y = carton_at
        morning[y : y + 6, x : x + 8] = 0.12 * _morning_light(shadow)[y : y + 6, x : x + 8]
    bg.reset(morning)  # the running background has long followed the morning's light
    verdict = detector.update(_context(morning, bg, CHECK_AT))
    assert verdict.active is alert, verdict.measured
    if carton_at is not None:
        x, y = carton_at
        assert verdict.box is not None
        x0, y0, x1, y1 = verdict.box
        assert x0 <= (x + 1) / W and x1 >= (x + 7) / W and y0 <= (y + 1) / H
        assert y1 >= (y + 5) / H
        assert x1 - x0 < 0.1 and y1 - y0 < 0.15, "more than the carton differs"


@pytest.mark.parametrize("lay_still", [True, False])
def test_where_the_reference_is_too_dark_what_lay_still_is_judged(lay_still: bool) -> None:
    """A street learned at dusk (8 levels of light per unit reflectance: the reference says
    nothing of the paving in daylight) falls back to what was put down and lay still."""
    paving = _paving(np.random.default_rng(5))
    detector, bg = _learned(paving * 8.0, at=time(15, 59))
    morning = paving * _morning_light(False)
    morning[60:66, 70:78] = 20.0
    bg.reset(morning)
    if lay_still:
        bg.stationary_s[60:66, 70:78] = LITTER_STILL_S + 10.0
    verdict = detector.update(_context(morning, bg, CHECK_AT))
    assert verdict.active is lay_still, verdict.measured


@pytest.mark.parametrize("seed", [3, 8])
def test_simulated_rubbish_against_the_simulated_street_learned_at_ten(seed: int) -> None:
    """The simulator's street: learned bare at 10:00, rubbish of ``after_close_rubbish`` at
    08:34 (rendered alone on the bare street): the alert's box covers the rubbish's truth
    boxes and no more than their union and a margin; the bare street gives no alert."""
    from firmware_sim.camera.market import MarketRenderer
    from firmware_sim.camera.scenarios import build_script

    script = build_script("after_close_rubbish", seed)
    items = [a for a in script.actors if a.cls == "rubbish"]
    event = next(e for e in script.events if e.kind == "cleanliness")
    assert items
    bare = MarketRenderer(dataclasses.replace(script, actors=[], tampers=[]))
    litter = MarketRenderer(dataclasses.replace(script, actors=items, tampers=[]))
    t_learn = 10 * 3600.0 - script.start_tod_s
    t_check = 8.5667 * 3600.0 - script.start_tod_s
    street = prepare(bare.frame_at(t_learn))
    assert street.chroma is not None
    for renderer, alert in ((bare, False), (litter, True)):
        detector, bg = _learned(street.grey, street.chroma, at=time(10, 0))
        now = prepare(renderer.frame_at(t_check))
        assert now.chroma is not None
        grey = now.grey
        bg.reset(grey, now.chroma)
        bg.last_n = bg.long_n  # the chromaticity of the frame judged
        verdict = detector.update(_context(grey, bg, CHECK_AT))
        assert verdict.active is alert, verdict.measured
        if alert:
            assert verdict.box is not None
            x0, y0, x1, y1 = verdict.box
            tx0, ty0, tx1, ty1 = event.box
            margin = 0.02
            assert x0 >= tx0 - margin and y0 >= ty0 - margin
            assert x1 <= tx1 + margin and y1 <= ty1 + margin
            assert (x1 - x0) * (y1 - y0) >= 0.5 * (tx1 - tx0) * (ty1 - ty0)
