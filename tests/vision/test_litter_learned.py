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
from models.vision.context import FrameContext, ZoneJudgement
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


def _context(
    grey: np.ndarray,
    bg: DualBackground,
    local: time,
    t_s: float = 0.0,
    moving: np.ndarray | None = None,
) -> FrameContext:
    none = np.zeros((H, W), np.uint8)
    return FrameContext(t_s, local, grey, bg, none, none if moving is None else moving, (W, H))


def _judged(
    detector: LitterDetector,
    grey: np.ndarray,
    bg: DualBackground,
    seconds: float = LITTER_STILL_S,
    local: time = CHECK_AT,
    t0_s: float = 1.0,
) -> ZoneJudgement:
    """The verdict after ``grey`` was judged once a second for ``seconds`` (from ``t0_s``):
    a difference from the clean street counts once it lasted ``LITTER_STILL_S``."""
    verdict = None
    for k in range(int(seconds) + 1):
        verdict = detector.update(_context(grey, bg, local, t0_s + k))
    assert verdict is not None
    return verdict


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
    verdict = _judged(detector, morning, bg)
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
    verdict = detector.update(_context(morning, bg, CHECK_AT, 1.0))
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
        verdict = _judged(detector, grey, bg)
        assert verdict.active is alert, verdict.measured
        if alert:
            assert verdict.box is not None
            x0, y0, x1, y1 = verdict.box
            tx0, ty0, tx1, ty1 = event.box
            margin = 0.02
            assert x0 >= tx0 - margin and y0 >= ty0 - margin
            assert x1 <= tx1 + margin and y1 <= ty1 + margin
            assert (x1 - x0) * (y1 - y0) >= 0.5 * (tx1 - tx0) * (ty1 - ty0)


def _street_and_carton(rows: int = 6, cols: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The clean street (learned at 11:00) and the morning with a dark carton ``cols`` px
    wide and ``rows`` high at (110, 60) (8 x 6 px: 48 px, 0.0048 of the zone; ``max_litter``
    0.003 is 30 px)."""
    paving = _paving(np.random.default_rng(4))
    light = _morning_light(False)
    morning = paving * light
    morning[60 : 60 + rows, 110 : 110 + cols] = 0.12 * light[60 : 60 + rows, 110 : 110 + cols]
    return paving * 300.0, morning


@pytest.mark.parametrize(
    ("seconds", "crossed_every", "alert"),
    [
        (LITTER_STILL_S - 5.0, 0, False),  # a bag set down for 25 s, a person pausing
        (LITTER_STILL_S, 0, True),
        # passers-by over it on every third judgement: those seconds do not count, nor do
        # they start the count again
        (1.5 * LITTER_STILL_S, 3, True),
        (1.2 * LITTER_STILL_S, 3, False),
    ],
)
def test_a_difference_from_the_clean_street_must_last_to_be_rubbish(
    seconds: float, crossed_every: int, alert: bool
) -> None:
    street, morning = _street_and_carton()
    detector, bg = _learned(street)
    bg.reset(morning)
    over = np.zeros((H, W), np.uint8)
    over[55:70, 105:122] = 1  # a passer-by's moving outline over the carton
    verdict = None
    for k in range(int(seconds) + 1):
        crossed = crossed_every and k % crossed_every == crossed_every - 1
        ctx = _context(morning, bg, CHECK_AT, 1.0 + k, over if crossed else None)
        verdict = detector.update(ctx)
    assert verdict is not None and verdict.active is alert, verdict


def test_rubbish_lying_before_the_check_is_found_at_the_check() -> None:
    """Compared from LITTER_STILL_S before ``check_at`` on, alerting from it."""
    street, morning = _street_and_carton()
    detector, bg = _learned(street)
    bg.reset(morning)
    check_s = CHECK_AT.hour * 3600 + CHECK_AT.minute * 60
    for k in range(int(LITTER_STILL_S) + 1):
        s = check_s - LITTER_STILL_S + k
        local = time(int(s // 3600), int(s % 3600 // 60), int(s % 60))
        verdict = detector.update(_context(morning, bg, local, 1.0 + k))
        assert verdict.active is (local >= CHECK_AT), (local, verdict.measured)


def test_an_alert_stands_until_the_rubbish_measures_under_half_the_limit() -> None:
    """Hysteresis: rubbish half hidden (24 px, 0.8 of ``max_litter``) keeps the alert that
    the whole carton opened, though on its own it would open none; a quarter (12 px) is under
    half the limit and clears it."""
    street, whole = _street_and_carton(6, 8)
    half, quarter = _street_and_carton(3, 8)[1], _street_and_carton(3, 4)[1]
    detector, bg = _learned(street)
    bg.reset(whole)
    assert _judged(detector, whole, bg).active
    assert _judged(detector, half, bg, t0_s=100.0).active
    fresh, _ = _learned(street)
    assert not _judged(fresh, half, bg).active, "24 px alone opened an alert"
    assert not _judged(detector, quarter, bg, t0_s=200.0).active


@pytest.mark.parametrize(("street_s", "alert"), [(1, True), (3, False)])
def test_a_moment_of_clean_street_does_not_start_the_count_again(
    street_s: int, alert: bool
) -> None:
    """25 s of carton, ``street_s`` s in which it looks like the street (a passer-by's
    shadow, noise), 16 s of carton: one second takes back FORGET_RATE s of the count, so the
    carton has lasted 31 s; three seconds take it all."""
    street, carton = _street_and_carton()
    bare = _street_and_carton(0)[1]
    detector, bg = _learned(street)
    bg.reset(carton)
    frames = [carton] * 26 + [bare] * street_s + [carton] * 16
    verdicts = [
        detector.update(_context(grey, bg, CHECK_AT, 1.0 + k)) for k, grey in enumerate(frames)
    ]
    assert verdicts[-1].active is alert, verdicts[-1].measured


@pytest.mark.parametrize(
    ("rows", "cols", "alert"),
    [
        (1, 40, True),  # a flat sheet far off: one pixel high, across the image
        (40, 1, False),  # one pixel wide, down the image: left by an edge, not rubbish
        (1, 3, False),  # a speck
    ],
)
def test_what_lies_flat_runs_across_the_image(rows: int, cols: int, alert: bool) -> None:
    """Against the clean street, pieces one pixel high are kept if they run across the image
    (what lies flat on the street, seen from a pole); lines one pixel wide are not. 40 px is
    0.004 of the zone (``max_litter`` 0.003)."""
    paving = _paving(np.random.default_rng(4))
    light = _morning_light(False)
    morning = paving * light
    morning[45 : 45 + rows, 60 : 60 + cols] = 0.12 * light[45 : 45 + rows, 60 : 60 + cols]
    detector, bg = _learned(paving * 300.0)
    bg.reset(morning)
    verdict = _judged(detector, morning, bg)
    assert verdict.active is alert, verdict.measured
