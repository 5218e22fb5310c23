"""A streaming sound level meter: PCM blocks in, one :class:`SecondLevels` per second out.

Arithmetic follows IEC 61672-1:2013 (class 1 design goals): A/C weighting (``weighting``),
F/S exponential time weighting per sample (``timeweight``), C-weighted peak. The meter only
computes; it is an indicative instrument when fed by a MEMS microphone, not a certified one.

Levels in dB re 20 uPa. The microphone sensitivity is the datasheet figure in dBFS for a
94 dB SPL, 1 kHz tone, where 0 dBFS is the RMS of a full-scale sine, so
SPL = 10 lg(mean x^2) + 94 - sensitivity_dbfs + 10 lg 2 (x in full-scale units).

Streaming: samples are buffered and processed in whole seconds; all filter and averager states
carry across seconds, so the block size the caller uses never changes a single output bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from scipy import signal

from models.noise.bands import OCTAVE_CENTRE_N, BandAnalyser
from models.noise.timeweight import TAU_FAST_S, TAU_SLOW_S, ExponentialAverager
from models.noise.weighting import a_from_c_section, c_transfer_function

#: Mean squares below this (in full-scale^2) are floored so digital silence gives finite levels.
_MS_FLOOR = 1e-20
#: Filter and averager states below this are set to exactly zero at each second. In digital
#: silence (a dead microphone) the IIR states would otherwise decay into subnormal floats and
#: stay there (limit cycles), where every operation is ~100x slower. 1e-60 full scale is
#: -1200 dBFS: no measurable level changes (levels are floored at _MS_FLOOR anyway).
STATE_FLUSH = 1e-60
#: |sample| at or above this fraction of full scale counts as clipped.
CLIP_FRACTION = 0.999


#: Integer PCM types and their full-scale divisor.
_PCM_TYPES = {
    np.dtype(np.int16): 32768.0,
    np.dtype(np.int32): 2147483648.0,
    np.dtype(np.uint8): 128.0,
}
#: Signed PCM types whose full-scale factor the C filter's numerator absorbs: the factors are
#: powers of two, so (b * 2^-15) * s rounds exactly like b * (s * 2^-15) (same output bits).
_SCALED_PCM = {np.dtype(np.int16): 2.0**-15, np.dtype(np.int32): 2.0**-31}


def to_full_scale(samples: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """int16 / int32 / uint8 / float PCM to float64 full-scale units (1.0 = digital full scale)."""
    arr = np.asarray(samples)
    if arr.dtype == np.uint8:
        return (arr.astype(np.float64) - 128.0) / 128.0
    if arr.dtype in _PCM_TYPES:
        return np.multiply(arr, 1.0 / _PCM_TYPES[arr.dtype], dtype=np.float64)
    if np.issubdtype(arr.dtype, np.floating):
        return arr.astype(np.float64, copy=False)
    raise TypeError(f"unsupported PCM sample type {arr.dtype}")


def _sample_to_full_scale(v: Any, dtype: np.dtype[Any]) -> float:
    """One sample as :func:`to_full_scale` converts it (the same float64 operations)."""
    if dtype == np.uint8:
        return (float(v) - 128.0) / 128.0
    return float(v) * (1.0 / _PCM_TYPES[dtype]) if dtype in _PCM_TYPES else float(v)


def _flush_tiny(z: npt.NDArray[np.float64]) -> None:
    """Set the entries of a (small) filter state below STATE_FLUSH to exactly zero."""
    for i, v in enumerate(z.tolist()):
        if abs(v) < STATE_FLUSH:
            z[i] = 0.0


def full_scale_factor(dtype: np.dtype[Any]) -> float:
    """Full-scale units per PCM step (uint8's offset of 128 only moves DC)."""
    return 1.0 / _PCM_TYPES[dtype] if dtype in _PCM_TYPES else 1.0


def spl_offset_db(sensitivity_dbfs: float) -> float:
    """dB to add to 10 lg(mean square in full-scale units) to get dB SPL."""
    return 94.0 - sensitivity_dbfs + 10.0 * math.log10(2.0)


@dataclass(frozen=True)
class SecondLevels:
    """What the meter measured over one second (levels in dB re 20 uPa)."""

    index: int  # seconds since the meter started (second i covers samples [i fs, (i+1) fs))
    laeq: float
    lafmax: float
    lafmin: float
    lasmax: float
    lcpeak: float
    lceq: float
    #: Z-weighted 1/3-octave band levels over the second (centres in ``band_centres_hz``).
    bands_db: npt.NDArray[np.float64]
    band_centres_hz: npt.NDArray[np.float64]
    #: Octave band levels per 100 ms frame, shape (10, 7): the envelope for repetition detection.
    envelope_db: npt.NDArray[np.float64]
    clipped_samples: int
    #: True when every sample of the second has the same value (a dead digital microphone).
    digital_silence: bool
    raw_peak_dbfs: float

    def as_dict(self) -> dict[str, float]:
        return {
            "laeq": round(self.laeq, 2),
            "lafmax": round(self.lafmax, 2),
            "lafmin": round(self.lafmin, 2),
            "lasmax": round(self.lasmax, 2),
            "lcpeak": round(self.lcpeak, 2),
        }


@dataclass
class SoundLevelMeter:
    """Feed PCM blocks with :meth:`process`; get the completed seconds back."""

    fs_hz: int
    sensitivity_dbfs: float = -26.0
    offset_db: float = field(init=False)
    #: C weighting as one 4th-order (b, a) (weighting.c_transfer_function); ``_c_b`` by the
    #: full-scale factor of the PCM type it is applied to (1.0 for float input).
    _c_b: dict[float, npt.NDArray[np.float64]] = field(init=False, repr=False)
    _c_a: npt.NDArray[np.float64] = field(init=False, repr=False)
    #: The one A section as (b, a) of a biquad: lfilter runs one biquad ~20 % faster than
    #: sosfilt, same transposed direct form II arithmetic.
    _a_b: npt.NDArray[np.float64] = field(init=False, repr=False)
    _a_a: npt.NDArray[np.float64] = field(init=False, repr=False)
    _zc: npt.NDArray[np.float64] = field(init=False, repr=False)
    _za: npt.NDArray[np.float64] = field(init=False, repr=False)
    _fast: ExponentialAverager = field(init=False, repr=False)
    _slow: ExponentialAverager = field(init=False, repr=False)
    _bands: BandAnalyser = field(init=False, repr=False)
    _pending: list[npt.NDArray[np.float64]] = field(init=False, repr=False)
    _pending_n: int = field(init=False, default=0)
    _xbuf: npt.NDArray[np.float64] = field(init=False, repr=False)
    #: The second's mean squares before the one conversion to dB (6 levels, bands, envelope).
    _ms: npt.NDArray[np.float64] = field(init=False, repr=False)
    seconds_done: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.fs_hz <= 0 or self.fs_hz % 10:
            raise ValueError(f"sample rate must be a positive multiple of 10 Hz, got {self.fs_hz}")
        self.offset_db = spl_offset_db(self.sensitivity_dbfs)
        c_b, self._c_a = c_transfer_function(self.fs_hz)
        self._c_b = {1.0: c_b, **{f: c_b * f for f in _SCALED_PCM.values()}}
        a_sos = a_from_c_section(self.fs_hz)
        self._a_b, self._a_a = a_sos[0, :3].copy(), a_sos[0, 3:].copy()
        self._zc = np.zeros(self._c_a.size - 1)
        self._za = np.zeros(2)
        self._fast = ExponentialAverager(self.fs_hz, TAU_FAST_S, max_step_s=0.0004)
        self._slow = ExponentialAverager(self.fs_hz, TAU_SLOW_S, max_step_s=0.001)
        self._bands = BandAnalyser(self.fs_hz)
        self._pending = []
        self._xbuf = np.empty(self.fs_hz)
        n_bands = self._bands.centres_hz.size
        self._ms = np.empty(6 + n_bands + self._bands.frames_per_s * len(OCTAVE_CENTRE_N))

    def process(self, samples: npt.ArrayLike) -> list[SecondLevels]:
        """Feed any number of samples (one channel); return every second completed by them."""
        arr = np.asarray(samples).ravel()
        if arr.dtype not in _PCM_TYPES and not np.issubdtype(arr.dtype, np.floating):
            raise TypeError(f"unsupported PCM sample type {arr.dtype}")
        if arr.size:
            self._pending.append(arr)
            self._pending_n += arr.size
        out: list[SecondLevels] = []
        fs = self.fs_hz
        while self._pending_n >= fs:
            # raw samples are joined first and converted once per second (one pass)
            if len(self._pending) == 1:
                buf = self._pending[0]
            elif len({p.dtype for p in self._pending}) == 1:
                buf = np.concatenate(self._pending)
            else:
                buf = np.concatenate([to_full_scale(p) for p in self._pending])
            rest = buf[fs:]
            self._pending = [rest] if rest.size else []
            self._pending_n = rest.size
            raw = buf[:fs]
            scale = _SCALED_PCM.get(raw.dtype)
            if scale is not None:
                # PCM steps as float64 (exact) into a persistent buffer (a fresh 384 kB array
                # each second page-faults); the C filter applies the full-scale factor
                np.copyto(self._xbuf, raw)
                out.append(self._second(self._xbuf, raw, scale))
            else:
                out.append(self._second(to_full_scale(raw), raw))
        return out

    def level_db(self, mean_square: float) -> float:
        return 10.0 * math.log10(max(mean_square, _MS_FLOOR)) + self.offset_db

    def _second(
        self, x: npt.NDArray[np.float64], raw: npt.NDArray[Any] | None = None, scale: float = 1.0
    ) -> SecondLevels:
        """One second: ``x * scale`` in full-scale units (``scale`` 1.0 or a key of
        ``_SCALED_PCM``); ``raw`` the same samples as received (the extremes and the band FFT
        read the narrower integer samples when there are some)."""
        raw = x if raw is None else raw
        # C weighting (one 4th-order recursion), then one more section for A (weighting.py);
        # float64, filter states carried from second to second
        c, self._zc = signal.lfilter(self._c_b[scale], self._c_a, x, zi=self._zc)
        a, self._za = signal.lfilter(self._a_b, self._a_a, c, zi=self._za)
        _flush_tiny(self._zc)
        _flush_tiny(self._za)
        # one pass each (OpenCV's norms: 4.5 us on 48000 samples; numpy takes two passes for
        # max |c| and einsum 13 us for a sum of squares; BLAS dot is threaded: it stalls)
        a_energy = cv2.norm(a, cv2.NORM_L2SQR)
        c_energy = cv2.norm(c, cv2.NORM_L2SQR)
        c_peak = cv2.norm(c, cv2.NORM_INF)
        a2 = np.square(a, out=a)  # a itself is not needed any more
        fast = self._fast.process(a2)
        slow = self._slow.process(a2)
        self._fast.flush_below(STATE_FLUSH)
        self._slow.flush_below(STATE_FLUSH)
        third, octave = self._bands.analyse(raw, full_scale_factor(raw.dtype))
        x_min, x_max = (
            _sample_to_full_scale(raw.min(), raw.dtype),
            _sample_to_full_scale(raw.max(), raw.dtype),
        )
        raw_peak = max(x_max, -x_min)
        n = a2.size
        # every mean square (full-scale units) to dB SPL in one pass: levels, bands, envelope
        ms = self._ms
        ms[:6] = (a_energy / n, fast.max(), fast.min(), slow.max(), c_peak * c_peak, c_energy / n)
        ms[6 : 6 + third.size] = third
        ms[6 + third.size :] = octave.ravel()
        db = np.maximum(ms, _MS_FLOOR)
        np.log10(db, out=db)
        db *= 10.0
        db += self.offset_db
        levels = db[:6].tolist()
        res = SecondLevels(
            index=self.seconds_done,
            laeq=levels[0],
            lafmax=levels[1],
            lafmin=levels[2],
            lasmax=levels[3],
            lcpeak=levels[4],
            lceq=levels[5],
            bands_db=db[6 : 6 + third.size],
            band_centres_hz=self._bands.centres_hz,
            envelope_db=db[6 + third.size :].reshape(octave.shape),
            clipped_samples=int(np.count_nonzero(np.abs(x) >= CLIP_FRACTION / scale))
            if raw_peak >= CLIP_FRACTION
            else 0,
            digital_silence=x_max == x_min,
            raw_peak_dbfs=20 * math.log10(max(raw_peak, 1e-10)),
        )
        self.seconds_done += 1
        return res
