"""Per-space occupied/free classification with classical features and a learned empty reference.

For every marked space (a polygon in pixels, shrunk so the painted lines stay outside):

- **edge density**: mean Sobel gradient magnitude of the lighting-normalised grey image (a car
  has outlines, windows and a roof edge; asphalt is smooth at this scale);
- **texture**: standard deviation of the normalised grey level inside the space;
- **difference from the empty reference**: mean absolute colour difference between the
  normalised frame and the space's learned empty appearance.

Lighting: each frame is divided, channel by channel, by its median (most of a car park image
is asphalt), so a dawn ramp or a tint change leaves the features unchanged; frames are averaged
over time (exponential, ``frame_alpha``) to cut the sensor noise of dark frames. A space's
empty reference is learned from frames where it is judged free and keeps following slow
lighting changes (running average, ``ref_alpha``). Decisions use hysteresis (``on``/``off``
thresholds of a combined score) and a space must hold a new state for ``hold_frames`` frames.
The approach follows the car park literature (e.g. de Almeida et al., "PKLot - A robust
dataset for parking lot classification", Expert Syst. Appl. 42 (2015): texture features with
per-space decisions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

#: Logistic model over (log edge density, log texture, dark fraction, bright fraction),
#: standardised by _MU/_SD. Fitted by ``bench/bench_parks.py --fit`` on simulated
#: development sequences (seeds 1-2 dawn, 3 dusk, 4 day_busy; 13 824 labelled space-frames,
#: per-frame accuracy 97.5 %); held-out seeds judge it.
_W = np.array([-0.753, 4.485, 7.119, 0.0695, 2.354])
_MU = np.array([-3.193, -2.075, 0.1607, 0.1164])
_SD = np.array([0.990, 1.256, 0.2738, 0.2169])


@dataclass(frozen=True)
class ClassifierSettings:
    #: Fraction of the space's size cut from each side (keeps painted lines out).
    shrink: float = 0.12
    #: Difference from the empty reference that alone means "occupied".
    diff_on: float = 0.45
    #: Below this fraction of every "on" level the space reads free again.
    off_ratio: float = 0.75
    frame_alpha: float = 0.5
    ref_alpha: float = 0.08
    hold_frames: int = 2
    blur_sigma: float = 1.2


@dataclass(frozen=True)
class SpaceFeatures:
    edge: np.ndarray
    std: np.ndarray
    diff: np.ndarray  # NaN where no reference has been learned yet
    score: np.ndarray  # combined, 1.0 = on the "occupied" threshold
    dark: np.ndarray  # fraction of the space much darker than the asphalt
    bright: np.ndarray  # fraction much brighter


@dataclass
class SpaceClassifier:
    """Classifies every space of one camera, frame after frame (stateful)."""

    polygons_px: Sequence[np.ndarray]
    frame_size: tuple[int, int]  # (width, height)
    settings: ClassifierSettings = field(default_factory=ClassifierSettings)
    _masks: list[tuple[slice, slice, np.ndarray]] = field(default_factory=list, init=False)
    _avg: np.ndarray | None = field(default=None, init=False)
    _ref: list[np.ndarray | None] = field(default_factory=list, init=False)
    _state: np.ndarray = field(default_factory=lambda: np.zeros(0, bool), init=False)
    _pending: np.ndarray = field(default_factory=lambda: np.zeros(0, int), init=False)

    def __post_init__(self) -> None:
        w, h = self.frame_size
        s = self.settings.shrink
        for poly in self.polygons_px:
            p = np.asarray(poly, np.float32)
            c = p.mean(axis=0)
            inner = c + (p - c) * (1.0 - 2.0 * s)
            x0, y0 = np.floor(inner.min(axis=0)).astype(int)
            x1, y1 = np.ceil(inner.max(axis=0)).astype(int) + 1
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            if x1 - x0 < 3 or y1 - y0 < 3:
                raise ValueError(f"space polygon {p.tolist()} is too small or outside the frame")
            mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
            cv2.fillPoly(mask, [np.round(inner - [x0, y0]).astype(np.int32)], 1)
            self._masks.append((slice(y0, y1), slice(x0, x1), mask.astype(bool)))
        n = len(self._masks)
        self._ref = [None] * n
        self._state = np.zeros(n, bool)
        self._pending = np.zeros(n, int)

    @property
    def occupied(self) -> np.ndarray:
        return self._state.copy()

    def _normalise(self, frame_bgr: np.ndarray) -> np.ndarray:
        f = frame_bgr.astype(np.float32)
        med = np.median(f[::4, ::4].reshape(-1, 3), axis=0)
        return f / np.maximum(med, 1.0)

    def features(self, frame_bgr: np.ndarray) -> SpaceFeatures:
        """Update the time average with ``frame_bgr`` and measure every space."""
        if frame_bgr.shape[1::-1] != tuple(self.frame_size):
            raise ValueError(f"frame is {frame_bgr.shape[1]}x{frame_bgr.shape[0]}, expected "
                             f"{self.frame_size[0]}x{self.frame_size[1]}")
        norm = self._normalise(frame_bgr)
        a = self.settings.frame_alpha
        self._avg = norm if self._avg is None else (1 - a) * self._avg + a * norm
        img = cv2.GaussianBlur(self._avg, (0, 0), self.settings.blur_sigma)
        grey = img.mean(axis=2)
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
        mag = np.sqrt(gx * gx + gy * gy) / 8.0
        n = len(self._masks)
        edge, std, diff = np.zeros(n), np.zeros(n), np.full(n, np.nan)
        dark, bright = np.zeros(n), np.zeros(n)
        s = self.settings
        for i, (ys, xs, m) in enumerate(self._masks):
            g = grey[ys, xs][m]
            edge[i] = float(mag[ys, xs][m].mean())
            std[i] = float(g.std())
            dark[i] = float((g < 0.55).mean())
            bright[i] = float((g > 1.6).mean())
            ref = self._ref[i]
            if ref is not None:
                diff[i] = float(np.abs(img[ys, xs][m] - ref).sum(axis=1).mean() / 3.0)
        z = np.c_[np.log(edge + 1e-3), np.log(std + 1e-3), dark, bright]
        z = (z - _MU) / _SD
        prob = 1.0 / (1.0 + np.exp(-(z @ _W[:4] + _W[4])))
        score = prob / 0.5
        score = np.where(np.isnan(diff), score, np.maximum(score, diff / s.diff_on))
        self._last_img = img
        return SpaceFeatures(edge, std, diff, score, dark, bright)

    def update(self, frame_bgr: np.ndarray) -> np.ndarray:
        """Classify ``frame_bgr``; returns occupied per space (bool array)."""
        f = self.features(frame_bgr)
        s = self.settings
        want = np.where(self._state, f.score > s.off_ratio, f.score >= 1.0)
        first = self._pending.size and self._avg is not None and not hasattr(self, "_started")
        if first:
            self._state = want.copy()
            self._started = True
        else:
            changing = want != self._state
            self._pending = np.where(changing, self._pending + 1, 0)
            flip = self._pending >= s.hold_frames
            self._state = np.where(flip, want, self._state)
            self._pending = np.where(flip, 0, self._pending)
        img = self._last_img
        for i, (ys, xs, m) in enumerate(self._masks):
            if self._state[i] or f.score[i] > s.off_ratio:
                continue  # learn the empty look only from clearly free spaces
            cur = img[ys, xs][m]
            ref = self._ref[i]
            self._ref[i] = cur.copy() if ref is None else \
                (1 - s.ref_alpha) * ref + s.ref_alpha * cur
        return self._state.copy()
