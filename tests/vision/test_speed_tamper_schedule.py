"""The tamper check runs every ``TAMPER_PERIOD_S`` of device time, not on every frame.

What that must not change: a view that changes all at once between two checks is checked at
once and not learned as the scene, and a cover is reported ``hold_s`` after it is first seen,
with the first sight at most one period late.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.vision.analyzer import TAMPER_PERIOD_S, SceneAnalyzer
from whistle.config.camera import CameraConfig

#: Seconds between frames (the default analysis rate, 5 fps).
FRAME_S = 0.2
HOLD_S = 2.0


def _config() -> CameraConfig:
    return CameraConfig.model_validate(
        {
            "id": "cam",
            "name": "cam",
            "kind": "camera",
            "source": {"kind": "file"},
            "tamper": {"hold_s": HOLD_S},
        }
    )


def _texture(seed: int) -> np.ndarray:
    """A 640x360 BGR view with detail at every scale (blurred noise plus fine noise)."""
    rng = np.random.default_rng(seed)
    coarse = cv2.resize(
        rng.integers(40, 220, (18, 32, 3), dtype=np.uint8),
        (640, 360),
        interpolation=cv2.INTER_LINEAR,
    )
    fine = rng.integers(-25, 25, (360, 640, 3))
    return np.clip(coarse.astype(np.int32) + fine, 0, 255).astype(np.uint8)


def _settled(scene: np.ndarray, frames: int) -> tuple[SceneAnalyzer, float]:
    """An analyzer that has seen ``frames`` frames of ``scene``; the next frame's time."""
    a = SceneAnalyzer(_config())
    for i in range(frames):
        a.update(scene, i * FRAME_S)
    return a, frames * FRAME_S


@pytest.mark.parametrize("phase", [0, 1, 2])
def test_a_turned_view_between_checks_is_caught_at_once_and_not_learned(phase: int) -> None:
    # the turn lands on each of three frames in a row: one of them is a scheduled check
    scene, elsewhere = _texture(1), _texture(2)
    a, t = _settled(scene, 50 + phase)
    assert a.bg.long is not None
    long_before = a.bg.long.copy()
    r = a.update(elsewhere, t)
    assert r.tamper.since_s == pytest.approx(t)
    assert not r.relearned
    assert np.array_equal(a.bg.long, long_before)


def test_a_cover_is_reported_after_its_hold_and_at_most_a_period_late() -> None:
    scene = _texture(3)
    cover = np.full_like(scene, 12)  # a hand over the lens: dark and flat
    a, t0 = _settled(scene, 51)
    opened: float | None = None
    first_seen: float | None = None
    for i in range(40):
        t = t0 + i * FRAME_S
        r = a.update(cover, t)
        if r.tamper.since_s is not None and first_seen is None:
            first_seen = r.tamper.since_s
        if r.tamper.subtype is not None:
            opened = t
            assert r.tamper.subtype == "covered"
            break
    assert first_seen is not None and opened is not None
    assert t0 <= first_seen < t0 + TAMPER_PERIOD_S
    # the hold counts in device seconds from the first sight, checked on every frame
    assert first_seen + HOLD_S <= opened < first_seen + HOLD_S + FRAME_S + 1e-6


@pytest.mark.parametrize(
    ("scenario", "seed", "learn_s", "after_s", "moved"),
    [
        # the street lamps of the simulated dawn go out at 1167-1168 s: the low-pass view
        # correlates 0.45-0.52 with the reference afterwards, the edges stay
        ("dawn_quiet", 9202, (1150.0, 1166.0), (1168.0, 1185.0), False),
        ("tamper_moved", 9203, (30.0, 50.0), (56.0, 70.0), True),
    ],
)
def test_street_lamps_going_out_are_not_a_turned_camera(
    scenario: str,
    seed: int,
    learn_s: tuple[float, float],
    after_s: tuple[float, float],
    moved: bool,
) -> None:
    from firmware_sim.camera.market import make_renderer
    from models.vision.frame import prepare
    from models.vision.tamper import TamperDetector

    renderer = make_renderer(scenario, seed)
    detector = TamperDetector(np.ones((180, 320), bool), hold_s=2.0)
    states = []
    for start, end in (learn_s, after_s):
        for t in np.arange(start, end, 0.5):
            states.append(detector.update(prepare(renderer.frame_at(float(t))).grey_m, float(t)))
    after = states[-int((after_s[1] - after_s[0]) / 0.5) :]
    assert min(s.features.similarity for s in after) < 0.5  # the low-pass view did change
    assert any(s.subtype == "moved" for s in after) is moved
