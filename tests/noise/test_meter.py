"""Meter behaviour outside IEC 61672: digital silence, sample types, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from models.noise.bands import OCTAVE_CENTRE_N
from models.noise.meter import SoundLevelMeter, spl_offset_db
from models.noise.weighting import weighting_sos


def test_digital_silence_flushes_states_to_exact_zero() -> None:
    """A dead microphone (all zeros) must not leave the IIR states decaying through subnormal
    floats (100x slower arithmetic, found as a 14 s end-to-end test): they become exactly 0."""
    fs = 16000
    m = SoundLevelMeter(fs)
    rng = np.random.default_rng(0)
    m.process((rng.standard_normal(fs * 2) * 3000).astype(np.int16))
    out = m.process(np.zeros(fs * 12, dtype=np.int16))
    assert all(s.digital_silence for s in out)
    assert not m._zc.any() and not m._za.any()  # the weighting filters: within seconds
    # the averagers decay by e^-8 (F) and e^-1 (S) a second: flushed long before 1e-308
    tiny = np.finfo(np.float64).tiny
    for _ in range(200):
        m.process(np.zeros(fs, dtype=np.int16))
        assert all(v == 0.0 or v > tiny for v in (m._fast.value, m._slow.value))
    assert m._fast.value == 0.0 and m._slow.value == 0.0
    assert np.isfinite([s.lafmin for s in out]).all()  # floored, finite levels
    # and it measures again as soon as sound returns
    back = m.process((rng.standard_normal(fs * 2) * 3000).astype(np.int16))
    ref = SoundLevelMeter(fs).process((rng.standard_normal(fs * 2) * 3000).astype(np.int16))
    assert back[-1].laeq == pytest.approx(ref[-1].laeq, abs=0.2)


@pytest.mark.parametrize("dtype,scale", [(np.int16, 2**15), (np.int32, 2**31), (np.uint8, 128)])
def test_integer_pcm_types_read_the_same_level(dtype: type, scale: int) -> None:
    fs = 16000
    t = np.arange(fs * 2) / fs
    x = 0.1 * np.sin(2 * np.pi * 1000 * t)
    pcm: np.ndarray = np.round(x * scale + (128 if dtype is np.uint8 else 0)).astype(dtype)
    ref = SoundLevelMeter(fs).process(x)[-1].laeq
    assert SoundLevelMeter(fs).process(pcm)[-1].laeq == pytest.approx(ref, abs=0.1)


def test_mixed_block_types_and_bad_types() -> None:
    fs = 16000
    x = np.random.default_rng(1).standard_normal(fs) * 0.05
    a = SoundLevelMeter(fs).process(x)
    m = SoundLevelMeter(fs)
    got = m.process(x[:5000]) + m.process(np.round(x[5000:] * 32768).astype(np.int16))
    assert got[0].laeq == pytest.approx(a[0].laeq, abs=0.01)
    with pytest.raises(TypeError, match="unsupported PCM sample type"):
        SoundLevelMeter(fs).process(np.zeros(10, dtype=np.complex64))
    with pytest.raises(ValueError, match="multiple of 10"):
        SoundLevelMeter(44105)


# --- the meter's fast paths against the plain definitions, sample by sample -----------------


def _bursty(fs: int, seconds: int, seed: int) -> np.ndarray:
    """int16 noise with 20-200 ms bursts 30 dB up: F and S move, max and min differ."""
    rng = np.random.default_rng(seed)
    n = fs * seconds
    gain = np.full(n, 100.0)
    for start in rng.integers(0, n - fs // 5, 3 * seconds):
        gain[start : start + int(rng.integers(fs // 50, fs // 5))] = 3000.0
    return (rng.standard_normal(n) * gain).astype(np.int16)


@pytest.mark.parametrize("fs", [44100, 48000])
def test_levels_match_per_sample_definitions(fs: int) -> None:
    """LAeq, LCeq, LCpeak from the SOS cascades of weighting.py in one plain pass each, and F/S
    as the per-sample one-pole y[n] = a y[n-1] + (1-a) x2[n] (IEC 61672-1 5.8): the meter (one
    4th-order C recursion, OpenCV norms, F/S evaluated on a grid) agrees to 1e-6 dB, and its
    max/min to the documented grid bounds (timeweight.py: 0.012 dB F, 0.0043 dB S)."""
    seconds, sens = 4, -26.0
    pcm = _bursty(fs, seconds, seed=fs)
    meter = SoundLevelMeter(fs, sens)
    out = meter.process(pcm)
    # decay over one grid step, 10 lg(1 / a^step) dB: the bound between grid points
    grid_f = 10 * math.log10(math.e) * meter._fast.step / (0.125 * fs)
    grid_s = 10 * math.log10(math.e) * meter._slow.step / fs
    assert grid_f <= 0.012 and grid_s <= 0.0044
    x = pcm / 32768.0
    c = signal.sosfilt(weighting_sos("C", fs), x)
    a2 = signal.sosfilt(weighting_sos("A", fs), x) ** 2
    f = signal.lfilter([1 - math.exp(-1 / (0.125 * fs))], [1, -math.exp(-1 / (0.125 * fs))], a2)
    s = signal.lfilter([1 - math.exp(-1 / fs)], [1, -math.exp(-1 / fs)], a2)
    off = spl_offset_db(sens)

    def lv(ms: float) -> float:
        return 10 * math.log10(ms) + off

    assert len(out) == seconds
    for k, sec in enumerate(out):
        part = slice(k * fs, (k + 1) * fs)
        assert sec.laeq == pytest.approx(lv(a2[part].mean()), abs=1e-6)
        assert sec.lceq == pytest.approx(lv(np.mean(c[part] ** 2)), abs=1e-6)
        assert sec.lcpeak == pytest.approx(lv(np.max(np.abs(c[part])) ** 2), abs=1e-6)
        assert -grid_f <= sec.lafmax - lv(f[part].max()) <= 1e-9
        if k:  # the meter's very first samples rise from a zero state before the first grid
            assert -1e-9 <= sec.lafmin - lv(f[part].min()) <= grid_f
        assert -grid_s <= sec.lasmax - lv(s[part].max()) <= 1e-9
    assert max(s.lafmax - s.lafmin for s in out) > 20  # the bursts did move F


@pytest.mark.parametrize("fs", [16000, 44100, 48000])
def test_band_levels_match_a_plain_fft(fs: int) -> None:
    """1/3-octave levels (mean over the second) and octave envelopes (per 100 ms frame) equal
    the Parseval sums of numpy's rfft over the same bins (bands.py), to 0.01 dB."""
    sens = -26.0
    pcm = _bursty(fs, 2, seed=7)
    out = SoundLevelMeter(fs, sens).process(pcm)
    n = fs // 10
    freqs = np.fft.rfftfreq(n, 1 / fs)
    off = spl_offset_db(sens)
    for k, sec in enumerate(out):
        frames = pcm[k * fs : (k + 1) * fs].reshape(10, n) / 32768.0
        power = 2 * np.abs(np.fft.rfft(frames, axis=1)) ** 2 / n**2
        third = []
        for fm in sec.band_centres_hz:
            inside = (freqs >= fm * 10 ** (-1 / 20)) & (freqs < fm * 10 ** (1 / 20))
            third.append(power[:, inside].sum(axis=1))
        bands = np.array(third).T  # (frame, band)
        floor = 10 * np.log10(1e-20) + off
        want = 10 * np.log10(np.maximum(bands.mean(axis=0), 1e-20)) + off
        audible = want > floor + 1
        np.testing.assert_allclose(sec.bands_db[audible], want[audible], atol=0.01)
        centre_n = np.round(10 * np.log10(sec.band_centres_hz / 1000)).astype(int)
        for j, cn in enumerate(OCTAVE_CENTRE_N):
            group = np.isin(centre_n, (cn - 1, cn, cn + 1))
            if group.sum() == 3:
                oct_db = 10 * np.log10(np.maximum(bands[:, group].sum(axis=1), 1e-20)) + off
                np.testing.assert_allclose(sec.envelope_db[:, j], oct_db, atol=0.01)


@pytest.mark.parametrize("dtype", ["int16", "float"])
def test_clipped_samples_counted_exactly(dtype: str) -> None:
    """|x| >= 0.999 full scale counts as clipped: int16 32736 does (0.99902), 32735 does not."""
    fs = 16000
    pcm = (np.random.default_rng(3).standard_normal(fs) * 3000).astype(np.int16)
    pcm[100:107] = 32767
    pcm[500:505] = -32768
    pcm[900:903] = 32736
    pcm[1000:1010] = 32735
    x = pcm if dtype == "int16" else pcm / 32768.0
    sec = SoundLevelMeter(fs).process(x)[0]
    assert sec.clipped_samples == 7 + 5 + 3
    assert sec.raw_peak_dbfs == pytest.approx(0.0)
    assert not sec.digital_silence
