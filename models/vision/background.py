"""Dual running-average background with illumination normalisation and stationary evidence.

Dual background after Porikli, Ivanov and Haga, "Robust abandoned object detection using dual
foregrounds", EURASIP J. Adv. Signal Process. 2008: a short-term model ``Bs`` (time constant
``short_tau_s``) and a long-term model ``Bl`` (``long_tau_s``). A pixel that differs from
``Bl`` but not from ``Bs`` belongs to something that arrived and stopped; its stationary
evidence ``S`` (seconds) grows while that holds, stays while a passer-by hides it, and falls
``decay`` times faster when the pixel matches ``Bl`` again.

Light (night to dawn, street lamps, clouds) is handled three ways:

- a smooth gain field ``G`` (block means of background pixels on a 16x9 grid, bilinearly
  interpolated) scales the backgrounds before every comparison, so a global or gradual change
  of light is not foreground;
- foreground pixels ("held") keep their long-term value but follow ``G``, so a stall put down
  is not absorbed while the light around it changes;
- when most of the frame changes at once the models re-learn at once (Park et al. 2020,
  "sudden illumination change" handling), instead of reporting foreground.

All images are float32 grey levels (0..255) at the working size; times in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

GRID: tuple[int, int] = (16, 9)


@dataclass(frozen=True)
class BackgroundSettings:
    short_tau_s: float = 5.0
    long_tau_s: float = 90.0
    #: Time constant at which held (foreground) pixels are still absorbed: a safety valve.
    held_tau_s: float = 3600.0
    #: Foreground when |I - G*B| > abs_threshold + rel_threshold * G*B (grey levels).
    abs_threshold: float = 12.0
    rel_threshold: float = 0.10
    #: Stationary evidence falls this many times faster than it grows.
    decay: float = 4.0
    #: Re-learn both models when more than this fraction of the frame is new foreground.
    relearn_fraction: float = 0.4
    #: Longest step between frames that is integrated (a gap longer than this is clamped).
    max_step_s: float = 2.0


class DualBackground:
    """The per-camera background state at the working size."""

    def __init__(self, valid: np.ndarray, settings: BackgroundSettings | None = None) -> None:
        self.s = settings or BackgroundSettings()
        self.valid = valid.astype(bool)
        self._validf = self.valid.astype(np.float32)
        self.long: np.ndarray | None = None
        self.short: np.ndarray | None = None
        self.stationary_s: np.ndarray = np.zeros(valid.shape, np.float32)
        self.fg_long: np.ndarray = np.zeros(valid.shape, bool)
        self.fg_short: np.ndarray = np.zeros(valid.shape, bool)
        self.gain: np.ndarray = np.ones(valid.shape, np.float32)
        self.relearned = False
        self._t: float | None = None

    @property
    def ready(self) -> bool:
        return self.long is not None

    def reset(self, grey: np.ndarray) -> None:
        self.long = grey.copy()
        self.short = grey.copy()
        self.stationary_s[:] = 0
        self.fg_long[:] = False
        self.fg_short[:] = False
        self.gain[:] = 1.0

    def _gain_field(self, grey: np.ndarray, long: np.ndarray) -> np.ndarray:
        w = self._validf * (~self.fg_long)
        s_i = cv2.resize(grey * w, GRID, interpolation=cv2.INTER_AREA)
        s_b = cv2.resize(long * w, GRID, interpolation=cv2.INTER_AREA)
        m_b = cv2.resize(long, GRID, interpolation=cv2.INTER_AREA)
        g = float(s_i.sum() + 1.0) / float(s_b.sum() + 1.0)
        prior = 0.05 * m_b  # a block without background pixels falls back to the global gain
        blocks = (s_i + g * prior) / (s_b + prior + 1e-3)
        blocks = np.clip(blocks, 0.2, 5.0).astype(np.float32)
        h, w_ = grey.shape
        return cv2.resize(blocks, (w_, h), interpolation=cv2.INTER_LINEAR)

    def update(self, grey: np.ndarray, t_s: float) -> None:
        """Integrate one frame taken at device time ``t_s`` (seconds)."""
        s = self.s
        if self.long is None or self.short is None or self._t is None:
            self.reset(grey)
            self._t = t_s
            return
        dt = min(max(t_s - self._t, 0.0), s.max_step_s)
        self._t = t_s
        long, short = self.long, self.short
        gain = self._gain_field(grey, long)
        bl = cv2.multiply(gain, long)
        thr = bl * s.rel_threshold
        thr += s.abs_threshold
        fg_long = (cv2.absdiff(grey, bl) > thr) & self.valid
        fg_short = (cv2.absdiff(grey, cv2.multiply(gain, short)) > thr) & self.valid
        new_fraction = float(np.count_nonzero(fg_long & ~self.fg_long)) / max(
            1, int(np.count_nonzero(self.valid))
        )
        self.relearned = new_fraction > s.relearn_fraction
        if self.relearned:
            self.reset(grey)
            return
        self.gain = gain
        # Porikli 2008: stationary = long-term foreground, short-term background
        st = self.stationary_s
        st += dt * (fg_long & ~fg_short)
        st -= (s.decay * dt) * (~fg_long)
        np.maximum(st, 0.0, out=st)
        cv2.accumulateWeighted(grey, short, min(1.0, dt / s.short_tau_s))
        # held pixels follow the light (G) but not the object; the rest follow the image
        a_l = min(1.0, dt / s.long_tau_s)
        fg_u8 = fg_long.view(np.uint8)
        cv2.accumulateWeighted(grey, long, a_l, mask=(~fg_long).view(np.uint8))
        cv2.accumulateWeighted(bl, long, a_l, mask=fg_u8)
        cv2.accumulateWeighted(grey, long, min(1.0, dt / s.held_tau_s), mask=fg_u8)
        self.fg_long = fg_long
        self.fg_short = fg_short

    def absorb(self, region: np.ndarray, grey: np.ndarray) -> None:
        """Take ``region`` of the current frame into both models (a ghost or a light change)."""
        if self.long is None or self.short is None:
            return
        self.long[region] = grey[region]
        self.short[region] = grey[region]
        self.stationary_s[region] = 0.0
        self.fg_long[region] = False
