"""Per-space occupied/free decisions that hold still between arrivals and departures.

Cars arrive and leave rarely, and a free-space count is only right when nearly every space is
(48 spaces at 0.999 each give 95 % exact counts), so each space keeps a state that changes only
on evidence that holds (hysteresis), judged against references learned per space:

- **Evidence** (``_decide``): the space's cell colours (:mod:`models.parking.features`,
  lighting-normalised) against its **empty reference** (its look while free): occupied when
  the median cell differs by more than ``empty_diff``. A space never seen free (a car since the
  start) is judged by the generic model's p(occupied) and, when that is doubtful, by how far
  its cells are from the lot's empty look (the median of the spaces' empty references); and
  a parked car's look that is gone while no car is clearly there means it left.
- **Hysteresis**: a state flips after ``settle_frames`` consecutive contradicting frames when
  the evidence is strong (an empty reference exists, the look has just changed, or the space
  is new), else after ``correct_frames`` (a doubtful generic guess in the dark).
- **References**: after a flip the space follows its look until it is steady (the car has
  finished its manoeuvre, the time average has caught up) and takes that as the new state's
  look; while settled, the references follow slow lighting drift (``ref_alpha``). A free look
  becomes the empty reference only while the generic model agrees (a car wrongly judged free
  must not be learned as "empty").

This is the usual recipe for fixed car park cameras (per-space empty references, per-space
decisions and hysteresis; de Almeida et al., "PKLot - A robust dataset for parking lot
classification", Expert Syst. Appl. 42 (2015)), with the lighting handled by normalisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from models.parking.features import (
    FrameMeasures,
    SpaceGeometry,
    measure,
    normalise,
    space_geometry,
)


@dataclass(frozen=True)
class ClassifierSettings:
    #: Fraction of the space's size cut from each side (keeps painted lines out).
    shrink: float = 0.12
    #: Cells across and along a space.
    grid: tuple[int, int] = (3, 4)
    #: Weight of a new frame in the time average (cuts the noise of dark frames).
    frame_alpha: float = 0.6
    blur_sigma: float = 1.2
    #: Cell difference (:func:`cell_diff`, normalised units: asphalt = 1) from the settled look
    #: that counts as a change of look, and below which two consecutive looks are steady.
    change_diff: float = 0.10
    steady_diff: float = 0.05
    #: Cell difference from the empty reference above which a space is occupied (on the
    #: development sequences free spaces stay under 0.08 99.9 % of the time, occupied ones
    #: over 0.13).
    empty_diff: float = 0.115
    #: A space without an empty reference whose look moved this far from its parked car's
    #: while the generic p(occupied) is below ``left_max_p`` is free (the car left).
    left_diff: float = 0.25
    left_max_p: float = 0.8
    #: A space without an empty reference whose generic p(occupied) is doubtful (inside
    #: ``doubt_p``) is occupied when its cells differ from the lot's empty look (the median
    #: of the learned empty references) by more than ``lot_diff`` (development sequences: free
    #: spaces within 0.077 of plain asphalt 99 % of the time, occupied ones beyond 0.12 99.9 %).
    doubt_p: tuple[float, float] = (0.25, 0.75)
    lot_diff: float = 0.10
    #: Spaces with an empty reference needed before the lot's empty look is trusted.
    lot_min_spaces: int = 3
    #: Consecutive frames of strong contradicting evidence that flip a state.
    settle_frames: int = 2
    #: After a flip, at most this many frames to wait for the new look to be steady.
    fresh_frames: int = 5
    #: For this many frames after its look changed a space's evidence counts as strong.
    recent_frames: int = 10
    #: Consecutive contradicting frames before a settled state is corrected.
    correct_frames: int = 15
    #: A free space's look becomes its empty reference only while the generic model's
    #: p(occupied) is below this (a car wrongly judged free must not become "empty").
    empty_max_p: float = 0.5
    #: Weight of a steady frame in the settled look (follows lighting drift).
    ref_alpha: float = 0.1


def cell_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Median over a space's cells of the mean absolute colour difference (normalised units):
    a car changes most cells, a neighbour's shadow or overhanging car only some."""
    return float(np.median(np.abs(a - b).mean(axis=1)))


