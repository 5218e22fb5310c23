"""The ghost test's contrast rule: what stands out from its surroundings more in the image
than in the background is an object put down, not a ghost (``models.vision.analyzer``)."""

from __future__ import annotations

import numpy as np
import pytest

from models.vision.analyzer import (
    GHOST_SETTLED_CHECKS,
    GHOST_VOTES,
    SceneAnalyzer,
    _cell_keys,
    _key_cells,
    _Look,
    _stands_out,
    median,
)
from models.vision.background import DualBackground, chromaticity
from models.vision.frame import SMALL
from whistle.config.camera import CameraConfig

#: A 20x20 patch: the blob is the 8x8 square in the middle, its surroundings the 2-pixel ring.
SHAPE = (20, 20)
SL = (slice(0, 20), slice(0, 20))


def _masks() -> tuple[np.ndarray, np.ndarray]:
    region = np.zeros(SHAPE, bool)
    region[6:14, 6:14] = True
    ring = np.zeros(SHAPE, bool)
    ring[4:16, 4:16] = True
    return region, ring & ~region


def _look(inside_grey: float, inside_n: tuple[float, float]) -> _Look:
    """Paving at grey 100, neutral colour; the blob's square at the given grey and
    chromaticity."""
    grey = np.full(SHAPE, 100.0, np.float32)
    n = np.zeros((*SHAPE, 2), np.float32)
    region, _ = _masks()
    grey[region] = inside_grey
    n[region] = inside_n
    return _Look(grey, n)


PAVING = _look(100.0, (0.0, 0.0))


def _analyzer() -> SceneAnalyzer:
    """A camera without zones or masks: the ghost test on its own."""
    cfg = CameraConfig.model_validate(
        {"id": "cam", "name": "synthetic", "kind": "camera", "source": {"kind": "file"}}
    )
    return SceneAnalyzer(cfg)


@pytest.mark.parametrize(
    ("image", "background", "young", "object_"),
    [
        # a crate in another colour: an object at any age
        (_look(100.0, (0.10, -0.05)), PAVING, False, True),
        # olive sacks: a little brighter (+8 of 124: 0.065) and a little yellower (0.04)
        (_look(108.0, (0.01, -0.03)), PAVING, True, True),
        (_look(108.0, (0.01, -0.03)), PAVING, False, False),
        # a ghost: the background still holds the dark thing that left; the image is paving
        (PAVING, _look(60.0, (0.05, 0.05)), True, False),
        # a patch lit a little more, as much in the background (light): no contrast gained
        (_look(108.0, (0.0, 0.0)), _look(108.0, (0.0, 0.0)), True, False),
    ],
    ids=["coloured", "low_contrast_young", "low_contrast_old", "ghost", "light"],
)
def test_object_stands_out_from_its_surroundings_more_than_the_background_did(
    image: _Look, background: _Look, young: bool, object_: bool
) -> None:
    region, outside = _masks()
    assert _stands_out(image, background, SL, region, outside, young) is object_


def test_surroundings_without_background_pixels_tell_nothing() -> None:
    region, _ = _masks()
    nothing = np.zeros(SHAPE, bool)
    assert not _stands_out(_look(100.0, (0.3, 0.3)), PAVING, SL, region, nothing, True)


def test_ghost_beside_an_object_is_absorbed_without_eating_it() -> None:
    """A ghost (A: a dark thing that left) one pixel from an object put down (B, coloured):
    A is absorbed, but its outline does not take B's edge into the background (an object
    lying across a painted line splits along it, and the piece on the line looks like a
    ghost: after_close_rubbish 9602)."""
    analyzer = _analyzer()
    h, w = SMALL[1], SMALL[0]
    paving = np.full((h, w), 100.0, np.float32)
    neutral = np.zeros((2 * h, w), np.float32)
    a = (slice(40, 50), slice(40, 50))
    b = (slice(40, 50), slice(51, 61))
    background = paving.copy()
    background[a] = 40.0
    bg = analyzer.bg
    bg.reset(background, neutral)
    chroma = neutral.copy()
    chroma[:h][b] = 30.0  # B is reddish, as bright as the paving
    bg.last_n = chromaticity(paving, chroma)
    for part in (a, b):
        bg.stationary_s[part] = 10.0
        bg.fg_any[part] = True
    for _ in range(GHOST_VOTES + 1):
        analyzer._absorb_ghosts(paving, chroma)
    assert (bg.stationary_s[a] == 0.0).all(), "the ghost was not absorbed"
    assert (bg.stationary_s[b] == 10.0).all(), "B's edge was absorbed with the ghost"


