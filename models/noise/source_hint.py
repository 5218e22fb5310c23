"""Source hints for a noise episode: looping loudspeaker, impulsive, broadband, unknown.

Loudspeaker loops (循环喇叭叫卖) repeat the same recording every few seconds, so the octave-band
level envelopes (100 ms frames) are periodic: the band-averaged, normalised autocorrelation of
the mean-removed dB envelopes has a clear peak at the loop period (1.5-15 s). Crowd babble and
traffic envelopes decorrelate within a second or two and show no such peak.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

Hint = Literal["loudspeaker_loop", "impulsive", "broadband", "unknown"]
FRAMES_PER_S = 10
#: Periodicity score (0..1) above which the envelope is judged a repeating recording.
LOOP_SCORE = 0.45
#: LAFmax - LAeq,1s above which a second holds a short, impulsive event, dB.
IMPULSIVE_CREST_DB = 6.0


@dataclass(frozen=True)
class Periodicity:
    score: float  # autocorrelation at the best lag, 0..1
    period_s: float


def envelope_periodicity(
    env_db: npt.NDArray[np.float64], min_period_s: float = 1.5, max_period_s: float = 15.0
) -> Periodicity:
    """Repetition of a (frames, bands) dB envelope at 10 frames/s."""
    n = env_db.shape[0]
    lo, hi = int(min_period_s * FRAMES_PER_S), int(max_period_s * FRAMES_PER_S)
    hi = min(hi, n // 2)
    if hi <= lo + 2:
        return Periodicity(0.0, 0.0)
    band_mean = env_db.mean(axis=0)
    keep = band_mean >= band_mean.max() - 25.0
    # remove the slow movement (a crowd swelling, a truck passing): keep the fine structure
    # of syllables that a recording repeats exactly; 1.5 s moving average, edge-corrected
    e = env_db[:, keep]
    k = np.ones(15)
    trend = np.apply_along_axis(lambda c: np.convolve(c, k, "same"), 0, e)
    trend /= np.convolve(np.ones(n), k, "same")[:, None]
    x = e - trend
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spec = np.fft.rfft(x, size, axis=0)
    ac = np.fft.irfft(np.abs(spec) ** 2, size, axis=0)[: hi + 1]
    energy = ac[0]
    ok = energy > 1e-9
    if not ok.any():
        return Periodicity(0.0, 0.0)
    # unbiased normalised autocorrelation, averaged over the bands that carry energy
    r = (ac[:, ok] / energy[ok]) * (n / (n - np.arange(hi + 1)))[:, None]
    r_mean = r.mean(axis=1)
    lag = lo + int(np.argmax(r_mean[lo:]))
    dip = float(r_mean[: lag + 1].min())
    score = float(r_mean[lag])
    if score - dip < 0.3:  # no peak: a smooth, slowly varying envelope
        score = min(score, dip + 0.3) * 0.5
    return Periodicity(max(score, 0.0), lag / FRAMES_PER_S)


def spectral_breadth(bands_db: npt.NDArray[np.float64]) -> int:
    """How many 1/3-octave bands are within 10 dB of the loudest one."""
    return int(np.count_nonzero(bands_db >= bands_db.max() - 10.0))


def classify(
    env_db: npt.NDArray[np.float64], crest_db: float, bands_db: npt.NDArray[np.float64]
) -> tuple[Hint, Periodicity]:
    """The hint for a stretch of sound: envelope (frames, bands), the peak second's
    LAFmax - LAeq,1s, and the 1/3-octave spectrum at the peak."""
    per = envelope_periodicity(env_db)
    if per.score >= LOOP_SCORE:
        return "loudspeaker_loop", per
    if crest_db >= IMPULSIVE_CREST_DB:
        return "impulsive", per
    if spectral_breadth(bands_db) >= 8:
        return "broadband", per
    return "unknown", per
