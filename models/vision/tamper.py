"""Whole-camera tampering: covered, defocused, turned away.

Cheap per-frame features at 320x180 greyscale (see ``/work/shared/reference/vision.md``):

- ``sharpness``: mean squared Laplacian (variance of the Laplacian, the classic focus measure of
  Pech-Pacheco et al. 2000) over the pixels outside the motion masks;
- ``brightness`` and ``contrast``: mean and standard deviation of grey level;
- ``similarity``: normalised cross-correlation of a 32x18 low-pass copy with the learned
  reference view. Defocus keeps it high (the blurred scene still matches), a turn or a cover
  makes it collapse, which tells the subtypes apart.
- ``structure``: the same correlation of the scene's edges, the gradient magnitude of the log
  grey level at 64x36. Light falls on the scene multiplicatively, so edges of log grey stay
  where the things are when street lamps go out (low-pass similarity 0.50 -> 0.18 over a
  simulated dawn, structure 0.83-0.93), and move with the view when the camera is turned
  (0.19 or less on the simulator's turned cameras). A view is "moved" only when both fall.

Baselines are learned from the first frame on and then follow the scene slowly (time constant
``baseline_tau_s``) while the camera is not tampered, so dawn light does not drift into an
alarm; while a condition holds they are frozen. A condition must hold ``hold_s`` before it is
reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

LOWPASS: tuple[int, int] = (32, 18)
#: Size (width, height) of the edge map that the ``structure`` feature correlates.
STRUCTURE: tuple[int, int] = (64, 36)


@dataclass(frozen=True)
class TamperFeatures:
    brightness: float
    contrast: float
    sharpness: float
    similarity: float
    sharpness_ratio: float
    contrast_ratio: float
    brightness_ratio: float
    structure: float = 1.0


@dataclass(frozen=True)
class TamperState:
    #: "covered", "defocused", "moved" or None.
    subtype: str | None
    #: When the current condition began (device seconds), None when no condition.
    since_s: float | None
    features: TamperFeatures


@dataclass
class TamperDetector:
    valid: np.ndarray  # boolean mask at 320x180: pixels outside the motion masks
    hold_s: float = 2.0
    defocus_ratio: float = 0.35
    moved_similarity: float = 0.5
    baseline_tau_s: float = 60.0
    _base: dict[str, float] = field(default_factory=dict, init=False)
    _ref: np.ndarray | None = field(default=None, init=False)
    _edge_ref: np.ndarray | None = field(default=None, init=False)
    _cond: str | None = field(default=None, init=False)
    _since: float | None = field(default=None, init=False)
    _t: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._keep8 = self.valid.astype(np.uint8)
        self._keep16 = self.valid.astype(np.int16)
        self._n = int(np.count_nonzero(self.valid))

    def _lowpass(self, grey_m: np.ndarray) -> np.ndarray:
        small = cv2.resize(grey_m, LOWPASS, interpolation=cv2.INTER_AREA).astype(np.float32)
        return _zero_mean_unit(small, 1e-3)

    @staticmethod
    def _edges(grey_m: np.ndarray) -> np.ndarray:
        """Zero-mean, unit-norm L1 Sobel magnitude of log(1 + grey) at ``STRUCTURE`` size."""
        small = cv2.resize(grey_m, STRUCTURE, interpolation=cv2.INTER_AREA).astype(np.float32)
        lg = np.log1p(small)
        e = np.abs(cv2.Sobel(lg, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(lg, cv2.CV_32F, 0, 1))
        return _zero_mean_unit(e, 1e-6)

    def update(self, grey_m: np.ndarray, t_s: float) -> TamperState:
        lap = cv2.Laplacian(grey_m, cv2.CV_16S, ksize=1)
        _, lap_sd = _mean_sd(lap * self._keep16, self._n)
        bright, contrast = _mean_sd(grey_m * self._keep8, self._n)
        sharp = lap_sd**2
        low = self._lowpass(grey_m)
        edges = self._edges(grey_m)
        if self._ref is None or self._edge_ref is None:
            self._ref = low
            self._edge_ref = edges
            self._base = {"sharp": sharp, "bright": bright, "contrast": contrast}
            self._t = t_s
        dt = max(0.0, t_s - (self._t if self._t is not None else t_s))
        self._t = t_s
        sim = float((low * self._ref).sum())
        b = self._base
        f = TamperFeatures(
            brightness=bright,
            contrast=contrast,
            sharpness=sharp,
            similarity=sim,
            sharpness_ratio=sharp / max(b["sharp"], 1e-3),
            contrast_ratio=contrast / max(b["contrast"], 1e-3),
            brightness_ratio=bright / max(b["bright"], 1e-3),
            structure=float((edges * self._edge_ref).sum()),
        )
        cond = self._classify(f)
        if cond is None:
            self._cond, self._since = None, None
            a = min(1.0, dt / self.baseline_tau_s)
            for key, value in (("sharp", sharp), ("bright", bright), ("contrast", contrast)):
                b[key] += a * (value - b[key])
            self._ref = _follow(self._ref, low, a)
            self._edge_ref = _follow(self._edge_ref, edges, a)
            return TamperState(None, None, f)
        if self._cond is None:
            self._since = t_s
        self._cond = cond
        assert self._since is not None
        held = t_s - self._since >= self.hold_s
        return TamperState(cond if held else None, self._since, f)

    def _classify(self, f: TamperFeatures) -> str | None:
        """Which tamper condition the features show, if any (thresholds: module docstring)."""
        dark = f.brightness_ratio < 0.3 and f.brightness < 40.0
        flat = f.contrast_ratio < 0.3
        if dark or flat:
            return "covered"
        if f.similarity < self.moved_similarity and f.structure < self.moved_similarity:
            # a turned camera still sees detail; a cover kills it (Laplacian ~0.03 of normal)
            return "covered" if f.sharpness_ratio < 0.1 else "moved"
        if f.sharpness_ratio < self.defocus_ratio:
            # a translucent cover also changes light and contrast; a defocus keeps both
            changed = f.contrast_ratio < 0.85 or abs(f.brightness_ratio - 1.0) > 0.15
            return "covered" if changed else "defocused"
        return None


def _mean_sd(z: np.ndarray, n: int) -> tuple[float, float]:
    """Mean and standard deviation over ``n`` pixels of an integer image ``z`` that is zero
    elsewhere: the numbers of ``cv2.meanStdDev(img, mask=...)`` (identical on 1200 test images
    from the bench clip) at a fifth of the cost of its masked path. Both sums are exact
    integers, the formula is OpenCV's.
    """
    s = cv2.sumElems(z)[0]
    # an integer below 2**53; cv2 takes the L2 norm's square root and squares it again, so
    # the last bits are rounded off
    sq = round(cv2.norm(z, cv2.NORM_L2SQR))
    scale = 1.0 / n if n else 0.0
    mean = s * scale
    return mean, math.sqrt(max(sq * scale - mean * mean, 0.0))


def _zero_mean_unit(x: np.ndarray, min_norm: float) -> np.ndarray:
    """``x`` less its mean, scaled to unit L2 norm (left unscaled when the norm is at most
    ``min_norm``: a flat image), so that a dot product of two is their correlation."""
    x -= x.mean()
    norm = float(np.sqrt((x * x).sum()))
    return x / norm if norm > min_norm else x


def _follow(ref: np.ndarray, now: np.ndarray, a: float) -> np.ndarray:
    """``ref`` moved a fraction ``a`` towards ``now``, renormalised to unit norm."""
    out = ref + a * (now - ref)
    out /= max(1e-6, float(np.sqrt((out * out).sum())))
    return out
