"""Microphone sensitivity from a 94 dB / 1 kHz acoustic calibrator recording, and drift checks.

The sensitivity is the RMS of the calibrator tone in dBFS (0 dBFS = RMS of a full-scale sine):
sensitivity_dbfs = 20 lg(rms * sqrt 2) - (calibrator_db - 94). IEC 60942 class 1 calibrators
are within +-1 % of 1 kHz; HJ 906-2017 invalidates data when calibrations before and after
differ by more than 0.5 dB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.noise.meter import to_full_scale

#: A calibration that moved by more than this (dB) invalidates the data in between (HJ 906).
MAX_DRIFT_DB = 0.5
#: Accepted tone frequency range, Hz (a calibrator is 1 kHz +-1 %; allow for clock error).
FREQ_TOLERANCE = 0.02
#: Maximum spread of the 100 ms levels of a steady tone, dB.
MAX_SPREAD_DB = 0.5
#: The tone must hold this share of the recording's energy (a 94 dB calibrator in a 60 dB room
#: holds 99.96 %); background noise or a loose coupler spread it out.
MIN_TONAL_SHARE = 0.9
#: Half width of the band around the spectral peak counted as the tone, Hz.
TONE_HALF_WIDTH_HZ = 5.0


@dataclass(frozen=True)
class CalibrationResult:
    sensitivity_dbfs: float
    frequency_hz: float
    spread_db: float
    duration_s: float
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems


def calibrate_from_tone(
    samples: npt.ArrayLike, fs_hz: int, calibrator_db: float = 94.0, skip_s: float = 0.5
) -> CalibrationResult:
    """Measure a calibrator recording; ``problems`` says why it cannot be trusted, if it can't."""
    x = to_full_scale(samples).ravel()
    skip = int(skip_s * fs_hz)
    if x.size - skip < fs_hz:
        skip = 0
    x = x[skip:]
    problems: list[str] = []
    if x.size < fs_hz // 2:
        return CalibrationResult(
            float("nan"),
            float("nan"),
            float("nan"),
            x.size / fs_hz,
            ("recording shorter than 0.5 s",),
        )
    x = x - x.mean()
    frame = fs_hz // 10
    nframes = x.size // frame
    ms = np.mean(x[: nframes * frame].reshape(nframes, frame) ** 2, axis=1)
    if np.any(ms <= 0):
        return CalibrationResult(
            float("nan"),
            float("nan"),
            float("nan"),
            x.size / fs_hz,
            ("digital silence in the recording: no tone",),
        )
    lv = 10 * np.log10(ms)
    spread = float(lv.max() - lv.min())
    rms = math.sqrt(float(np.mean(x * x)))
    # frequency: FFT peak with parabolic interpolation on the log magnitude (Hann window)
    n = min(x.size, 4 * fs_hz)
    spec = np.abs(np.fft.rfft(x[:n] * np.hanning(n)))
    k = int(np.argmax(spec[1:-1])) + 1
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-30)
    delta = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    freq = (k + delta) * fs_hz / n
    # share of the (non-DC) energy within +-TONE_HALF_WIDTH_HZ of the peak (Hann main lobe
    # is +-2 bins; the rest allows for a calibrator's frequency wander)
    half = max(int(TONE_HALF_WIDTH_HZ * n / fs_hz), 2)
    power = spec**2
    tonal = float(power[max(k - half, 1) : k + half + 1].sum()) / float(power[1:].sum() + 1e-30)
    if abs(freq - 1000.0) > 1000.0 * FREQ_TOLERANCE:
        problems.append(f"tone at {freq:.1f} Hz, expected 1000 Hz +-{FREQ_TOLERANCE:.0%}")
    if spread > MAX_SPREAD_DB:
        problems.append(f"level not steady: 100 ms levels spread over {spread:.2f} dB")
    if tonal < MIN_TONAL_SHARE:
        problems.append(f"not a pure tone: only {tonal:.0%} of the energy is in the tone")
    if float(np.max(np.abs(x))) >= 0.999:
        problems.append("the recording clips")
    sens = 20 * math.log10(rms * math.sqrt(2.0)) - (calibrator_db - 94.0)
    return CalibrationResult(sens, float(freq), spread, x.size / fs_hz, tuple(problems))


def drift_db(before_dbfs: float, after_dbfs: float) -> float:
    """Signed change of sensitivity between two calibrations, dB."""
    return after_dbfs - before_dbfs


def drift_problem(before_dbfs: float, after_dbfs: float) -> str | None:
    d = drift_db(before_dbfs, after_dbfs)
    if abs(d) > MAX_DRIFT_DB:
        return (
            f"sensitivity drifted {d:+.2f} dB since the last calibration "
            f"({before_dbfs:.2f} -> {after_dbfs:.2f} dBFS; limit {MAX_DRIFT_DB} dB): "
            "data measured in between is not valid"
        )
    return None