@dataclass
class SpaceClassifier:
    """Classifies every space of one camera, frame after frame (stateful)."""

    polygons_px: Sequence[np.ndarray]
    frame_size: tuple[int, int]  # (width, height)
    settings: ClassifierSettings = field(default_factory=ClassifierSettings)
    _spaces: list[SpaceGeometry] = field(default_factory=list, init=False)
    _avg: np.ndarray | None = field(default=None, init=False)
    _state: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), init=False)
    _ref_cur: list[np.ndarray | None] = field(default_factory=list, init=False)
    _ref_empty: list[np.ndarray | None] = field(default_factory=list, init=False)
    _ref_occ: list[np.ndarray | None] = field(default_factory=list, init=False)
    _lot: np.ndarray | None = field(default=None, init=False)
    _prev: list[np.ndarray | None] = field(default_factory=list, init=False)
    _fresh: np.ndarray = field(default_factory=lambda: np.zeros(0, int), init=False)
    _recent: np.ndarray = field(default_factory=lambda: np.zeros(0, int), init=False)
    _steady: np.ndarray = field(default_factory=lambda: np.zeros(0, int), init=False)
    _against: np.ndarray = field(default_factory=lambda: np.zeros(0, int), init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self._spaces = [
            space_geometry(p, self.frame_size, s.shrink, s.grid) for p in self.polygons_px
        ]
        n = len(self._spaces)
        self._state = np.zeros(n, bool)
        self._ref_cur = [None] * n
        self._ref_empty = [None] * n
        self._ref_occ = [None] * n
        self._prev = [None] * n
        self._fresh = np.zeros(n, int)
        self._recent = np.zeros(n, int)
        self._steady = np.zeros(n, int)
        self._against = np.zeros(n, int)

    @property
    def occupied(self) -> np.ndarray:
        return self._state.copy()

    def _decide(self, i: int, cells: np.ndarray, p_generic: float) -> bool:
        """This frame's evidence for space ``i``: occupied?"""
        s = self.settings
        empty = self._ref_empty[i]
        if empty is not None:
            return cell_diff(cells, empty) > s.empty_diff
        car = self._ref_occ[i]
        if (
            self._state[i]
            and car is not None
            and cell_diff(cells, car) > s.left_diff
            and p_generic < s.left_max_p
        ):
            return False  # the parked car's look has gone and no car is clearly there
        if self._lot is not None and s.doubt_p[0] < p_generic < s.doubt_p[1]:
            # a doubtful generic guess: does the space look like the lot's empty spaces?
            return cell_diff(cells, self._lot[None, :]) > s.lot_diff
        return p_generic >= 0.5

    def update(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Classify ``frame_bgr``; returns occupied per space (bool array)."""
        if frame_bgr.shape[1::-1] != tuple(self.frame_size):
            raise ValueError(
                f"frame is {frame_bgr.shape[1]}x{frame_bgr.shape[0]}, expected "
                f"{self.frame_size[0]}x{self.frame_size[1]}"
            )
        s = self.settings
        norm = normalise(frame_bgr)
        a = s.frame_alpha
        self._avg = norm if self._avg is None else (1 - a) * self._avg + a * norm
        img = cv2.GaussianBlur(self._avg, (0, 0), s.blur_sigma)
        return self.observe(measure(img, self._spaces))

    def observe(self, m: FrameMeasures) -> np.ndarray:
        """Advance every space's state with one frame's measures; returns occupied per space."""
        s = self.settings
        empties = [r for r in self._ref_empty if r is not None]
        self._lot = (
            np.median(np.concatenate(empties), axis=0) if len(empties) >= s.lot_min_spaces else None
        )
        for i, cells in enumerate(m.cells):
            p = float(m.p_generic[i])
            cur, prev = self._ref_cur[i], self._prev[i]
            self._prev[i] = cells
            if cur is None:  # first frame: the generic model's guess
                self._state[i] = p >= 0.5
                self._ref_cur[i] = cells
                self._recent[i] = s.recent_frames  # the first guesses are open to revision
                continue
            if self._fresh[i]:
                # just flipped: the look may still be moving (a car finishing its manoeuvre,
                # the time average catching up); follow it until it is steady, then take it
                # as the settled look (and, when free, as the empty reference)
                steady = prev is not None and cell_diff(cells, prev) < s.steady_diff
                self._fresh[i] = 0 if steady else self._fresh[i] - 1
                self._ref_cur[i] = cur = cells
                if not self._fresh[i]:  # steady: the new state's look
                    if self._state[i]:
                        self._ref_occ[i] = cells
                    else:
                        self._ref_empty[i] = cells
            self._recent[i] = max(self._recent[i] - 1, 0)
            want = self._decide(i, cells, p)
            changed = cell_diff(cells, cur) > s.change_diff
            if want != self._state[i]:
                self._against[i] += 1
                # a change of look or an empty reference makes the evidence strong
                strong = changed or self._recent[i] > 0 or self._ref_empty[i] is not None
                if self._against[i] >= (s.settle_frames if strong else s.correct_frames):
                    self._settle(i, cells, want)
                continue
            self._against[i] = 0
            if changed:  # a new look of the same state (another car, a shadow): hold it
                self._steady[i] = self._steady[i] + 1
                if self._steady[i] >= s.settle_frames:
                    self._settle(i, cells, want)
                continue
            self._steady[i] = 0
            if self._fresh[i]:
                continue
            self._ref_cur[i] = (1 - s.ref_alpha) * cur + s.ref_alpha * cells
            if self._state[i]:
                self._ref_occ[i] = self._ref_cur[i]
            elif p < s.empty_max_p:
                self._ref_empty[i] = self._ref_cur[i]
        return self._state.copy()

    def _settle(self, i: int, cells: np.ndarray, occupied: bool) -> None:
        self._state[i] = occupied
        self._ref_cur[i] = cells
        self._fresh[i] = self.settings.fresh_frames
        self._recent[i] = self.settings.recent_frames
        self._steady[i] = 0
        self._against[i] = 0
