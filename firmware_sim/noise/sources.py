"""Sound sources of the simulated market, each rendered in pascals at a calibrated dB(A).

Every source renders samples ``[n0, n0 + n)`` of its own timeline at unit A-weighted mean
square (1 Pa^2 A-weighted); the scenario multiplies by the wanted RMS in pascals. Stochastic
sources are seeded from the scenario seed and the sample index, so a render is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import signal

from firmware_sim.noise.acoustics import a_weight_gain2, a_weighted_mean_square

FloatArray = npt.NDArray[np.float64]


def _filter_a_power(sos: FloatArray, fs_hz: int) -> float:
    """A-weighted output power of ``sos`` driven by unit-variance white noise."""
    f = np.linspace(0, fs_hz / 2, 20001)[1:]
    _, h = signal.sosfreqz(sos, worN=f, fs=fs_hz)
    return float(np.mean(np.abs(h) ** 2 * a_weight_gain2(f)))


@dataclass
class FilteredNoise:
    """White noise through a fixed filter, with optional slow random amplitude modulation."""

    fs_hz: int
    sos: FloatArray
    seed: int
    modulation_depth: float = 0.0  # babble: 0.5 gives a lively crowd
    _gain: float = field(init=False)
    _zi: FloatArray = field(init=False, repr=False)
    _next_n: int = field(init=False, default=-1)
    _mod_zi: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._gain = 1.0 / np.sqrt(_filter_a_power(self.sos, self.fs_hz))
        self._zi = np.zeros((self.sos.shape[0], 2))
        self._mod_zi = np.zeros(1)

    def render(self, n0: int, n: int) -> FloatArray:
        rng = np.random.default_rng([self.seed, n0])
        if n0 != self._next_n:
            self._zi = np.zeros((self.sos.shape[0], 2))
        y, self._zi = signal.sosfilt(self.sos, rng.standard_normal(n), zi=self._zi)
        self._next_n = n0 + n
        y = y * self._gain
        if self.modulation_depth:
            # babble swells and fades at random: Gaussian noise at 100 Hz through a one-pole
            # low-pass (tau 0.5 s), scaled to unit mean square, held for 10 ms
            hop = max(self.fs_hz // 100, 1)
            steps = -(-n // hop)
            a = np.exp(-1.0 / (0.5 * 100))
            drive = rng.standard_normal(steps) * np.sqrt(1 - a * a)
            m, self._mod_zi = signal.lfilter([1.0], [1.0, -a], drive, zi=self._mod_zi)
            env = np.maximum(np.repeat(1.0 + self.modulation_depth * m, hop)[:n], 0.05)
            # mean of env^2 ~ 1 + depth^2
            y = y * env / np.sqrt(1.0 + self.modulation_depth**2)
        return np.asarray(y)


def crowd(fs_hz: int, seed: int) -> FilteredNoise:
    """Market babble: speech-shaped noise (band 200 Hz - 4 kHz) with slow level movement."""
    sos = signal.butter(2, [200, min(4000, 0.45 * fs_hz)], btype="bandpass", fs=fs_hz, output="sos")
    return FilteredNoise(fs_hz, np.asarray(sos), seed, modulation_depth=0.4)


def ambience(fs_hz: int, seed: int) -> FilteredNoise:
    """Quiet night background: distant traffic, pinkish, mostly low frequencies."""
    sos = signal.butter(1, [40, min(2500, 0.45 * fs_hz)], btype="bandpass", fs=fs_hz, output="sos")
    return FilteredNoise(fs_hz, np.asarray(sos), seed)


def rumble(fs_hz: int, seed: int) -> FilteredNoise:
    """Truck engine and tyres: broadband, strong below 500 Hz."""
    sos = signal.butter(2, [30, 900], btype="bandpass", fs=fs_hz, output="sos")
    return FilteredNoise(fs_hz, np.asarray(sos), seed)


@dataclass
class Recording:
    """A fixed waveform: looped (a loudspeaker announcement) or played once (a horn, a crate)."""

    fs_hz: int
    wave: FloatArray  # unit A-weighted mean square over its length
    loop: bool

    def render(self, n0: int, n: int) -> FloatArray:
        idx = n0 + np.arange(n)
        if self.loop:
            return np.asarray(self.wave[idx % self.wave.size])
        out = np.zeros(n)
        ok = (idx >= 0) & (idx < self.wave.size)
        out[ok] = self.wave[idx[ok]]
        return out


def _normalise(wave: FloatArray, fs_hz: int) -> FloatArray:
    return np.asarray(wave / np.sqrt(a_weighted_mean_square(wave, fs_hz)))


def sales_pitch(fs_hz: int, seed: int, period_s: float = 4.6) -> Recording:
    """A recorded sales announcement through a horn loudspeaker, repeated every ``period_s``.

    Syllables are voiced harmonic complexes (f0 170-260 Hz, 12 harmonics) of 120-260 ms with
    short gaps, band-limited to a small loudspeaker's 300 Hz - 4 kHz, then a pause.
    """
    rng = np.random.default_rng(seed)
    n = int(period_s * fs_hz)
    wave = np.zeros(n)
    pos = int(0.05 * fs_hz)
    speech_end = int((period_s - 0.9) * fs_hz)
    while pos < speech_end:
        dur = int(rng.uniform(0.12, 0.26) * fs_hz)
        t = np.arange(dur) / fs_hz
        f0 = rng.uniform(170, 260) * (1 + 0.15 * t / t[-1] * rng.choice([-1, 1]))
        phase = 2 * np.pi * np.cumsum(f0) / fs_hz
        syl = sum(np.sin(k * phase) / k**0.7 for k in range(1, 13))
        env = np.sin(np.pi * np.arange(dur) / dur) ** 0.6 * rng.uniform(0.5, 1.0)
        end = min(pos + dur, n)
        wave[pos:end] += (syl * env)[: end - pos]
        pos = end + int(rng.uniform(0.03, 0.09) * fs_hz)
    sos = signal.butter(2, [300, min(4000, 0.45 * fs_hz)], btype="bandpass", fs=fs_hz, output="sos")
    wave = signal.sosfiltfilt(sos, wave)
    return Recording(fs_hz, _normalise(np.tanh(wave / np.max(np.abs(wave)) * 2), fs_hz), True)


def horn(fs_hz: int, duration_s: float = 0.8) -> Recording:
    """A dual-tone vehicle horn (420 + 510 Hz with harmonics), 20 ms attack and release."""
    t = np.arange(int(duration_s * fs_hz)) / fs_hz
    wave = sum(np.sign(np.sin(2 * np.pi * f * t)) * 0.5 for f in (420.0, 510.0))
    ramp = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)
    sos = signal.butter(2, min(5000, 0.45 * fs_hz), fs=fs_hz, output="sos")
    return Recording(fs_hz, _normalise(signal.sosfilt(sos, wave * ramp), fs_hz), False)


def crate_drop(fs_hz: int, seed: int, duration_s: float = 0.06) -> Recording:
    """A plastic crate hitting the ground: a decaying broadband burst with a few wood modes."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(duration_s * fs_hz)) / fs_hz
    burst = rng.standard_normal(t.size) * np.exp(-t / 0.012)
    modes = sum(np.sin(2 * np.pi * f * t) * np.exp(-t / 0.02) for f in (310.0, 780.0, 1450.0))
    wave = burst + 0.6 * modes
    return Recording(fs_hz, _normalise(wave, fs_hz), False)
