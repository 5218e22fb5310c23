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

Colour (optional, see ``models.vision.frame``): the models also hold chromaticity
``n = (Cr, Cb) / (Y + CHROMA_Y0)``, which a change of light intensity (a shadow, the gain of the
auto exposure) leaves alone. A pixel is foreground when grey OR chromaticity differs; a smooth
chromaticity offset field (same 16x9 grid) takes out tint changes (sodium lamps off, sky tint
at dawn). Coloured goods about as bright as the paving are found by the colour test alone.

All images are float32 grey levels (0..255) at the working size; times in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

GRID: tuple[int, int] = (16, 9)
#: Grey level added to Y before dividing the colour differences by it: keeps the
#: chromaticity of dark (night) pixels, whose colour is mostly sensor noise, near zero.
CHROMA_Y0 = 24.0


@dataclass(frozen=True)
class BackgroundSettings:
    short_tau_s: float = 5.0
    long_tau_s: float = 90.0
    #: Time constant at which held (foreground) pixels are still absorbed: a safety valve.
    held_tau_s: float = 3600.0
    #: Foreground when |I - G*B| > abs_threshold + rel_threshold * G*B (grey levels).
    abs_threshold: float = 12.0
    rel_threshold: float = 0.10
    #: Colour foreground when the L1 chromaticity difference exceeds this (unitless; grey
    #: paving ~0, a saturated crate 0.3-0.8; sensor noise at 160x90 below ~0.05).
    chroma_threshold: float = 0.12
    #: Stationary evidence falls this many times faster than it grows.
    decay: float = 4.0
    #: Re-learn both models when more than this fraction of the frame is new foreground.
    relearn_fraction: float = 0.4
    #: A frame on which more than this fraction is new foreground changed suddenly (light or
    #: tampering) and is learned only if the caller accepts it (``update``'s ``accept``):
    #: walking people and vehicles renew a few per cent of the frame a frame.
    sudden_fraction: float = 0.2
    #: Longest step between frames that is integrated (a gap longer than this is clamped).
    max_step_s: float = 2.0


