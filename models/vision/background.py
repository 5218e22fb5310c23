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
Two-channel images (colour differences, chromaticity) are planar, (2h, w): the Cr plane above
the Cb plane (see :func:`channels_last` for an (h, w, 2) view). Every per-pixel step is then one
OpenCV call on one contiguous array and the channel sum adds two contiguous halves; with
interleaved channels the sum, the denominators and the masks each needed a copy.

All images are float32 grey levels (0..255) at the working size; times in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from models.vision.revealed import Revealed

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
    #: Device seconds between steps of the colour part (chromaticity, tint offset field, colour
    #: foreground, both colour models; at 5 fps every 2nd frame), each over the whole time
    #: since the last one; in between the last colour foreground stands. Colour finds goods
    #: and rubbish, which stay for minutes (the grey part, which follows people and vehicles,
    #: steps every frame); a stationary object's colour evidence lags by up to a step.
    colour_step_s: float = 0.3


@dataclass(frozen=True)
class _ColourStep:
    """One frame's colour: chromaticity (planar), tint offset field, foreground masks."""

    n: np.ndarray
    offset: np.ndarray
    fg_long: np.ndarray
    fg_short: np.ndarray


def channels_last(planar: np.ndarray) -> np.ndarray:
    """An (h, w, 2) view of a planar (2h, w) two-channel image (no copy)."""
    h = planar.shape[0] // 2
    return planar.reshape(2, h, planar.shape[1]).transpose(1, 2, 0)


