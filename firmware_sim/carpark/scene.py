"""Who parks where and when: per-bay schedules of cars arriving and leaving, and the truth.

Each bay alternates free and occupied spells (exponential lengths); a car drives in from its
aisle over :data:`MANOEUVRE_S` seconds and out the same way. Cars differ in colour (dark cars
included), size, lateral offset (some straddle into the neighbouring bay) and a small angle.
Ground truth: a bay is occupied while a car's centre is inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_sim.carpark.layout import Bay, bays

MANOEUVRE_S = 5.0
#: Car body colours (BGR, 0..1 reflectance) with how common each is; dark ones on purpose.
PALETTE: tuple[tuple[tuple[float, float, float], float], ...] = (
    ((0.08, 0.08, 0.09), 0.16),  # black
    ((0.20, 0.20, 0.22), 0.12),  # dark grey
    ((0.25, 0.12, 0.08), 0.07),  # navy
    ((0.66, 0.66, 0.68), 0.18),  # silver
    ((0.88, 0.88, 0.90), 0.22),  # white
    ((0.12, 0.12, 0.62), 0.09),  # red
    ((0.55, 0.30, 0.10), 0.07),  # blue
    ((0.14, 0.24, 0.12), 0.04),  # dark green
    ((0.55, 0.68, 0.78), 0.05),  # beige
)


@dataclass(frozen=True)
class Car:
    colour: tuple[float, float, float]
    length: float  # fraction of the bay depth
    width: float  # fraction of the bay width
    offset_x: float  # fraction of the bay width (+ right)
    angle_deg: float
    #: Faces the aisle (+1: front towards larger y) - decides where the windscreen is drawn.
    facing: int


@dataclass(frozen=True)
class Stay:
    arrive_s: float  # the car starts to drive in (may be < 0: there from the start)
    leave_s: float  # the car starts to drive out
    car: Car


@dataclass
class CarparkScene:
    bays: list[Bay]
    stays: dict[str, list[Stay]]
    duration_s: float

    def car_at(self, bay: Bay, t_s: float) -> tuple[Car, float] | None:
        """The car in/at ``bay`` at ``t_s`` and how far in it is (0 = in the aisle, 1 = parked)."""
        for s in self.stays[bay.id]:
            if s.arrive_s <= t_s < s.leave_s + MANOEUVRE_S:
                if t_s < s.arrive_s + MANOEUVRE_S:
                    return s.car, (t_s - s.arrive_s) / MANOEUVRE_S
                if t_s >= s.leave_s:
                    return s.car, 1.0 - (t_s - s.leave_s) / MANOEUVRE_S
                return s.car, 1.0
        return None

    def truth_at(self, t_s: float) -> dict[str, bool]:
        """Per bay: occupied (a car's centre inside the bay: more than half-way in)."""
        out = {}
        for b in self.bays:
            c = self.car_at(b, t_s)
            out[b.id] = c is not None and c[1] > 0.5
        return out


def make_scene(
    seed: int, duration_s: float, occupancy: float = 0.55, mean_stay_s: float = 900.0
) -> CarparkScene:
    rng = np.random.default_rng(seed)
    colours = [c for c, _ in PALETTE]
    probs = np.array([p for _, p in PALETTE])
    probs = probs / probs.sum()
    mean_free_s = mean_stay_s * (1 - occupancy) / occupancy
    stays: dict[str, list[Stay]] = {}
    all_bays = bays()
    for b in all_bays:
        t = (
            -float(rng.uniform(0, mean_stay_s))
            if rng.random() < occupancy
            else float(rng.exponential(mean_free_s))
        )
        lst = []
        while t < duration_s:
            stay = float(rng.exponential(mean_stay_s)) + 60.0
            car = Car(
                colour=colours[int(rng.choice(len(colours), p=probs))],
                length=float(rng.uniform(0.68, 0.86)),
                width=float(rng.uniform(0.62, 0.80)),
                offset_x=float(np.clip(rng.normal(0, 0.09), -0.26, 0.26)),
                angle_deg=float(rng.normal(0, 2.5)),
                facing=b.entry if rng.random() < 0.7 else -b.entry,
            )
            start = t if t >= 0 else t - MANOEUVRE_S
            lst.append(Stay(start, t + stay, car))
            t = t + stay + MANOEUVRE_S + float(rng.exponential(mean_free_s)) + 10.0
        stays[b.id] = lst
    return CarparkScene(all_bays, stays, duration_s)
