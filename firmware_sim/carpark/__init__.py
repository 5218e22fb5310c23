"""The Haiyuan park car park simulator: a fixed high camera over marked bays, with truth.

``make_renderer(scenario, seed, size)`` fits :mod:`firmware_sim.camera.renderer`'s factory.
Scenarios: ``dawn`` (the default: a 30-minute dark-to-day ramp), ``dusk``, ``day``; a
``_busy`` suffix makes cars come and go three times as often. ``morning`` (for the demo, which
starts at 04:20): the dawn ramp, then daylight, with cars coming and going for six hours.
"""

from __future__ import annotations

from typing import Any

SCENARIOS = ("dawn", "dusk", "day", "dawn_busy", "day_busy", "morning")
#: Length of the lighting ramps and of the short scenarios (simulated seconds).
DURATION_S = 1800.0
#: Length of the ``morning`` scenario's car traffic.
MORNING_S = 6 * 3600.0


def make_renderer(scenario: str | None, seed: int, size: tuple[int, int] = (640, 360)) -> Any:
    from firmware_sim.carpark.renderer import CarparkRenderer, Lighting
    from firmware_sim.carpark.scene import make_scene

    name = scenario or "dawn"
    if name not in SCENARIOS:
        raise ValueError(f"unknown car park scenario {name!r} (known: {', '.join(SCENARIOS)})")
    if name == "morning":
        scene = make_scene(seed, MORNING_S, mean_stay_s=1800.0)
        return CarparkRenderer(scene, Lighting("dawn", DURATION_S), seed, size)
    kind, _, busy = name.partition("_")
    scene = make_scene(seed, DURATION_S, mean_stay_s=300.0 if busy else 900.0)
    return CarparkRenderer(scene, Lighting(kind, DURATION_S), seed, size)
