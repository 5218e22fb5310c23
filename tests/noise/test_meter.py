"""Meter behaviour outside IEC 61672: digital silence, sample types, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from models.noise.meter import SoundLevelMeter


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
    pcm = np.round(x * scale + (128 if dtype is np.uint8 else 0)).astype(dtype)
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