@pytest.mark.parametrize(
    ("rubbish_grey", "rubbish_crcb"),
    [(110.0, (20.0, -25.0)), (30.0, (0.0, 0.0)), (235.0, (0.0, 0.0))],
    ids=["cardboard", "black_bag", "white_bag"],
)
def test_rubbish_lying_where_a_stall_stood_is_kept_out_of_its_ghost(
    rubbish_grey: float, rubbish_crcb: tuple[float, float]
) -> None:
    """A stall (S) leaves and a vendor drops rubbish (R) where it stood: S is a ghost and is
    absorbed, painted line and all, but R, a colour or grey found nowhere on S's outline, is
    not, and stays foreground (after_close_rubbish 12004, 12007, 12011, market_morning 12001:
    the cleanliness check found the street clean). Once R is taken away, its place is
    absorbed like any ghost (market_morning 9402: crates kept that way as "present" for 80
    minutes after they left, when the background under them was filled in)."""
    analyzer = _analyzer()
    h, w = SMALL[1], SMALL[0]
    street = np.full((h, w), 100.0, np.float32)
    street[:, 44:46] = 180.0  # a painted line across the stall's place and beyond
    stall = (slice(30, 50), slice(30, 60))
    rubbish = (slice(40, 45), slice(34, 39))
    background = street.copy()
    background[stall] = 60.0
    bg = analyzer.bg
    bg.reset(background, np.zeros((2 * h, w), np.float32))
    image = street.copy()
    image[rubbish] = rubbish_grey
    chroma = np.zeros((2 * h, w), np.float32)
    chroma[:h][rubbish], chroma[h:][rubbish] = rubbish_crcb
    bg.last_n = chromaticity(image, chroma)
    bg.stationary_s[stall] = 10.0
    bg.fg_any[stall] = True
    for _ in range(GHOST_VOTES + 1):
        analyzer._absorb_ghosts(image, chroma)
    assert bg.long is not None
    revealed = np.zeros((h, w), bool)
    revealed[stall] = True
    revealed[39:46, 33:40] = False  # the rubbish and its pixel border
    assert np.array_equal(bg.long[revealed], image[revealed]), "the ghost was not absorbed"
    assert (bg.stationary_s[rubbish] == 10.0).all(), "the rubbish was absorbed with the ghost"
    assert np.allclose(bg.long[rubbish], 60.0)

    # taken away: its place shows the street again and is absorbed as a ghost
    bg.last_n = chromaticity(street, np.zeros_like(chroma))
    for _ in range(GHOST_VOTES + 1):
        analyzer._absorb_ghosts(street, np.zeros_like(chroma))
    assert np.allclose(bg.long[rubbish], 100.0), "the rubbish's place was kept as an object"


def test_rubbish_dropped_on_a_ghost_is_unlike_the_street_that_lay_there_unchanged() -> None:
    """A stall leaves; seconds later, before its ghost is absorbed, a vendor drops dark
    rubbish where it stood. Where the rubbish lies on the stall's dark leg it is no
    foreground (the background there is as dark), so that piece lies on the ghost's outline
    and lent the rubbish its own colour as "street" (market_morning 19002 at 14624 s: the
    rubbish was absorbed with the ghost 5 s after it was dropped, and the street found clean
    at the check). Outline pixels that changed in the last ``GHOST_SETTLED_CHECKS`` checks
    are no street: the rubbish is unlike what is, and stays foreground."""
    analyzer = _analyzer()
    h, w = SMALL[1], SMALL[0]
    street = np.full((h, w), 100.0, np.float32)
    stall = (slice(30, 50), slice(30, 60))
    leg = (slice(30, 50), 40)
    rubbish = (slice(40, 45), slice(36, 41))
    on_leg = (slice(40, 45), 40)
    background = street.copy()
    background[stall] = 60.0
    background[leg] = 30.0
    neutral = np.zeros((2 * h, w), np.float32)
    bg = analyzer.bg
    bg.reset(background, neutral)
    image = street.copy()
    image[rubbish] = 30.0
    bg.last_n = chromaticity(image, neutral)
    bg.stationary_s[stall] = 10.0
    bg.fg_any[stall] = True
    bg.fg_any[on_leg] = False  # as dark as the leg in the background
    bg.stationary_s[on_leg] = 0.0
    analyzer._changes[rubbish] = 1  # dropped in the interval before this check
    assert GHOST_VOTES < GHOST_SETTLED_CHECKS
    for _ in range(GHOST_VOTES + 1):
        analyzer._absorb_ghosts(image, neutral)
        np.left_shift(analyzer._changes, 1, out=analyzer._changes)  # as update() does
    assert bg.long is not None
    revealed = np.zeros((h, w), bool)
    revealed[stall] = True
    revealed[39:46, 35:42] = False  # the rubbish and its pixel border
    assert np.array_equal(bg.long[revealed], image[revealed]), "the ghost was not absorbed"
    kept = np.zeros((h, w), bool)
    kept[rubbish] = True
    kept[on_leg] = False
    assert (bg.stationary_s[kept] == 10.0).all(), "the rubbish was absorbed with the ghost"
    assert np.allclose(bg.long[kept], 60.0)


