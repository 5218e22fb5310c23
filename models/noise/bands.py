"""Fractional-octave band levels from short FFT frames (for source hints and evidence).

Centre frequencies are the exact base-10 1/3-octave midbands of IEC 61260-1:
fm = 1000 * 10^(n/10) Hz; band edges fm * 10^(+-1/20). Each band's mean square is the sum of
the FFT bins whose frequency falls inside its edges (Parseval, rectangular 100 ms frames), so
band energies add up to the frame's total energy. This is an FFT approximation of IEC 61260
filters: good to about +-1 dB above 100 Hz (10 Hz bins), indicative below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import fft

#: 1/3-octave band indices n (fm = 1000 * 10^(n/10)): 25 Hz (n = -16) to 20 kHz (n = 13).
THIRD_OCTAVE_N = tuple(range(-16, 14))
#: Octave groups of three 1/3-octave bands (centre n = -9 ... 9: 125 Hz ... 8 kHz) for envelopes.
OCTAVE_CENTRE_N = (-9, -6, -3, 0, 3, 6, 9)


def third_octave_centres_hz(fs_hz: int) -> npt.NDArray[np.float64]:
    """Exact midband frequencies whose upper edge is below Nyquist."""
    fm = np.array([1000.0 * 10 ** (n / 10) for n in THIRD_OCTAVE_N])
    return fm[fm * 10 ** (1 / 20) <= fs_hz / 2]


@dataclass
class BandAnalyser:
    """Splits one second (``frames_per_s`` frames) into 1/3-octave and octave band powers."""

    fs_hz: int
    frames_per_s: int = 10
    centres_hz: npt.NDArray[np.float64] = field(init=False)
    _third: npt.NDArray[np.float32] = field(init=False, repr=False)
    _octave: npt.NDArray[np.float32] = field(init=False, repr=False)
    frame_len: int = field(init=False)

    def __post_init__(self) -> None:
        if self.fs_hz % self.frames_per_s:
            raise ValueError(
                f"sample rate {self.fs_hz} Hz is not a multiple of {self.frames_per_s}")
        self.frame_len = self.fs_hz // self.frames_per_s
        n = self.frame_len
        freqs = np.fft.rfftfreq(n, 1.0 / self.fs_hz)
        # Parseval for a real frame: mean square = (1/n^2)(|X0|^2 + 2 sum|Xk|^2 [+ |X_n/2|^2])
        scale = np.full(freqs.shape, 2.0 / n**2)
        scale[0] = 1.0 / n**2
        if n % 2 == 0:
            scale[-1] = 1.0 / n**2
        self.centres_hz = third_octave_centres_hz(self.fs_hz)
        lo = self.centres_hz * 10 ** (-1 / 20)
        hi = self.centres_hz * 10 ** (1 / 20)
        m = ((freqs[:, None] >= lo[None, :]) & (freqs[:, None] < hi[None, :])) * scale[:, None]
        self._third = m.astype(np.float32)
        ns = [n for n in THIRD_OCTAVE_N if 1000.0 * 10 ** (n / 10) in set(self.centres_hz)]
        groups = np.zeros((len(ns), len(OCTAVE_CENTRE_N)), dtype=np.float32)
        for j, c in enumerate(OCTAVE_CENTRE_N):
            for i, n_ in enumerate(ns):
                if abs(n_ - c) <= 1:
                    groups[i, j] = 1.0
        self._octave = groups

    def analyse(
        self, x: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Return (1/3-octave mean squares over the second, octave mean squares per frame).

        Units: squared full scale (the meter adds the microphone offset to get dB SPL).
        """
        frames = x.astype(np.float32).reshape(self.frames_per_s, self.frame_len)
        spec = fft.rfft(frames, axis=1)
        power = spec.real**2 + spec.imag**2
        third = power @ self._third  # (frames, bands)
        octave = third @ self._octave  # (frames, groups)
        return third.mean(axis=0).astype(np.float64), octave.astype(np.float64)
