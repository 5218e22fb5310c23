"""The named scenarios of the simulated noise sensor (``whistle sim noise scenarios``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

from firmware_sim.noise.scenario import Fault, Scenario, Track

QUIET = 40.0  # dB(A): a residential street before dawn


def _bed(level: float = QUIET) -> Track:
    return Track("ambience", 0, None, level)


def gumo_morning() -> Scenario:
    """The Gumo early market from 04:20 to 08:40, then quiet (the demo scenario)."""
    m = 60  # seconds per minute, offsets from 04:20
    tracks = [
        _bed(42.0),
        # 04:21 an early delivery truck, its horn, then crates dropped while unloading
        Track("rumble", 1 * m, 1 * m + 40, 62.0, seed=1),
        Track("horn", 1 * m + 20, None, 84.0),
        Track("crate", 2 * m, None, 82.0, seed=2),
        Track("crate", 2 * m + 9, None, 80.0, seed=3),
        Track("crate", 2 * m + 23, None, 83.0, seed=4),
        # 04:30 the crowd arrives; 04:45 full market
        Track("crowd", 10 * m, 25 * m, 44.0, level_end_db=58.0, seed=5),
        Track("crowd", 25 * m, 100 * m, 58.0, seed=6),
        # 04:35 - 04:50 a stall's looping loudspeaker
        Track("sales_pitch", 15 * m, 30 * m, 70.0, seed=7),
        # 05:00 a quiet spell (rain): crowd drops
        # 05:40 truck with horn, crates
        Track("rumble", 80 * m, 80 * m + 30, 66.0, seed=8),
        Track("horn", 80 * m + 10, None, 86.0),
        Track("crate", 82 * m, None, 84.0, seed=9),
        # 06:00 day limits apply; the crowd settles to 56 dB(A)
        Track("crowd", 100 * m, 240 * m, 56.0, seed=10),
        # 06:30 - 06:45 the loudspeaker again, now against the day limit
        Track("sales_pitch", 130 * m, 145 * m, 72.0, seed=7),
        # 07:10 - 07:20 quiet spell
        # 08:30 market closes: cleaning, a last truck
        Track("rumble", 250 * m, 250 * m + 40, 64.0, seed=11),
    ]
    return Scenario(
        "gumo_morning",
        "Gumo early market, 04:20-08:40, then quiet",
        time(4, 20),
        260 * m,
        tuple(tracks),
    )


def loudspeaker() -> Scenario:
    """Night: a stall's looping sales pitch at 58 dB(A) for 6 minutes."""
    return Scenario(
        "loudspeaker",
        "looping loudspeaker at night (05:00)",
        time(5, 0),
        840,
        (
            _bed(),
            Track("crowd", 0, None, 44.0, seed=1),
            Track("sales_pitch", 90, 450, 58.0, seed=2),
        ),
    )


def impulsive() -> Scenario:
    """Night: dropped crates and a horn in a quiet street; LAeq stays compliant."""
    return Scenario(
        "impulsive",
        "dropped crates and a horn at night (03:00)",
        time(3, 0),
        840,
        (
            _bed(),
            Track("crate", 320, None, 80.0, seed=1),
            Track("crate", 334, None, 78.0, seed=2),
            Track("crate", 351, None, 81.0, seed=3),
            Track("horn", 700, None, 73.0),
        ),
    )


def compliant() -> Scenario:
    """Night: quiet ambience and a soft crowd, always under 50 dB(A)."""
    return Scenario(
        "compliant",
        "compliant night market (04:30)",
        time(4, 30),
        600,
        (_bed(), Track("crowd", 0, None, 45.0, seed=1)),
    )


def day_switch() -> Scenario:
    """05:50-06:20: 56 dB(A) breaks the night limit until 06:00; 64 dB(A) from 06:07 breaks
    the day limit too."""
    return Scenario(
        "day_switch",
        "night/day switch at 06:00",
        time(5, 50),
        1440,
        (
            _bed(),
            Track("crowd", 0, 17 * 60, 56.0, seed=1),
            Track("crowd", 17 * 60, None, 64.0, seed=2),
        ),
    )


def clipping_mic() -> Scenario:
    """A microphone overload (gain stuck +80 dB, clipping) for 2 minutes."""
    return Scenario(
        "clipping_mic",
        "clipping microphone (05:00)",
        time(5, 0),
        420,
        (_bed(), Track("crowd", 0, None, 45.0, seed=1)),
        faults=(Fault("clip", 120, 240),),
    )


def dead_mic() -> Scenario:
    """The microphone goes digitally silent for 3 minutes."""
    return Scenario(
        "dead_mic",
        "dead microphone (05:00)",
        time(5, 0),
        420,
        (_bed(), Track("crowd", 0, None, 45.0, seed=1)),
        faults=(Fault("dead", 100, 280),),
    )


def calibration_72() -> Scenario:
    """Steady broadband sound at exactly 72 dB(A) (the calibration check)."""
    return Scenario(
        "calibration_72",
        "steady 72 dB(A) broadband",
        time(12, 0),
        60,
        (Track("ambience", 0, None, 72.0, seed=1),),
    )


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    f.__name__: f
    for f in (
        gumo_morning,
        loudspeaker,
        impulsive,
        compliant,
        day_switch,
        clipping_mic,
        dead_mic,
        calibration_72,
    )
}


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]()
    except KeyError:
        raise KeyError(f"unknown noise scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