def test_rubbish_in_a_ghost_keeps_its_blurred_border_out_of_the_street() -> None:
    """A flat box lies where a stall stood. Its border pixels are a blend of box and street
    (the camera's blur and the reduction to 160x90): like the street, so they are part of
    the ghost, and like the box. Absorbed with the ghost, they became street on the box's
    outline, alike its colour, and three checks later the box was absorbed too
    (market_morning 20004 at 14479 s: the street then found clean at the check). A lying
    piece's pixel border stays out of the ghost, and the box stays foreground."""
    analyzer = _analyzer()
    h, w = SMALL[1], SMALL[0]
    street = np.full((h, w), 80.0, np.float32)
    stall = (slice(30, 50), slice(30, 60))
    box = (slice(40, 44), slice(36, 46))
    background = street.copy()
    background[stall] = 60.0
    neutral = np.zeros((2 * h, w), np.float32)
    bg = analyzer.bg
    bg.reset(background, neutral)
    image = street.copy()
    image[39:45, 35:47] = 92.0  # the blend: one grid cell from the street and from the box
    image[box] = 100.0
    bg.last_n = chromaticity(image, neutral)
    bg.stationary_s[stall] = 10.0
    bg.fg_any[stall] = True
    for _ in range(4 * (GHOST_VOTES + 1)):
        analyzer._absorb_ghosts(image, neutral)
    assert bg.long is not None
    assert np.allclose(bg.long[31:37, 31:59], 80.0), "the ghost was not absorbed"
    assert (bg.stationary_s[box] == 10.0).all(), "the box was absorbed with the ghost"
    assert np.allclose(bg.long[box], 60.0)


def test_the_background_collects_where_the_view_changed() -> None:
    """``take_changed``: where a step was short-term foreground since the last call (what
    the pixel shows changed); the first frame, and a sudden change of the whole view that is
    re-learned, count everywhere."""
    h, w = SMALL[1], SMALL[0]
    bg = DualBackground(np.ones((h, w), bool))
    street = np.full((h, w), 100.0, np.float32)
    bg.update(street, 0.0)
    changed = np.zeros((h, w), np.uint8)
    bg.take_changed(changed)
    assert changed.all(), "the first frame is a change"
    changed[:] = 0
    dropped = street.copy()
    dropped[40:45, 34:39] = 30.0
    for k in range(1, 6):
        bg.update(dropped, 0.2 * k)
    bg.take_changed(changed)
    expected = np.zeros((h, w), bool)
    expected[40:45, 34:39] = True
    assert np.array_equal(changed.astype(bool), expected)
    changed[:] = 0
    for k in range(6, 200):  # the short-term model takes it in: no change any more
        bg.update(dropped, 0.2 * k)
        if k == 150:
            bg.take_changed(changed)
            changed[:] = 0
    bg.take_changed(changed)
    assert not changed.any()
    other = np.full((h, w), 20.0, np.float32)
    other[::2] = 220.0  # another view altogether: re-learned
    bg.update(other, 50.0)
    bg.take_changed(changed)
    assert bg.relearned and changed.all()


@pytest.mark.parametrize("n_planes", [1, 3])
def test_packed_colour_cells_count_as_the_cells_themselves(n_planes: int) -> None:
    """``_unlike_outline`` counts cells by packed keys: the same distinct cells and counts as
    ``np.unique`` over the rows of cells, the extremes of grey and chromaticity included."""
    rng = np.random.default_rng(7)
    values = rng.uniform(-140.0, 140.0, (n_planes, 30, 40)).astype(np.float32)
    values[:, 0, 0], values[:, 0, 1] = -134.9, 133.9  # the extremes a frame can make
    planes = list(values)
    keys = _cell_keys(planes)
    cells = np.floor(np.stack(planes, axis=-1)).astype(np.int64).reshape(-1, n_planes)
    want, want_counts = np.unique(cells, axis=0, return_counts=True)
    got_keys, got_counts = np.unique(keys.ravel(), return_counts=True)
    np.testing.assert_array_equal(_key_cells(got_keys, n_planes), want)
    np.testing.assert_array_equal(got_counts, want_counts)


@pytest.mark.parametrize("size", [1, 2, 27, 28, 519])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outline_median_is_numpys(size: int, dtype: type) -> None:
    """The ghost test's ``median`` gives ``np.median``'s number, odd and even counts, on
    whole grey levels (what a frame holds) and on arbitrary values."""
    rng = np.random.default_rng(size)
    samples: list[np.ndarray] = [
        rng.integers(0, 256, size).astype(dtype),
        rng.normal(100.0, 40.0, size).astype(dtype),
    ]
    for values in samples:
        assert median(values) == float(np.median(values))
