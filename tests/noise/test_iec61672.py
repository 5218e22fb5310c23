"""The meter against IEC 61672-1:2013 tables (see /work/shared/reference/iec61672.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.noise.meter import SoundLevelMeter
from models.noise.weighting import analog_weighting_db

# Table 3: nominal f -> (A dB, C dB, class 1 lower, upper); exact f = 1000*10^(0.1(n-30))
TABLE3 = [
    (10, -70.4, -14.3, -math.inf, 3.0),
    (12.5, -63.4, -11.2, -math.inf, 2.5),
    (16, -56.7, -8.5, -4.0, 2.0),
    (20, -50.5, -6.2, -2.0, 2.0),
    (25, -44.7, -4.4, -1.5, 2.0),
    (31.5, -39.4, -3.0, -1.5, 1.5),
    (40, -34.6, -2.0, -1, 1),
    (50, -30.2, -1.3, -1, 1),
    (63, -26.2, -0.8, -1, 1),
    (80, -22.5, -0.5, -1, 1),
    (100, -19.1, -0.3, -1, 1),
    (125, -16.1, -0.2, -1, 1),
    (160, -13.4, -0.1, -1, 1),
    (200, -10.9, 0.0, -1, 1),
    (250, -8.6, 0.0, -1, 1),
    (315, -6.6, 0.0, -1, 1),
    (400, -4.8, 0.0, -1, 1),
    (500, -3.2, 0.0, -1, 1),
    (630, -1.9, 0.0, -1, 1),
    (800, -0.8, 0.0, -1, 1),
    (1000, 0.0, 0.0, -0.7, 0.7),
    (1250, 0.6, 0.0, -1, 1),
    (1600, 1.0, -0.1, -1, 1),
    (2000, 1.2, -0.2, -1, 1),
    (2500, 1.3, -0.3, -1, 1),
    (3150, 1.2, -0.5, -1, 1),
    (4000, 1.0, -0.8, -1, 1),
    (5000, 0.5, -1.3, -1.5, 1.5),
    (6300, -0.1, -2.0, -2.0, 1.5),
    (8000, -1.1, -3.0, -2.5, 1.5),
    (10000, -2.5, -4.4, -3.0, 2.0),
    (12500, -4.3, -6.2, -5.0, 2.0),
    (16000, -6.6, -8.5, -16.0, 2.5),
    (20000, -9.3, -11.2, -math.inf, 3.0),
]
EXACT = [1000 * 10 ** (0.1 * (n - 30)) for n in range(10, 44)]
SENS = -30.0


def tone(fs: int, f: float, spl_db: float, seconds: float) -> np.ndarray:
    """A sine at ``spl_db`` dB SPL for a microphone of SENS dBFS.

    0 dBFS is the RMS of a full-scale sine, so a 94 dB tone has peak 10^(SENS/20) in full-scale
    units (its RMS is SENS dBFS); every other level scales from there.
    """
    peak = 10 ** ((spl_db - 94 + SENS) / 20)
    t = np.arange(int(fs * seconds)) / fs
    return peak * np.sin(2 * np.pi * f * t)


def steady_levels(fs: int, f: float, spl: float = 94.0) -> tuple[float, float, float]:
    m = SoundLevelMeter(fs, SENS)
    out = m.process(tone(fs, f, spl, 3.0))
    last = out[-1]
    # Z: the band-limited raw level; A and C from the meter's LAeq and LCeq
    return last.laeq, last.lceq, spl


@pytest.mark.parametrize("fs", [44100, 48000])
def test_frequency_weighting_table3_class1(fs: int) -> None:
    for (nominal, a_goal, c_goal, lo, hi), f in zip(TABLE3, EXACT, strict=True):
        la, lc, spl = steady_levels(fs, f)
        for got, goal, name in ((la - spl, a_goal, "A"), (lc - spl, c_goal, "C")):
            dev = got - goal
            assert lo - 0.05 <= dev <= hi + 0.05, f"{name} at {nominal} Hz ({fs} Hz): {dev:+.2f}"
            # our own goal, much tighter than class 1, against the exact Annex E value
            exact = analog_weighting_db(f, name)  # type: ignore[arg-type]
            assert abs(got - exact) < 0.3, f"{name} {nominal} Hz off Annex E by {got - exact:.2f}"


@pytest.mark.parametrize("fs", [44100, 48000])
def test_tone_in_full_scale_convention(fs: int) -> None:
    """A full-scale sine's RMS is 0 dBFS: a tone at the sensitivity reads 94 dB."""
    t = np.arange(fs * 2) / fs
    x = 10 ** (SENS / 20) * np.sin(2 * np.pi * 1000 * t)  # RMS = sens dBFS re 1/sqrt2
    out = SoundLevelMeter(fs, SENS).process(x)
    assert out[-1].laeq == pytest.approx(94.0, abs=0.05)


