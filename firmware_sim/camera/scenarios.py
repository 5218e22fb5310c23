"""The named, seeded market scenarios: each a scripted timeline with its ground truth.

Every scenario has a start time of day and a default duration (simulated seconds). Seeds vary
positions, timing, colours and light so held-out seeds test generalisation. Dwell defaults of
the detectors (no_stall 180 s, restricted 60 s) are covered with margin: violations last longer
than dwell + 30 s, distractors (people standing) stay shorter than the no_stall dwell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from firmware_sim.camera.script import Script, ScriptBuilder, _hms, dawn_lighting


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    description: str
    start_tod_s: float
    duration_s: float
    build: Callable[[ScriptBuilder], None]


def _day_start(b: ScriptBuilder, choices: tuple[float, ...]) -> None:
    b.s.start_tod_s = float(b.rng.choice(choices))


def _dawn_quiet(b: ScriptBuilder) -> None:
    d = b.s.duration_s
    b.stalls(setup=(0.0, 240.0))
    b.passers_by(0.0, d, per_min=3.0, stop_p=0.35)


def _stall_outside(b: ScriptBuilder) -> None:
    _day_start(b, (_hms(4, 50), _hms(5, 40), _hms(6, 30), _hms(7, 20)))
    b.stalls()
    b.passers_by(0.0, b.s.duration_s, per_min=4.0)
    b.goods_outside(float(b.rng.uniform(60, 150)), float(b.rng.uniform(300, 400)))


def _people_standing(b: ScriptBuilder) -> None:
    _day_start(b, (_hms(5, 20), _hms(6, 10), _hms(7, 0)))
    b.stalls()
    b.passers_by(0.0, b.s.duration_s, per_min=4.0)
    b.people_standing(20.0, b.s.duration_s - 200.0, n=int(b.rng.integers(4, 7)))


def _vehicle_entry(b: ScriptBuilder) -> None:
    _day_start(b, (_hms(5, 0), _hms(6, 0), _hms(7, 30)))
    b.stalls()
    b.passers_by(0.0, b.s.duration_s, per_min=3.0)
    b.vehicle(float(b.rng.uniform(40, 90)))
    b.vehicle(float(b.rng.uniform(180, 220)))


def _entrance_crowd(b: ScriptBuilder) -> None:
    _day_start(b, (_hms(6, 0), _hms(6, 45)))
    b.stalls()
    b.passers_by(0.0, b.s.duration_s, per_min=4.0)
    b.crowd(
        float(b.rng.uniform(40, 80)),
        float(b.rng.uniform(60, 100)),
        float(b.rng.uniform(90, 150)),
        n=int(b.rng.integers(22, 32)),
    )


def _doorway_linger(b: ScriptBuilder) -> None:
    _day_start(b, (_hms(4, 45), _hms(5, 30), _hms(6, 30)))
    b.stalls()
    b.passers_by(0.0, b.s.duration_s, per_min=4.0)
    b.linger(float(b.rng.uniform(40, 80)), float(b.rng.uniform(100, 160)))


def _after_close(b: ScriptBuilder) -> None:
    b.stalls(pack_up=(60.0, 480.0), rubbish_p=0.7)
    b.passers_by(0.0, 700.0, per_min=2.0, stop_p=0.1)
    b.litter(60.0, 500.0, n=int(b.rng.integers(2, 5)))


def _tamper(subtype: str) -> Callable[[ScriptBuilder], None]:
    def build(b: ScriptBuilder) -> None:
        _day_start(b, (_hms(6, 0), _hms(7, 0), _hms(5, 0)))
        b.stalls()
        b.passers_by(0.0, b.s.duration_s, per_min=4.0)
        t0 = float(b.rng.uniform(50, 80))
        b.tamper(subtype, t0, float(b.rng.uniform(40, 70)))
        if subtype != "moved":
            b.tamper(subtype, float(b.rng.uniform(160, 180)), float(b.rng.uniform(20, 40)))

    return build


def _market_morning(b: ScriptBuilder) -> None:
    """04:30-08:50: set-up, a busy morning with a violation every few minutes, pack-up."""
    r = b.rng
    d = b.s.duration_s
    close = _hms(8, 30) - b.s.start_tod_s
    b.stalls(setup=(0.0, 300.0), pack_up=(close - 300.0, close + 300.0), rubbish_p=0.3)

    def rate(t: float) -> float:  # people per minute: quiet before dawn, busy 06:00-08:00
        tod = b.s.start_tod_s + t
        return 2.0 + 8.0 * float(np.clip((tod - _hms(5, 15)) / 2700.0, 0, 1)) * float(
            np.clip((_hms(8, 40) - tod) / 1800.0, 0, 1)
        )

    step = 600.0
    for t0 in np.arange(0.0, d, step):
        b.passers_by(float(t0), float(min(t0 + step, d)), per_min=rate(float(t0) + step / 2))
    first = str(r.choice(["no_stall", "restricted", "vehicle_free"]))
    t = float(r.uniform(60, 200))
    kinds = ["no_stall", "restricted", "vehicle_free", "walkway", "no_stall", "standing"]
    kind = first
    while t < close - 400:
        if kind == "no_stall":
            b.goods_outside(t, float(r.uniform(300, 600)))
        elif kind == "restricted":
            b.linger(t, float(r.uniform(100, 200)))
        elif kind == "vehicle_free":
            b.vehicle(t)
        elif kind == "walkway":
            b.crowd(
                t, float(r.uniform(60, 100)), float(r.uniform(90, 150)), n=int(r.integers(22, 30))
            )
        else:
            b.people_standing(t, t + 120, n=2)
        t += float(r.uniform(420, 900))
        kind = str(r.choice(kinds))
    if r.random() < 0.3:
        b.tamper(
            str(r.choice(["covered", "defocused", "moved"])),
            float(r.uniform(3600, 9000)),
            float(r.uniform(40, 90)),
        )


SCENARIOS: dict[str, ScenarioSpec] = {
    s.name: s
    for s in (
        ScenarioSpec(
            "dawn_quiet",
            "night to dawn, lamps off, sweeping shadows and clouds, "
            "stalls set up, passers-by; no violation (false-alarm test)",
            _hms(4, 45),
            2700.0,
            _dawn_quiet,
        ),
        ScenarioSpec(
            "stall_outside_line",
            "goods put down in the roadway for 5-7 min",
            _hms(6, 30),
            600.0,
            _stall_outside,
        ),
        ScenarioSpec(
            "people_standing",
            "people stop in the roadway for 40-170 s; no stall, no violation",
            _hms(6, 10),
            600.0,
            _people_standing,
        ),
        ScenarioSpec(
            "vehicle_entry",
            "a tricycle or van drives into the pedestrian street, twice",
            _hms(6, 0),
            360.0,
            _vehicle_entry,
        ),
        ScenarioSpec(
            "entrance_crowd",
            "a crowd builds at the entrance gate, then streams in",
            _hms(6, 0),
            480.0,
            _entrance_crowd,
        ),
        ScenarioSpec(
            "doorway_linger",
            "someone lingers in the stairwell doorway 100-160 s",
            _hms(5, 30),
            360.0,
            _doorway_linger,
        ),
        ScenarioSpec(
            "after_close_rubbish",
            "stalls pack up at 08:30 and leave rubbish behind",
            _hms(8, 22),
            1200.0,
            _after_close,
        ),
        ScenarioSpec(
            "tamper_covered",
            "the lens is covered (opaque or translucent), twice",
            _hms(6, 0),
            240.0,
            _tamper("covered"),
        ),
        ScenarioSpec(
            "tamper_defocus",
            "the camera goes out of focus, twice",
            _hms(6, 0),
            240.0,
            _tamper("defocused"),
        ),
        ScenarioSpec(
            "tamper_moved", "the camera is turned away", _hms(6, 0), 240.0, _tamper("moved")
        ),
        ScenarioSpec(
            "market_morning",
            "a whole morning 04:30-08:50: set-up, a violation "
            "every 7-15 min (the first within 5 min), pack-up; the demo's cameras",
            _hms(4, 30),
            15600.0,
            _market_morning,
        ),
    )
}
DEFAULT_SCENARIO = "market_morning"


def build_script(name: str, seed: int, duration_s: float | None = None) -> Script:
    spec = SCENARIOS.get(name)
    if spec is None:
        raise ValueError(f"unknown market scenario {name!r} (known: {', '.join(SCENARIOS)})")
    rng = np.random.default_rng([seed, sum(name.encode())])
    light_rng = np.random.default_rng([seed, 0x11])
    duration = float(duration_s if duration_s is not None else spec.duration_s)
    script = Script(name, seed, spec.start_tod_s, duration, dawn_lighting(light_rng))
    builder = ScriptBuilder(script, rng)
    spec.build(builder)
    # Clouds only after sunrise, over the whole script (start time may have been re-drawn).
    start = script.start_tod_s
    script.lighting = dawn_lighting(
        np.random.default_rng([seed, 0x11]),
        clouds_from_tod_s=max(start, script.lighting.sunrise_tod_s),
        clouds_to_tod_s=start + duration,
    )
    script.events.sort(key=lambda e: e.start_s)
    return script