def chromaticity(grey: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """``(Cr, Cb) / (Y + CHROMA_Y0)``: colour without intensity (float32, 2 channels)."""
    den = grey + CHROMA_Y0
    # cv2.divide gives the same quotients as numpy's broadcast division in two thirds the time
    return cv2.divide(chroma, cv2.merge([den, den]))


def _l1_2ch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a - b|`` summed over the 2 channels of (h, w, 2) float32 arrays.

    Same numbers as ``np.abs(a - b).sum(axis=2)`` (one addition per pixel either way) at a
    twentieth of the cost: numpy's reduction over a length-2 last axis is slow.
    """
    d = cv2.absdiff(a, b)
    return cv2.add(d[:, :, 0], d[:, :, 1])


def _block_field(
    weighted: np.ndarray,
    w: np.ndarray,
    prior_w: float,
    fallback: np.ndarray,
    shape: tuple[int, int],
) -> np.ndarray:
    """Block means on ``GRID`` of values whose weighted copy (values * ``w``) is
    ``weighted``, bilinearly back to ``shape`` (h, w)."""
    s_v = cv2.resize(weighted, GRID, interpolation=cv2.INTER_AREA)
    s_w = cv2.resize(w, GRID, interpolation=cv2.INTER_AREA)
    if weighted.ndim == 3:
        s_w = s_w[:, :, None]
    blocks = ((s_v + prior_w * fallback) / (s_w + prior_w)).astype(np.float32)
    return cv2.resize(blocks, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


class DualBackground:
    """The per-camera background state at the working size."""

    def __init__(self, valid: np.ndarray, settings: BackgroundSettings | None = None) -> None:
        self.s = settings or BackgroundSettings()
        self.valid = valid.astype(bool)
        self._validf = self.valid.astype(np.float32)
        self._n_valid = max(1, int(np.count_nonzero(self.valid)))
        self.long: np.ndarray | None = None
        self.short: np.ndarray | None = None
        #: Chromaticity models (h, w, 2), None for a grey camera.
        self.long_n: np.ndarray | None = None
        self.short_n: np.ndarray | None = None
        self.stationary_s: np.ndarray = np.zeros(valid.shape, np.float32)
        self.fg_long: np.ndarray = np.zeros(valid.shape, bool)
        self.fg_short: np.ndarray = np.zeros(valid.shape, bool)
        #: Where the colour test alone (or also) found long-term foreground.
        self.fg_colour: np.ndarray = np.zeros(valid.shape, bool)
        #: Grey or colour long-term foreground: what the stationary evidence and the held
        #: pixels use. ``fg_long``/``fg_short`` stay grey-only: people's outlines for the
        #: moving-object detectors do not change with their clothes' colours.
        self.fg_any: np.ndarray = np.zeros(valid.shape, bool)
        self.gain: np.ndarray = np.ones(valid.shape, np.float32)
        self.offset_n: np.ndarray | None = None
        #: The last frame's chromaticity (h, w, 2), None for a grey camera.
        self.last_n: np.ndarray | None = None
        self.relearned = False
        self._t: float | None = None

    @property
    def ready(self) -> bool:
        return self.long is not None

    def reset(self, grey: np.ndarray, chroma: np.ndarray | None = None) -> None:
        self.long = grey.copy()
        self.short = grey.copy()
        if chroma is not None:
            n = chromaticity(grey, chroma)
            self.long_n, self.short_n = n, n.copy()
            self.offset_n = np.zeros_like(n)
        else:
            self.long_n = self.short_n = self.offset_n = None
        self.stationary_s[:] = 0
        self.fg_long[:] = False
        self.fg_short[:] = False
        self.fg_colour[:] = False
        self.fg_any[:] = False
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

    def _offset_field(self, n: np.ndarray, long_n: np.ndarray) -> np.ndarray:
        """Smooth chromaticity shift of the background (tint of the light), same grid."""
        w = self._validf * (~self.fg_any)
        d = cv2.subtract(n, long_n)
        dw = cv2.multiply(d, cv2.merge([w, w]))
        wsum = float(w.sum())
        # cv2.sumElems accumulates in double: numpy's float32 sum over axes (0, 1) of a
        # 2-channel array costs ~0.2 ms here
        glob = np.array(cv2.sumElems(dw)[:2], np.float64) / max(wsum, 1.0)
        return _block_field(dw, w, 0.05, glob.astype(np.float32), w.shape)

    def update(
        self,
        grey: np.ndarray,
        t_s: float,
        chroma: np.ndarray | None = None,
        accept: Callable[[], bool] | None = None,
    ) -> bool:
        """Integrate one frame taken at device time ``t_s`` (seconds).

        ``accept`` is asked whether to learn a frame that changed suddenly (more than
        ``sudden_fraction`` new foreground); if it answers False the frame is dropped as if
        never seen (nothing learned, the time step not taken) and False returned. The caller
        uses it to check such a view for tampering before the models take it as the scene.
        """
        s = self.s
        if self.long is None or self.short is None or self._t is None:
            self.reset(grey, chroma)
            self._t = t_s
            return True
        if (chroma is None) != (self.long_n is None):
            self.reset(grey, chroma)  # the stream switched between colour and grey
            self._t = t_s
            return True
        dt = min(max(t_s - self._t, 0.0), s.max_step_s)
        long, short = self.long, self.short
        gain = self._gain_field(grey, long)
        bl = cv2.multiply(gain, long)
        thr = bl * s.rel_threshold
        thr += s.abs_threshold
        fg_long = (cv2.absdiff(grey, bl) > thr) & self.valid
        fg_short = (cv2.absdiff(grey, cv2.multiply(gain, short)) > thr) & self.valid
        n: np.ndarray | None = None
        off: np.ndarray | None = None
        fg_colour = self.fg_colour
        if chroma is not None and self.long_n is not None and self.short_n is not None:
            n = chromaticity(grey, chroma)
            off = self._offset_field(n, self.long_n)
            nc = n - off
            d_long = _l1_2ch(nc, self.long_n)
            d_short = _l1_2ch(n, self.short_n)  # short follows the tint itself
            fg_colour = (d_long > s.chroma_threshold) & self.valid
            any_long = fg_long | fg_colour
            any_short = fg_short | ((d_short > s.chroma_threshold) & self.valid)
        else:
            any_long, any_short = fg_long, fg_short
        new_fraction = float(np.count_nonzero(fg_long & ~self.fg_long)) / self._n_valid
        sudden = new_fraction > min(s.sudden_fraction, s.relearn_fraction)
        if sudden and accept is not None and not accept():
            self.relearned = False
            return False
        relearn = new_fraction > s.relearn_fraction
        self._t = t_s
        self.relearned = relearn
        if n is not None and off is not None:
            self.last_n = n
            self.offset_n = off
        if relearn:
            self.reset(grey, chroma)
            return True
        self.gain = gain
        # Porikli 2008: stationary = long-term foreground, short-term background
        st = self.stationary_s
        st += dt * (any_long & ~any_short)
        st -= (s.decay * dt) * (~any_long)
        np.maximum(st, 0.0, out=st)
        a_s = min(1.0, dt / s.short_tau_s)
        cv2.accumulateWeighted(grey, short, a_s)
        # held pixels follow the light (G) but not the object; the rest follow the image
        a_l = min(1.0, dt / s.long_tau_s)
        a_h = min(1.0, dt / s.held_tau_s)
        fg_u8 = any_long.view(np.uint8)
        bg_u8 = (~any_long).view(np.uint8)
        cv2.accumulateWeighted(grey, long, a_l, mask=bg_u8)
        cv2.accumulateWeighted(bl, long, a_l, mask=fg_u8)
        cv2.accumulateWeighted(grey, long, a_h, mask=fg_u8)
        if n is not None and self.long_n is not None and self.short_n is not None:
            cv2.accumulateWeighted(n, self.short_n, a_s)
            # held pixels follow the tint shift of their surroundings, not the object
            cv2.accumulateWeighted(n, self.long_n, a_l, mask=bg_u8)
            cv2.accumulateWeighted(self.long_n + self.offset_n, self.long_n, a_l, mask=fg_u8)
            cv2.accumulateWeighted(n, self.long_n, a_h, mask=fg_u8)
        self.fg_long = fg_long
        self.fg_short = fg_short
        self.fg_colour = fg_colour
        self.fg_any = any_long
        return True

    def background_chromaticity(self) -> np.ndarray | None:
        """The long-term model's chromaticity (h, w, 2) under the current tint."""
        if self.long_n is None or self.offset_n is None:
            return None
        return self.long_n + self.offset_n

    def background_chroma(self) -> np.ndarray | None:
        """The long-term model's colour differences (h, w, 2) under the current light."""
        if self.long is None or self.long_n is None or self.offset_n is None:
            return None
        y = self.gain * self.long
        return (self.long_n + self.offset_n) * (y + CHROMA_Y0)[:, :, None]

    def absorb(
        self, region: np.ndarray, grey: np.ndarray, chroma: np.ndarray | None = None
    ) -> None:
        """Take ``region`` of the current frame into both models (a ghost or a light change)."""
        if self.long is None or self.short is None:
            return
        self.long[region] = grey[region]
        self.short[region] = grey[region]
        if chroma is not None and self.long_n is not None and self.short_n is not None:
            n = chromaticity(grey, chroma)
            self.short_n[region] = n[region]
            if self.offset_n is not None:
                n = n - self.offset_n
            self.long_n[region] = n[region]
        self.stationary_s[region] = 0.0
        self.fg_long[region] = False
        self.fg_any[region] = False
