"""The simulator's dB(A) are the meter's dB(A): what a script says is what the meter measures.

The simulator scales its sources with the exact Annex E A weighting in the frequency domain
(firmware_sim/noise/acoustics.py); the meter uses its own digital filters. Agreement within
0.5 dB checks both against each other through the whole chain (pascals -> dBFS -> int16 PCM
-> meter with the same sensitivity).
"""

from __future__ import annotations

import math
from datetime import time

import numpy as np
import pytest

from firmware_sim.noise.scenario import Renderer, Scenario, SourceKind, Track
from models.noise.meter import SoundLevelMeter
from models.noise.stats import energy_mean_db


def measure(tracks: tuple[Track, ...], seconds: int, fs: int, sens: float = -26.0) -> list[float]:
    sc = Scenario("t", "test", time(12, 0), seconds, tracks)
    pcm = Renderer(sc, fs, sens, seed=1).render(0, seconds * fs)
    return [s.laeq for s in SoundLevelMeter(fs, sens).process(pcm)]


@pytest.mark.parametrize("level", [45.0, 72.0, 94.0])
@pytest.mark.parametrize("source", ["ambience", "rumble"])
def test_steady_source_measures_its_scripted_level(source: SourceKind, level: float) -> None:
    la = measure((Track(source, 0, None, level),), 4, 48000)
    assert energy_mean_db(la) == pytest.approx(level, abs=0.5)
    assert max(la) - min(la) < 0.5  # steady


@pytest.mark.parametrize("fs,sens", [(16000, -26.0), (44100, -38.0)])
def test_other_rates_and_microphones(fs: int, sens: float) -> None:
    la = measure((Track("ambience", 0, None, 72.0),), 3, fs, sens)
    assert energy_mean_db(la) == pytest.approx(72.0, abs=0.5)


def test_loudspeaker_loop_level_over_whole_loops() -> None:
    # the sales pitch loops every 4.6 s; its level is the LAeq over a loop: 23 s = 5 loops
    la = measure((Track("sales_pitch", 0, None, 70.0),), 23, 16000)
    assert energy_mean_db(la) == pytest.approx(70.0, abs=0.5)


def test_one_shot_event_energy() -> None:
    # a 0.8 s horn at 84 dB(A) (LAeq over its duration) starting at 1.0 s, in near silence
    la = measure((Track("ambience", 0, None, 20.0), Track("horn", 1.0, None, 84.0)), 3, 16000)
    energy = sum(10 ** (x / 10) for x in la)
    assert 10 * math.log10(energy) == pytest.approx(84.0 + 10 * math.log10(0.8), abs=0.5)
    assert int(np.argmax(la)) == 1
