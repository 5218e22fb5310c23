"""Physical calibration of the simulated sensor: pascals, dB(A) and digital full scale.

The simulator composes its sound in pascals and scales every source so that its A-weighted
level is what the script says. The A weighting here is the IEC 61672-1:2013 Annex E formula
applied in the frequency domain (exact), independent of the meter's digital filters, so the
test "the simulator's 72 dB(A) measures 72 dB(A)" checks the meter against physics.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

P_REF_PA = 20e-6
_F1, _F2, _F3, _F4 = 20.598997, 107.652649, 737.862231, 12194.217
_A1000_DB = -1.99966


def a_weight_gain2(freq_hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """|A(f)|^2, linear power gain, 1.0 at 1 kHz (IEC 61672-1 Annex E)."""
    f2 = freq_hz * freq_hz
    num = _F4**2 * f2 * f2
    den = (f2 + _F1**2) * np.sqrt(f2 + _F2**2) * np.sqrt(f2 + _F3**2) * (f2 + _F4**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.asarray((a * 10 ** (-_A1000_DB / 20)) ** 2)


def a_weighted_mean_square(x: npt.NDArray[np.float64], fs_hz: int) -> float:
    """Mean square of the A-weighted version of ``x`` (same units squared), via the FFT."""
    n = x.size
    spec = np.fft.rfft(x)
    w = np.full(spec.shape, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    g = a_weight_gain2(np.asarray(np.fft.rfftfreq(n, 1.0 / fs_hz), dtype=np.float64))
    return float(np.sum(w * g * np.abs(spec) ** 2) / n**2)


def level_to_pa_rms(level_db: float) -> float:
    return P_REF_PA * 10 ** (level_db / 20)


def full_scale_per_pa(sensitivity_dbfs: float) -> float:
    """Digital full-scale units per pascal for a microphone of this sensitivity.

    A 94 dB SPL tone (1.0024 Pa RMS) reads ``sensitivity_dbfs`` re the RMS of a full-scale
    sine (1/sqrt 2).
    """
    return (10 ** (sensitivity_dbfs / 20) / math.sqrt(2.0)) / level_to_pa_rms(94.0)
