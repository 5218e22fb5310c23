"""An absorbed region gets its former background back when it shows again
(``models.vision.revealed``, ``DualBackground.restore_revealed``)."""

from __future__ import annotations

import numpy as np
import pytest

from models.vision.analyzer import SceneAnalyzer
from models.vision.background import DualBackground
from models.vision.frame import SMALL
from models.vision.revealed import KEEP_S, VOTES, Revealed
from whistle.config.camera import CameraConfig

H, W = SMALL[1], SMALL[0]
#: Where somebody stood still and was absorbed: 6 x 14 pixels (a person at about 6 m).
SPOT = (slice(60, 74), slice(120, 126))


def _street() -> np.ndarray:
    """Paving at grey 85 with a painted line (grey 125) running through the spot."""
    street = np.full((H, W), 85.0, np.float32)
    for row in range(H):
        street[row, (row + 60) % W : (row + 60) % W + 2] = 125.0
    return street


def _with(patch: float) -> np.ndarray:
    image = _street()
    image[SPOT] = patch
    return image


def _absorbed() -> tuple[DualBackground, float]:
    """A background that learned the street for 1 s (5 fps), then took a person (grey 60)
    standing on the spot for 1 s into its models, as the ghost test does; and the time."""
    bg = DualBackground(np.ones((H, W), bool))
    street, person = _street(), _with(60.0)
    t = 0.0
    for i in range(11):
        t = i * 0.2
        bg.update(street if i < 5 else person, t)
    region = np.zeros((H, W), bool)
    region[SPOT] = True
    bg.absorb(region, person)
    return bg, t


def _run(bg: DualBackground, frame: np.ndarray, t0: float, seconds: float) -> float:
    """``frame`` for ``seconds`` from ``t0`` at 5 fps, the former background given back
    once a second (as ``SceneAnalyzer`` does); the last frame's time."""
    t = t0
    for i in range(1, round(seconds * 5) + 1):
        t = t0 + i * 0.2
        bg.update(frame, t)
        if i % 5 == 0:
            bg.restore_revealed(frame)
    return t


@pytest.mark.parametrize(
    ("stay_s", "then", "restored"),
    [
        # the person walked on at once: the street they hid shows again
        (0.0, "street", True),
        # ... after standing four more minutes
        (240.0, "street", True),
        # ... after the former background is forgotten: left to the ghost test
        (KEEP_S + 10.0, "street", False),
        # a crate (grey 160) put down where they stood: not the street, an object
        (0.0, "crate", False),
        # still standing there: nothing is foreground, nothing to give back
        (0.0, "person", False),
    ],
    ids=["left_at_once", "left_later", "forgotten", "other_object", "still_there"],
)
def test_the_former_background_comes_back_where_it_shows_again(
    stay_s: float, then: str, restored: bool
) -> None:
    bg, t = _absorbed()
    t = _run(bg, _with(60.0), t, stay_s)
    _run(bg, {"street": _street(), "crate": _with(160.0), "person": _with(60.0)}[then], t, 3.0)
    assert bg.long is not None
    back = bool(np.allclose(bg.long[SPOT], _street()[SPOT], atol=1.0))
    assert back is restored
    if restored:
        assert not bg.fg_long[SPOT].any()
        assert (bg.stationary_s[SPOT] == 0.0).all()


def test_a_relearned_view_forgets_what_was_absorbed() -> None:
    """After a re-learn (most of the view changed at once) the models are the new view's;
    what lay under an earlier absorption is no background any more."""
    bg, t = _absorbed()
    bg.reset(_with(60.0))
    _run(bg, _street(), t, 3.0)
    assert bg.long is not None
    assert np.allclose(bg.long[SPOT], 60.0, atol=1.0)


def test_a_person_absorbed_by_the_ghost_test_leaves_no_ghost() -> None:
    """Through ``SceneAnalyzer.update`` (colour frames, no zones): a person as dark as
    nothing else there stands on the spot 20 s and the ghost test takes part of them into
    the background (no new edges on the outline); once they walk on, the street they stood
    on is no foreground 4 s later (three checks in a row). (Without the former background
    it stays foreground: the revealed painted line has edges the background lacks there.)"""
    cfg = CameraConfig.model_validate(
        {"id": "cam", "name": "synthetic", "kind": "camera", "source": {"kind": "file"}}
    )
    analyzer = SceneAnalyzer(cfg)

    def bgr(grey: np.ndarray) -> np.ndarray:
        big = np.repeat(np.repeat(grey, 4, axis=0), 4, axis=1)
        return np.dstack([big, big, big]).astype(np.uint8)

    street, person = bgr(_street()), bgr(_with(60.0))
    t = 0.0
    for i in range(125):  # the street for 4 s, then the person standing for 21 s
        t = i * 0.2
        analyzer.update(street if t < 4.0 else person, t)
    assert analyzer.bg.long is not None
    absorbed = analyzer.bg.long[SPOT] < 70.0
    assert absorbed.mean() > 0.3, "the ghost test absorbed too little of the person to test"
    for i in range(1, 21):  # 4 s of the street again
        analyzer.update(street, t + i * 0.2)
    assert analyzer.bg.fg_long[SPOT].mean() < 0.05
    # the street as the model held it before (within a few grey levels of the frame)
    assert np.allclose(analyzer.bg.long[SPOT][absorbed], _street()[SPOT][absorbed], atol=5.0)


def test_absorbed_again_it_keeps_the_background_from_before_the_first_absorption() -> None:
    """Crates the ghost test takes again and again (their colour foreground comes back after
    each absorption) stand on the spot for four minutes after the first absorption, then are
    taken away: the street from before the first absorption comes back."""
    bg, t = _absorbed()
    crates = _with(60.0)
    region = np.zeros((H, W), bool)
    region[SPOT] = True
    for _ in range(80):  # every 3 s, 240 s
        t = _run(bg, crates, t, 3.0)
        bg.absorb(region, crates)
    _run(bg, _street(), t, 3.0)
    assert bg.long is not None
    assert np.allclose(bg.long[SPOT], _street()[SPOT], atol=1.0)


def test_a_passer_by_matching_the_former_background_for_a_moment_gives_nothing_back() -> None:
    """The former background must show on ``VOTES`` checks in a row: somebody crossing the
    spot whose clothes match it for a second is no revealed street."""
    bg, t = _absorbed()
    t = _run(bg, _street(), t, VOTES - 1.0)  # checks showing the street, one too few
    t = _run(bg, _with(60.0), t, 3.0)
    assert bg.long is not None
    assert np.allclose(bg.long[SPOT], 60.0, atol=1.0)


def test_a_clock_that_went_back_keeps_what_was_absorbed_before() -> None:
    """A source restarted its clock: pixels absorbed at 1000 s stay kept after pixels
    absorbed at 10 s, until their own time is up."""
    revealed = Revealed((H, W))
    first, second = np.zeros((H, W), bool), np.zeros((H, W), bool)
    first[SPOT] = True
    second[0:4, 0:4] = True
    long = np.full((H, W), 85.0, np.float32)
    revealed.remember(first, long, None, 1000.0)
    revealed.remember(second, long, None, 10.0)
    kept = revealed.kept(1000.0 + KEEP_S - 1.0)
    assert kept is not None and kept[SPOT].all() and not kept[0:4, 0:4].any()
