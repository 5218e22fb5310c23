"""The per-minute statistics (noise_1min): energetic LAeq,1min, percentiles, validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from edge.noise.minute import STREAM, MinuteSummary
from models.noise.meter import SecondLevels
from tests.noise.conftest import ScenarioRuns

T0 = datetime(2026, 11, 27, 20, 40, tzinfo=UTC)


def second(i: int, laeq: float) -> SecondLevels:
    return SecondLevels(
        index=i,
        laeq=laeq,
        lafmax=laeq + 3,
        lafmin=laeq - 3,
        lasmax=laeq + 1,
        lcpeak=laeq + 15,
        lceq=laeq + 2,
        bands_db=np.zeros(3),
        band_centres_hz=np.ones(3),
        envelope_db=np.zeros((10, 7)),
        clipped_samples=0,
        digital_silence=False,
        raw_peak_dbfs=-20.0,
    )


def test_laeq_1min_is_the_energy_mean_not_the_average_of_decibels() -> None:
    minutes = MinuteSummary("noise-01", "north")
    out = []
    for i in range(61):  # 30 s at 70 dB, 30 s at 50 dB, then the next minute starts
        level = 70.0 if i < 30 else 50.0
        done = minutes.add(T0 + timedelta(seconds=i), second(i, level), True, 55.0)
        if done is not None:
            out.append(done)
    assert len(out) == 1
    first = out[0]
    assert first.stream == STREAM and first.ts == T0 and first.zone == "north"
    # 10 lg((30 * 10^7 + 30 * 10^5) / 60) = 67.03 dB, where the arithmetic mean would say 60
    assert first.values["laeq"] == pytest.approx(67.03, abs=0.01)
    assert first.values["lafmax"] == 73.0
    assert first.values["seconds_over_limit"] == 30
    assert first.values["l10"] == pytest.approx(70.0)
    assert first.values["l90"] == pytest.approx(50.0)
    assert first.values["valid_s"] == 60 and first.values["invalid_s"] == 0
    assert first.values["limit_db"] == 55.0


def test_invalid_seconds_are_left_out_and_counted() -> None:
    minutes = MinuteSummary("noise-01", None)
    for i in range(60):
        minutes.add(T0 + timedelta(seconds=i), second(i, 90.0 if i < 20 else 45.0), i >= 20, None)
    summary = minutes.flush()
    assert summary is not None
    assert summary.values["valid_s"] == 40 and summary.values["invalid_s"] == 20
    assert summary.values["laeq"] == pytest.approx(45.0)
    assert "limit_db" not in summary.values
    assert minutes.flush() is None


def test_a_minute_without_valid_data_says_so() -> None:
    minutes = MinuteSummary("noise-01", None)
    for i in range(10):
        minutes.add(T0 + timedelta(seconds=i), second(i, 0.0), False, 50.0)
    summary = minutes.flush()
    assert summary is not None
    assert summary.flags == ("no_valid_data",)
    assert "laeq" not in summary.values


def test_the_worker_publishes_minutes(played: ScenarioRuns) -> None:
    sink, _start = played("loudspeaker")
    minutes = [o for o in sink.obs if o.stream == STREAM]
    seconds = [o for o in sink.obs if o.stream == "noise"]
    assert len(minutes) >= len(seconds) // 60 - 1
    loud = max(minutes, key=lambda o: o.values.get("laeq", 0.0))
    # the loudspeaker plays at 58 dB(A) over a 44 dB(A) crowd: a whole loud minute reads ~58
    assert loud.values["laeq"] == pytest.approx(58.0, abs=1.5)