# Table 4: Tb ms -> (LAFmax-LA, class 1 F limits, LASmax-LA, class 1 S limits)
TABLE4 = [
    (1000, 0.0, (-0.5, 0.5), -2.0, (-0.5, 0.5)),
    (500, -0.1, (-0.5, 0.5), -4.1, (-0.5, 0.5)),
    (200, -1.0, (-0.5, 0.5), -7.4, (-0.5, 0.5)),
    (100, -2.6, (-1, 1), -10.2, (-1, 1)),
    (50, -4.8, (-1, 1), -13.1, (-1, 1)),
    (20, -8.3, (-1, 1), -17.0, (-1.5, 1)),
    (10, -11.1, (-1, 1), -20.0, (-2, 1)),
    (5, -14.1, (-1, 1), -23.0, (-2.5, 1)),
    (2, -18.0, (-1.5, 1), -27.0, (-3, 1)),
    (1, -21.0, (-2, 1), None, None),
    (0.5, -24.0, (-2.5, 1), None, None),
    (0.25, -27.0, (-3, 1), None, None),
]


@pytest.mark.parametrize("fs", [44100, 48000])
@pytest.mark.parametrize("row", TABLE4, ids=[f"{r[0]}ms" for r in TABLE4])
def test_tone_burst_table4(fs: int, row: tuple) -> None:
    tb_ms, f_goal, f_lim, s_goal, s_lim = row
    steady = SoundLevelMeter(fs, SENS).process(tone(fs, 4000, 100, 3))[-1].laeq
    x = tone(fs, 4000, 100, 4.0)
    start = int(1.5 * fs)
    burst = np.zeros_like(x)
    n = round(tb_ms / 1000 * fs)
    burst[start : start + n] = x[start : start + n]
    out = SoundLevelMeter(fs, SENS).process(burst)
    lafmax = max(s.lafmax for s in out)
    dev = lafmax - steady - f_goal
    assert f_lim[0] <= dev <= f_lim[1], f"F {tb_ms} ms: {dev:+.2f} dB"
    if s_goal is not None:
        lasmax = max(s.lasmax for s in out)
        dev_s = lasmax - steady - s_goal
        assert s_lim[0] <= dev_s <= s_lim[1], f"S {tb_ms} ms: {dev_s:+.2f} dB"


@pytest.mark.parametrize("fs", [44100, 48000])
@pytest.mark.parametrize("dtype", ["float", "int32"])
def test_level_linearity_30_to_120_db(fs: int, dtype: str) -> None:
    sens = -40.0  # 120 dB SPL = -14 dBFS
    for spl in range(30, 121, 10):
        t = np.arange(fs * 2) / fs
        x = 10 ** ((spl - 94 + sens) / 20) * np.sin(2 * np.pi * 1000 * t)
        if dtype == "int32":
            x = np.round(x * 2**31).astype(np.int32)
        la = SoundLevelMeter(fs, sens).process(x)[-1].laeq
        assert la == pytest.approx(spl, abs=0.8), f"{spl} dB read {la:.2f}"
        assert abs(la - spl) < 0.1


@pytest.mark.parametrize("fs", [16000, 44100, 48000])
def test_block_size_never_changes_results(fs: int) -> None:
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(fs * 3) * 3000).astype(np.int16)
    ref = SoundLevelMeter(fs).process(x)
    for block in (1, 997, 4800, fs, fs * 2 + 17):
        if block == 1:
            blocks = np.array_split(x[: fs * 3], 4000)  # uneven small blocks
        else:
            blocks = [x[i : i + block] for i in range(0, x.size, block)]
        m = SoundLevelMeter(fs)
        got = [s for b in blocks for s in m.process(b)]
        assert [g.as_dict() for g in got] == [r.as_dict() for r in ref]
        assert all(np.array_equal(g.bands_db, r.bands_db) for g, r in zip(got, ref, strict=True))