def chromaticity(grey: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """``(Cr, Cb) / (Y + CHROMA_Y0)``: colour without intensity (float32, planar like
    ``chroma``)."""
    h = grey.shape[0]
    den = grey + CHROMA_Y0
    # one cv2.divide per plane (numpy's division takes half as long again)
    n = np.empty_like(chroma)
    cv2.divide(chroma[:h], den, dst=n[:h])
    cv2.divide(chroma[h:], den, dst=n[h:])
    return n


def _l1_2ch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a - b|`` summed over the 2 planes of planar (2h, w) float32 arrays: (h, w)."""
    d = cv2.absdiff(a, b)
    h = d.shape[0] // 2
    return cv2.add(d[:h], d[h:])


def _blend(src: np.ndarray, dst: np.ndarray, alpha: float, mask: np.ndarray | None = None) -> None:
    """``dst = src * a + dst * (1 - a)`` in place, where ``mask`` (uint8) is set if given.

    Rounded as OpenCV's masked 2-channel ``cv2.accumulateWeighted`` rounds it, which the
    interleaved models used: ``a`` and ``1 - a`` in float32, ``dst * (1 - a)`` rounded, then one
    fused multiply-add (``cv2.scaleAdd``). Its 1-channel masked path, which the planar models
    would take, differs in the last bit; so does its unmasked path (``dst + (src - dst) * a``).
    """
    a = np.float32(alpha)
    # numpy for the product: cv2.multiply by a scalar takes five times as long
    kept = dst * (np.float32(1.0) - a)
    if mask is None:
        cv2.scaleAdd(src, float(a), kept, dst=dst)  # straight into dst: no copy
    else:
        cv2.copyTo(cv2.scaleAdd(src, float(a), kept, dst=kept), mask, dst)


def _block_field(
    weighted: np.ndarray,
    w: np.ndarray,
    prior_w: float,
    fallback: np.ndarray,
    shape: tuple[int, int],
) -> np.ndarray:
    """Block means on ``GRID`` of the planes of a planar (2h, w) image whose weighted copy
    (each plane * ``w``) is ``weighted``, with per-plane ``fallback``; bilinearly back to
    ``shape`` (h, w) per plane, planar."""
    h, w_ = shape
    gx, gy = GRID
    # both planes in one call: the blocks (GRID divides h exactly) never straddle the planes
    s_v = cv2.resize(weighted, (gx, 2 * gy), interpolation=cv2.INTER_AREA).reshape(2, gy, gx)
    s_w = cv2.resize(w, GRID, interpolation=cv2.INTER_AREA)
    blocks = ((s_v + prior_w * fallback[:, None, None]) / (s_w + prior_w)).astype(np.float32)
    # interpolated as one 2-channel image: OpenCV's 1-channel bilinear path rounds
    # differently (last bit), and this keeps the field's numbers
    field = cv2.resize(cv2.merge([blocks[0], blocks[1]]), (w_, h), interpolation=cv2.INTER_LINEAR)
    out = np.empty_like(weighted)
    cv2.mixChannels([field], [out[:h], out[h:]], [0, 0, 1, 1])
    return out


class DualBackground:
    """The per-camera background state at the working size."""

    def __init__(self, valid: np.ndarray, settings: BackgroundSettings | None = None) -> None:
        self.s = settings or BackgroundSettings()
        self.valid = valid.astype(bool)
        self._n_valid = max(1, int(np.count_nonzero(self.valid)))
        #: The grey test's absolute threshold where a pixel is valid, +inf where it is not:
        #: added to the relative threshold, it leaves masked pixels out of the foreground
        #: without an ``& valid`` per mask (no difference exceeds +inf).
        self._abs_thr = np.where(self.valid, np.float32(self.s.abs_threshold), np.float32(np.inf))
        #: The colour test's threshold, the same way.
        self._chroma_thr = np.where(
            self.valid, np.float32(self.s.chroma_threshold), np.float32(np.inf)
        )
        self.long: np.ndarray | None = None
        self.short: np.ndarray | None = None
        #: Chromaticity models (planar, 2h x w), None for a grey camera.
        self.long_n: np.ndarray | None = None
        self.short_n: np.ndarray | None = None
        self.stationary_s: np.ndarray = np.zeros(valid.shape, np.float32)
        #: Where a step was short-term foreground (grey or colour: what the pixel shows
        #: changed) since the caller last took it (:meth:`take_changed`); a restart and a
        #: re-learn count as a change everywhere.
        self._changed: np.ndarray = np.zeros(valid.shape, bool)
        #: Stationary evidence step (s) per any_long + 2 * any_short (``_integrate_grey``).
        self._step_lut = np.zeros(256, np.float64)
        self.fg_long: np.ndarray = np.zeros(valid.shape, bool)
        self.fg_short: np.ndarray = np.zeros(valid.shape, bool)
        #: Where the colour test alone (or also) found long-term foreground.
        self.fg_colour: np.ndarray = np.zeros(valid.shape, bool)
        #: Where the colour test found short-term foreground on its last step.
        self.fg_colour_short: np.ndarray = np.zeros(valid.shape, bool)
        #: Grey or colour long-term foreground: what the stationary evidence and the held
        #: pixels use. ``fg_long``/``fg_short`` stay grey-only: people's outlines for the
        #: moving-object detectors do not change with their clothes' colours.
        self.fg_any: np.ndarray = np.zeros(valid.shape, bool)
        self.gain: np.ndarray = np.ones(valid.shape, np.float32)
        self.offset_n: np.ndarray | None = None
        #: The last frame's chromaticity (planar), None for a grey camera.
        self.last_n: np.ndarray | None = None
        self.relearned = False
        self._t: float | None = None
        #: Device time of the last step of the long-term colour model.
        self._t_colour: float | None = None
        #: The former long-term background of absorbed pixels (``restore_revealed``).
        self._revealed = Revealed(valid.shape)

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
        self.fg_colour_short[:] = False
        self.fg_any[:] = False
        self.gain[:] = 1.0
        self._revealed.forget()

    def _gain_field(self, grey: np.ndarray, long: np.ndarray) -> np.ndarray:
        # weights 0/1: converting the boolean mask costs a third of multiplying float by bool;
        # valid and not foreground is valid > foreground (one pass instead of two)
        w = np.greater(self.valid, self.fg_long).astype(np.float32)
        s_i = cv2.resize(grey * w, GRID, interpolation=cv2.INTER_AREA)
        s_b = cv2.resize(long * w, GRID, interpolation=cv2.INTER_AREA)
        m_b = cv2.resize(long, GRID, interpolation=cv2.INTER_AREA)
        g = float(s_i.sum() + 1.0) / float(s_b.sum() + 1.0)
        prior = 0.05 * m_b  # a block without background pixels falls back to the global gain
        blocks = (s_i + g * prior) / (s_b + prior + 1e-3)  # float32
        np.maximum(blocks, 0.2, out=blocks)  # in place: np.clip costs twice as much
        np.minimum(blocks, 5.0, out=blocks)
        h, w_ = grey.shape
        return cv2.resize(blocks, (w_, h), interpolation=cv2.INTER_LINEAR)

    def _offset_field(self, n: np.ndarray, long_n: np.ndarray) -> np.ndarray:
        """Smooth chromaticity shift of the background (tint of the light), same grid."""
        bg = np.greater(self.valid, self.fg_any)  # valid and not foreground
        w = bg.astype(np.float32)
        h = w.shape[0]
        dw = cv2.subtract(n, long_n)
        cv2.multiply(dw[:h], w, dst=dw[:h])
        cv2.multiply(dw[h:], w, dst=dw[h:])
        wsum = float(cv2.countNonZero(bg.view(np.uint8)))  # = w.sum(), exact below 2**24
        # cv2.sumElems accumulates in double (numpy's float32 sum costs several times more)
        sums = (cv2.sumElems(dw[:h])[0], cv2.sumElems(dw[h:])[0])
        glob = np.array(sums, np.float64) / max(wsum, 1.0)
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
            self._restart(grey, chroma, t_s)
            return True
        if (chroma is None) != (self.long_n is None):
            self._restart(grey, chroma, t_s)  # the stream switched between colour and grey
            return True
        dt = min(max(t_s - self._t, 0.0), s.max_step_s)
        long, short = self.long, self.short
        gain = self._gain_field(grey, long)
        bl = cv2.multiply(gain, long)
        thr = bl * s.rel_threshold
        thr += self._abs_thr  # +inf outside the valid pixels: they are never foreground
        fg_long = cv2.absdiff(grey, bl) > thr
        fg_short = cv2.absdiff(grey, cv2.multiply(gain, short)) > thr
        colour = self._colour(grey, chroma) if self._colour_due(t_s) else None
        fg_colour, fg_colour_short = self.fg_colour, self.fg_colour_short
        if colour is not None:
            fg_colour, fg_colour_short = colour.fg_long, colour.fg_short
        any_long, any_short = fg_long, fg_short
        if self.long_n is not None:
            any_long = fg_long | fg_colour
            any_short = fg_short | fg_colour_short
        # new foreground: now and not before (fg_long > self.fg_long, one pass)
        new_fraction = float(np.count_nonzero(np.greater(fg_long, self.fg_long))) / self._n_valid
        sudden = new_fraction > min(s.sudden_fraction, s.relearn_fraction)
        if sudden and accept is not None and not accept():
            self.relearned = False
            return False
        self._t = t_s
        self.relearned = new_fraction > s.relearn_fraction
        if colour is not None:
            self.last_n = colour.n
            self.offset_n = colour.offset
        if self.relearned:
            self.reset(grey, chroma)
            self._changed[:] = True
            self._t_colour = t_s
            return True
        self.gain = gain
        self._integrate_grey(grey, bl, dt, any_long, any_short)
        np.bitwise_or(self._changed, any_short, out=self._changed)
        if colour is not None:
            self._integrate_colour(colour, t_s, any_long)
        self.fg_long = fg_long
        self.fg_short = fg_short
        self.fg_colour = fg_colour
        self.fg_colour_short = fg_colour_short
        self.fg_any = any_long
        return True

    def _restart(self, grey: np.ndarray, chroma: np.ndarray | None, t_s: float) -> None:
        self.reset(grey, chroma)
        self._changed[:] = True
        self._t = self._t_colour = t_s

    def take_changed(self, out: np.ndarray) -> None:
        """OR into ``out`` (bool or 0/1 uint8, the working size) where a step was short-term
        foreground since the last call, and start collecting anew."""
        np.bitwise_or(out, self._changed.view(out.dtype), out=out)
        self._changed[:] = False

    def _colour_due(self, t_s: float) -> bool:
        """Is the colour part's step (``colour_step_s``) due at device time t_s?"""
        last = self._t_colour
        # a clock that went back (a restarted source) must not stop the colour updates
        return last is None or t_s - last >= self.s.colour_step_s or t_s < last

    def _colour(self, grey: np.ndarray, chroma: np.ndarray | None) -> _ColourStep | None:
        """This frame's chromaticity, the tint offset and the colour foreground masks; None
        for a grey camera."""
        if chroma is None or self.long_n is None or self.short_n is None:
            return None
        n = chromaticity(grey, chroma)
        off = self._offset_field(n, self.long_n)
        d_long = _l1_2ch(cv2.subtract(n, off), self.long_n)
        d_short = _l1_2ch(n, self.short_n)  # short follows the tint itself
        return _ColourStep(
            n=n,
            offset=off,
            fg_long=d_long > self._chroma_thr,  # +inf outside the valid pixels
            fg_short=d_short > self._chroma_thr,
        )

    def _integrate_grey(
        self,
        grey: np.ndarray,
        bl: np.ndarray,
        dt: float,
        any_long: np.ndarray,
        any_short: np.ndarray,
    ) -> None:
        """Stationary evidence and both grey models over a step of ``dt`` seconds."""
        s = self.s
        assert self.long is not None and self.short is not None
        # Porikli 2008: stationary = long-term foreground, short-term background. Each pixel's
        # step comes from a table indexed by any_long + 2 * any_short: +dt (long only),
        # -decay * dt (not long), 0 (both). The table is float64 and cv2.add computes mixed
        # depths in float64, so each pixel is rounded to float32 once, as with float64
        # temporaries (same numbers, a third of the time).
        lut = self._step_lut
        lut[0] = lut[2] = -(s.decay * dt)
        lut[1] = dt
        a8, s8 = any_long.view(np.uint8), any_short.view(np.uint8)
        st = self.stationary_s
        cv2.add(st, cv2.LUT(a8 + s8 + s8, lut), dst=st, dtype=cv2.CV_32F)
        cv2.threshold(st, 0.0, 0.0, cv2.THRESH_TOZERO, dst=st)  # max(st, 0)
        cv2.accumulateWeighted(grey, self.short, min(1.0, dt / s.short_tau_s))
        # held pixels follow the light (G) but not the object; the rest follow the image
        a_l = min(1.0, dt / s.long_tau_s)
        a_h = min(1.0, dt / s.held_tau_s)
        bg_u8 = (~any_long).view(np.uint8)
        cv2.accumulateWeighted(grey, self.long, a_l, mask=bg_u8)
        cv2.accumulateWeighted(bl, self.long, a_l, mask=a8)
        cv2.accumulateWeighted(grey, self.long, a_h, mask=a8)

    def _integrate_colour(self, colour: _ColourStep, t_s: float, any_long: np.ndarray) -> None:
        """Both chromaticity models over the time since the colour part's last step (device
        seconds)."""
        s = self.s
        assert self.long_n is not None and self.short_n is not None
        n = colour.n
        last = self._t_colour if self._t_colour is not None else t_s
        dt = min(max(t_s - last, 0.0), s.max_step_s)
        self._t_colour = t_s
        cv2.accumulateWeighted(n, self.short_n, min(1.0, dt / s.short_tau_s))
        held = np.concatenate((any_long, any_long))  # the mask for both planes
        # held pixels follow the tint shift of their surroundings, not the object: all pixels
        # step at long_tau_s towards the image where not held, the model plus the tint offset
        # where held; held pixels then step at held_tau_s towards the image
        target = cv2.add(self.long_n, colour.offset)
        cv2.copyTo(n, (~held).view(np.uint8), target)
        _blend(target, self.long_n, min(1.0, dt / s.long_tau_s))
        _blend(n, self.long_n, min(1.0, dt / s.held_tau_s), held.view(np.uint8))

    def background_chromaticity(self) -> np.ndarray | None:
        """The long-term model's chromaticity (planar) under the current tint."""
        if self.long_n is None or self.offset_n is None:
            return None
        return self.long_n + self.offset_n

    def background_chroma(self, win: tuple[slice, slice] | None = None) -> np.ndarray | None:
        """The long-term model's colour differences (planar) under the current light, in the
        window ``win`` (rows, columns) of the image if given: the ghost test reads them near
        its blobs only, and every step is per pixel, so the window's numbers are the whole
        image's."""
        if self.long is None or self.long_n is None or self.offset_n is None:
            return None
        rows, cols = win if win is not None else (slice(None), slice(None))
        h, w = self.long.shape
        n = (
            self.long_n.reshape(2, h, w)[:, rows, cols]
            + self.offset_n.reshape(2, h, w)[:, rows, cols]
        )
        y = self.gain[rows, cols] * self.long[rows, cols]
        return (n * (y + CHROMA_Y0)).reshape(-1, y.shape[1])

    def absorb(
        self, region: np.ndarray, grey: np.ndarray, chroma: np.ndarray | None = None
    ) -> None:
        """Take ``region`` of the current frame into both models (a ghost or a light change),
        keeping what the long-term model held there (``restore_revealed``)."""
        if self.long is None or self.short is None:
            return
        if self._t is not None:
            self._revealed.remember(region, self.long, self.long_n, self._t)
        self.long[region] = grey[region]
        self.short[region] = grey[region]
        if chroma is not None and self.long_n is not None and self.short_n is not None:
            n = chromaticity(grey, chroma)
            both = np.concatenate((region, region))  # the region in both planes
            self.short_n[both] = n[both]
            if self.offset_n is not None:
                n = n - self.offset_n
            self.long_n[both] = n[both]
        self.stationary_s[region] = 0.0
        self.fg_long[region] = False
        self.fg_any[region] = False

    def restore_revealed(self, grey: np.ndarray, chroma: np.ndarray | None = None) -> None:
        """Give pixels absorbed lately (``revealed.KEEP_S``) their former long-term background
        back where this frame (the last one integrated) shows it again, grey and colour within
        the foreground thresholds, while they are long-term foreground, as it did on the
        checks before (``revealed.VOTES``; once a second): what was absorbed there has left
        (``models.vision.revealed``)."""
        kept = None if self._t is None else self._revealed.kept(self._t)
        if kept is None or self.long is None or self.short is None:
            return
        s = self.s
        former = self._revealed
        prior = self.gain * former.grey
        back = kept & self.fg_any
        back &= cv2.absdiff(grey, prior) <= prior * s.rel_threshold + s.abs_threshold
        n = None
        if chroma is not None and self.long_n is not None and self.offset_n is not None:
            n = chromaticity(grey, chroma)
            back &= _l1_2ch(n, former.n + self.offset_n) <= s.chroma_threshold
        back = former.shown(back)
        if not back.any():
            return
        self.long[back] = former.grey[back]
        self.short[back] = grey[back]
        if n is not None and self.long_n is not None and self.short_n is not None:
            both = np.concatenate((back, back))
            self.long_n[both] = former.n[both]
            self.short_n[both] = n[both]
        self.stationary_s[back] = 0.0
        for mask in (self.fg_long, self.fg_short, self.fg_colour, self.fg_colour_short):
            mask[back] = False
        self.fg_any[back] = False
        former.forget(back)
