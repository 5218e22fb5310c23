"""A scenario's script: lighting, actors, tamper episodes and the true events they make.

:class:`ScriptBuilder` offers the building blocks the named scenarios compose (stalls, passers-by,
goods put down outside the line, a vehicle, a crowd, a lingerer, rubbish, tampering). Each block
records its own ground truth as it scripts the actors, so truth and picture come from one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from firmware_sim.camera import geometry as g
from firmware_sim.camera.actors import Actor, Waypoint
from firmware_sim.camera.lighting import Cloud, Lamp, LightingPlan

#: People in the entrance zone at or above which the entrance counts as crowded (truth).
CROWD_COUNT = 12
#: Stall sites on the stall side (centre X, front z), metres.
STALL_X_M = -3.0
STALL_Z_M: tuple[float, ...] = (5.6, 8.2, 10.8, 13.4, 16.0)
ENTRY = (0.0, g.STREET_END_Z_M + 1.5)  # where people come into the street (X, z)
EXIT_Z_M = 2.0  # below the image bottom


@dataclass(frozen=True)
class Tamper:
    subtype: str  # covered | defocused | moved
    start_s: float
    end_s: float
    ramp_s: float = 1.0
    variant: int = 0  # covered: 0 opaque, 1 translucent
    strength: float = 1.0  # defocus: blur sigma in px at 640 wide; moved: shift fraction
    angle_deg: float = 0.0

    def level(self, t_s: float) -> float:
        if t_s < self.start_s or t_s > self.end_s:
            return 0.0
        return min((t_s - self.start_s) / self.ramp_s, (self.end_s - t_s) / self.ramp_s, 1.0)


@dataclass
class TruthEvent:
    kind: str
    zone: str | None
    start_s: float
    end_s: float
    box: tuple[float, float, float, float]
    subtype: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "zone": self.zone,
            "start_s": round(self.start_s, 2),
            "end_s": round(self.end_s, 2),
            "box": list(self.box),
        }
        if self.subtype:
            out["subtype"] = self.subtype
        if self.details:
            out["details"] = self.details
        return out


@dataclass
class Script:
    name: str
    seed: int
    start_tod_s: float
    duration_s: float
    lighting: LightingPlan
    actors: list[Actor] = field(default_factory=list)
    tampers: list[Tamper] = field(default_factory=list)
    events: list[TruthEvent] = field(default_factory=list)
    #: Things that look like violations and are not (people standing, short stops).
    distractors: list[TruthEvent] = field(default_factory=list)


def _hms(h: int, m: int, s: int = 0) -> float:
    return h * 3600.0 + m * 60.0 + s


def dawn_lighting(
    rng: np.random.Generator,
    coverage: tuple[float, ...] | None = None,
    clouds_from_tod_s: float | None = None,
    clouds_to_tod_s: float = 0.0,
) -> LightingPlan:
    """The early market's dawn: midpoint about 05:00, lamps off about 05:08, sun about 05:12."""
    from firmware_sim.camera.background import LAMP_SITES

    mid = _hms(5, 0) + rng.uniform(-300, 300)
    lamps_off = _hms(5, 8) + rng.uniform(-240, 240)
    lamps = tuple(
        Lamp(x_m=x, z_m=z, power=0.22 + 0.04 * rng.random(), off_tod_s=lamps_off + 3.0 * i)
        for i, (x, z) in enumerate(LAMP_SITES)
    )
    clouds: list[Cloud] = []
    if clouds_from_tod_s is not None:
        t = clouds_from_tod_s + rng.uniform(30, 200)
        while t < clouds_to_tod_s:
            d = rng.uniform(25, 60)
            left = rng.random() < 0.5
            clouds.append(
                Cloud(
                    t,
                    d,
                    rng.uniform(0.4, 0.8),
                    -12 if left else 12,
                    12 if left else -12,
                    rng.uniform(6, 18),
                    rng.uniform(3, 6),
                )
            )
            t += d + rng.uniform(120, 360)
    return LightingPlan(
        dawn_mid_tod_s=mid,
        dawn_width_s=rng.uniform(300, 420),
        sunrise_tod_s=mid + 600 + rng.uniform(-120, 120),
        shadow_speed_m_per_s=rng.uniform(0.003, 0.006),
        lamps=lamps,
        clouds=tuple(clouds),
    )


def _colour(rng: np.random.Generator, lo: int = 20, hi: int = 235) -> tuple[float, float, float]:
    c = rng.integers(lo, hi, 3)
    return (float(c[0]), float(c[1]), float(c[2]))


class ScriptBuilder:
    def __init__(self, script: Script, rng: np.random.Generator) -> None:
        self.s = script
        self.rng = rng
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def person(
        self, path: list[Waypoint], cls: str = "person", sway: float = 0.03, carrying: bool = False
    ) -> Actor:
        r = self.rng
        skin = (
            float(r.integers(90, 150)),
            float(r.integers(130, 180)),
            float(r.integers(170, 215)),
        )
        hair = (float(r.integers(10, 40)),) * 3
        a = Actor(
            self._id("p" if cls == "person" else "v"),
            cls,
            tuple(path),
            (0.5, 0.3, float(r.uniform(1.55, 1.85))),
            (_colour(r), _colour(r, 20, 120), skin, hair),
            int(carrying),
            sway,
        )
        self.s.actors.append(a)
        return a

    # -- passers-by -------------------------------------------------------------------------

    def walk_path(
        self,
        t0: float,
        lane_x: float,
        speed: float,
        inbound: bool,
        stops: list[tuple[float, float, float]] | None = None,
    ) -> list[Waypoint]:
        """Walk the street from the entrance to the camera (inbound) or back, with stops
        ``(z, X, duration_s)`` on the way."""
        side = 9.0 if self.rng.random() < 0.5 else -9.0
        far = [(side, g.STREET_END_Z_M + 2.5), (lane_x, g.STREET_END_Z_M)]
        pts: list[tuple[float, float, float]] = [(x, z, 0.0) for x, z in far]
        for z, x, dur in sorted(stops or [], key=lambda s: -s[0]):
            pts.append((x, z, dur))
            pts.append((lane_x, z - 0.8, 0.0))
        pts.append((lane_x, EXIT_Z_M, 0.0))
        if not inbound:
            pts.reverse()
        t = t0
        path: list[Waypoint] = []
        prev: tuple[float, float] | None = None
        for x, z, dur in pts:
            if prev is not None:
                t += math.hypot(x - prev[0], z - prev[1]) / speed
            path.append((t, x, z))
            if dur > 0:
                t += dur
                path.append((t, x, z))
            prev = (x, z)
        return path

    def passers_by(
        self,
        t0: float,
        t1: float,
        per_min: float,
        stop_p: float = 0.3,
        stop_s: tuple[float, float] = (4.0, 40.0),
    ) -> None:
        r = self.rng
        t = t0 + r.exponential(60.0 / per_min)
        while t < t1:
            lane = float(r.uniform(-1.6, 4.2))
            stops: list[tuple[float, float, float]] = []
            if r.random() < stop_p:
                z = float(r.uniform(6.0, 17.0))
                x = -1.5 if r.random() < 0.7 else lane  # browsing at a stall or just stopping
                if x > 3.0 and g.DOOR_Z_M[0] - 1.5 < z < g.DOOR_Z_M[1] + 1.5:
                    x = 2.5
                stops.append((z, x, float(r.uniform(*stop_s))))
            carrying = r.random() < 0.3
            self.person(
                self.walk_path(t, lane, float(r.uniform(0.9, 1.5)), r.random() < 0.5, stops),
                carrying=carrying,
            )
            t += r.exponential(60.0 / per_min)

    def people_standing(
        self, t0: float, t1: float, n: int, dur_s: tuple[float, float] = (40.0, 170.0)
    ) -> None:
        """People who stop in the roadway for a while (a chat, a phone call): not stalls."""
        r = self.rng
        for _ in range(n):
            ts = float(r.uniform(t0, t1))
            x, z = float(r.uniform(-1.2, 2.8)), float(r.uniform(6.0, 13.0))
            dur = float(r.uniform(*dur_s))
            group = 2 if r.random() < 0.4 else 1
            for k in range(group):
                px = x + 0.6 * k
                path = self.walk_path(
                    ts + 2.0 * k, px, float(r.uniform(0.9, 1.3)), True, [(z, px, dur)]
                )
                a = self.person(path, sway=float(r.uniform(0.03, 0.07)))
                t_stop = next(p[0] for p in a.path if abs(p[2] - z) < 1e-6)
                box = a.box_norm(t_stop)
                if box is not None:
                    self.s.distractors.append(
                        TruthEvent("person_standing", "roadway", t_stop, t_stop + dur, box)
                    )

    # -- stalls ---------------------------------------------------------------------------

    def stalls(
        self,
        setup: tuple[float, float] | None = None,
        pack_up: tuple[float, float] | None = None,
        rubbish_p: float = 0.0,
    ) -> None:
        """Stalls inside the line with their vendors; set up / packed up in the windows given."""
        r = self.rng
        end = self.s.duration_s + 3600.0
        rubbish: list[Actor] = []
        for i, z in enumerate(STALL_Z_M):
            if r.random() < 0.15 and i > 0:
                continue
            t_set = float(r.uniform(*setup)) if setup else -1.0
            t_pack = float(r.uniform(*pack_up)) if pack_up else end
            walk = (ENTRY[1] - z) / 1.0
            sx, vx, vz = STALL_X_M, STALL_X_M - 0.2, z + 2.0
            stall_path: list[Waypoint] = []
            vendor_path: list[Waypoint] = []
            if setup:
                stall_path += [
                    (t_set, -1.0, ENTRY[1]),
                    (t_set + walk, -1.0, z),
                    (t_set + walk + 4.0, sx, z),
                ]
                vendor_path += [
                    (t_set, -1.0, ENTRY[1] + 0.8),
                    (t_set + walk, -1.0, z + 0.8),
                    (t_set + walk + 4.0, -1.5, z + 1.0),
                    (t_set + walk + 8.0, vx, vz),
                ]
            else:
                stall_path.append((-1.0, sx, z))
                vendor_path.append((-1.0, vx, vz))
            stall_path.append((t_pack, sx, z))
            vendor_path.append((t_pack - 6.0, vx, vz))
            back = (ENTRY[1] - z) / 1.0
            stall_path += [(t_pack + 4.0, -1.0, z), (t_pack + 4.0 + back, -1.0, ENTRY[1] + 2)]
            vendor_path += [
                (t_pack, -1.6, z + 0.6),
                (t_pack + 4.0, -1.0, z + 0.8),
                (t_pack + 4.0 + back, -1.0, ENTRY[1] + 2.8),
            ]
            self.s.actors.append(
                Actor(
                    self._id("s"),
                    "stall",
                    tuple(stall_path),
                    (1.3, 1.8, 0.95),
                    (_colour(r, 40, 120), _colour(r, 120, 240), _colour(r, 30, 230)),
                    int(r.random() < 0.5),
                )
            )
            self.person(vendor_path, cls="vendor", sway=0.0)
            if pack_up and r.random() < rubbish_p:
                rubbish.append(
                    self.rubbish_item(
                        t_pack + 1.0, float(r.uniform(-4.2, -1.0)), float(r.uniform(z, z + 1.6))
                    )
                )
        if rubbish:
            self._cleanliness_event(rubbish)

    # -- violations -----------------------------------------------------------------------

    def goods_outside(self, t_place: float, stay_s: float) -> None:
        """A vendor carries goods over the line into the roadway, leaves them, later takes
        them back: a no_stall episode from ``t_place`` to the removal."""
        r = self.rng
        variant = int(r.integers(0, 3))
        size = {0: (0.8, 0.6, float(r.uniform(0.6, 1.0))), 1: (1.3, 0.7, 0.8), 2: (1.1, 0.7, 0.6)}[
            variant
        ]
        x = float(r.uniform(-1.2 + size[0] / 2, 3.0 - size[0] / 2))
        z = float(r.uniform(6.0, 10.5))
        home = (-3.6, z + 0.5)
        carry = math.hypot(x - home[0], z - home[1]) / 0.8
        t0, t_rm = t_place - carry, t_place + stay_s
        goods_path: list[Waypoint] = [
            (t0, *home),
            (t_place, x, z),
            (t_rm, x, z),
            (t_rm + 4.0 + carry, *home),
        ]
        self.s.actors.append(
            Actor(
                self._id("g"),
                "goods",
                tuple(goods_path),
                size,
                (_colour(r, 40, 200), _colour(r, 60, 230), _colour(r, 40, 200)),
                variant,
            )
        )
        vendor: list[Waypoint] = [
            (t0, home[0], home[1] + 0.7),
            (t_place, x, z + 0.7),
            (t_place + float(r.uniform(5, 20)), x, z + 0.7),
            (t_place + 25 + carry, home[0] - 0.5, home[1] + 1.5),
        ]
        self.person(vendor, cls="vendor", sway=0.02)
        vendor2: list[Waypoint] = [
            (t_rm - carry - 4.0, home[0] - 0.5, home[1] + 1.5),
            (t_rm, x, z + 0.7),
            (t_rm + 4.0, x, z + 0.7),
            (t_rm + 4.0 + carry, home[0], home[1] + 0.7),
        ]
        self.person(vendor2, cls="vendor", sway=0.02)
        box = self.s.actors[-3].box_norm(t_place + 1.0)
        assert box is not None
        self.s.events.append(
            TruthEvent(
                "no_stall",
                "roadway",
                t_place,
                t_rm,
                box,
                details={"object": ("crates", "table", "sacks")[variant]},
            )
        )

    def vehicle(self, t_enter: float, kind: str | None = None) -> None:
        r = self.rng
        kind = kind or ("tricycle" if r.random() < 0.6 else "van")
        van = kind == "van"
        size = (1.9, 4.5, 2.1) if van else (1.1, 2.0, 1.6)
        speed = float(r.uniform(2.5, 4.0) if van else r.uniform(1.8, 2.8))
        lane = float(r.uniform(0.0, 2.5))
        z_stop = float(r.uniform(8.0, 13.0))
        stop = float(r.uniform(20.0, 80.0))
        # each leg takes its length / speed, so the vehicle rolls at ``speed`` throughout
        # (the legs were once timed by their depth alone: 0.7-0.9 of the scripted speed)
        enter = (lane + 2, g.STREET_END_Z_M + 1.0)
        turn_in = (lane, g.STREET_END_Z_M - 3.0)
        t0 = t_enter - math.hypot(10.0 - enter[0], 2.0) / speed
        t1 = t_enter + math.hypot(enter[0] - turn_in[0], enter[1] - turn_in[1]) / speed
        t2 = t1 + (turn_in[1] - z_stop) / speed
        path: list[Waypoint] = [
            (t0, 10.0, g.STREET_END_Z_M + 3.0),
            (t_enter, *enter),
            (t1, *turn_in),
            (t2, lane, z_stop),
            (t2 + stop, lane, z_stop),
        ]
        if r.random() < 0.5:  # drives on through the market towards the camera
            t3 = t2 + stop + (z_stop - 0.5) / speed
            path.append((t3, lane, 0.5))
            t_end = t2 + stop + (z_stop + size[1] - g.NEAR_Z_M + 1.0) / speed
        else:  # turns back out of the entrance
            t3 = t2 + stop + (g.STREET_END_Z_M + 3 - z_stop) / (speed * 0.6)
            path.append((t3, lane, g.STREET_END_Z_M + 3.0))
            t_end = t2 + stop + (g.STREET_END_Z_M - z_stop) / (speed * 0.6)
        colours = (
            (float(r.integers(150, 240)),) * 3 if van else _colour(r, 60, 220),
            _colour(r),
            (0.0, 0.0, 0.0),
        )
        a = Actor(self._id("c"), "vehicle", tuple(path), size, colours, int(van))
        self.s.actors.append(a)
        box = a.box_norm(t2 + 1.0)
        assert box is not None
        t_in = t_enter + 1.0 / speed  # front crosses the street end
        self.s.events.append(TruthEvent("vehicle_free", "street", t_in, t_end, box, subtype=kind))

    def crowd(self, t0: float, build_s: float, hold_s: float, n: int) -> None:
        """People gather at the entrance (traffic-control point), then stream in."""
        r = self.rng
        x0, x1, z0, z1 = g.WALKWAY_M
        members: list[Actor] = []
        for _ in range(n):
            ta = t0 + float(r.uniform(0, build_s))
            td = t0 + build_s + hold_s + float(r.uniform(0, 60))
            x, z = float(r.uniform(x0 + 0.8, x1 - 1.5)), float(r.uniform(z0 + 0.5, z1 - 0.7))
            side = float(r.choice([-9.0, 9.0]))
            path: list[Waypoint] = [(ta - 6.0, side, g.STREET_END_Z_M + 2.5), (ta, x, z)]
            t = ta
            while t + 20 < td:  # shuffle a little while waiting
                t += float(r.uniform(10, 25))
                x2 = min(max(x + float(r.uniform(-0.4, 0.4)), x0 + 0.5), x1 - 1.2)
                z2 = min(max(z + float(r.uniform(-0.4, 0.4)), z0 + 0.3), z1 - 0.5)
                path += [(t - 1.0, x, z), (t, x2, z2)]
                x, z = x2, z2
            path += [(td, x, z), (td + (z - EXIT_Z_M) / 1.1, float(r.uniform(-1.5, 4.0)), EXIT_Z_M)]
            members.append(self.person(path, sway=0.04))
        self._crowd_event(t0, t0 + build_s + hold_s + 200, n)

    def _crowd_event(self, t0: float, t1: float, n: int) -> None:
        """Truth: spans with at least CROWD_COUNT people in the entrance zone (sampled every
        second; gaps under 20 s bridged, spans under 15 s dropped)."""
        zone = g.zone_of_kind("walkway")
        people = [
            a
            for a in self.s.actors
            if a.cls in ("person", "vendor") and a.t_out >= t0 and a.t_in <= t1
        ]
        spans: list[list[float]] = []
        peak = 0
        for t in np.arange(t0, t1, 1.0):
            count = sum(
                1
                for a in people
                if a.active(float(t)) and g.in_ground_zone(zone, *a.position(float(t))[:2])
            )
            if count >= CROWD_COUNT:
                peak = max(peak, count)
                if spans and t - spans[-1][1] <= 20.0:
                    spans[-1][1] = float(t)
                else:
                    spans.append([float(t), float(t)])
        for a, b in spans:
            if b - a >= 15.0:
                self.s.events.append(
                    TruthEvent(
                        "walkway",
                        zone.id,
                        a,
                        b,
                        _zone_box(zone.polygon),
                        details={"people_peak": peak, "crowd_count": CROWD_COUNT, "people": n},
                    )
                )

    def linger(self, t0: float, dur_s: float) -> None:
        """Someone walks to the stairwell door and lingers there."""
        r = self.rng
        x, z = (
            float(r.uniform(4.3, 4.7)),
            float(r.uniform(g.DOOR_Z_M[0] + 0.2, g.DOOR_Z_M[1] - 0.2)),
        )
        lane = float(r.uniform(1.5, 3.0))
        speed = float(r.uniform(0.9, 1.3))
        inbound = r.random() < 0.5
        t_arrive = t0
        if inbound:
            approach: list[Waypoint] = [
                (t_arrive - (g.STREET_END_Z_M - z) / speed - 3, lane, g.STREET_END_Z_M),
                (t_arrive - 3, lane, z + 1.0),
            ]
        else:
            approach = [
                (t_arrive - (z - EXIT_Z_M) / speed - 3, lane, EXIT_Z_M),
                (t_arrive - 3, lane, z - 1.0),
            ]
        t_leave = t_arrive + dur_s
        path = [
            *approach,
            (t_arrive, x, z),
            (t_leave, x, z),
            (t_leave + 3.0, lane, z - 1.0),
            (t_leave + 3.0 + (z - 1.0 - EXIT_Z_M) / speed, lane, EXIT_Z_M),
        ]
        a = self.person(path, sway=float(r.uniform(0.03, 0.06)))
        x0 = g.RESTRICTED_M[0]
        t_in = next(
            (
                t
                for t in np.arange(path[0][0], t_arrive + 0.1, 0.1)
                if a.position(float(t))[0] >= x0
            ),
            t_arrive,
        )
        t_out = next(
            (t for t in np.arange(t_leave, t_leave + 10.0, 0.1) if a.position(float(t))[0] < x0),
            t_leave + 3.0,
        )
        box = a.box_norm(t_arrive + 1.0)
        assert box is not None
        self.s.events.append(TruthEvent("restricted", "stairwell", float(t_in), float(t_out), box))

    def rubbish_item(self, t: float, x: float, z: float) -> Actor:
        r = self.rng
        variant = int(r.integers(0, 3))
        size = {0: (0.5, 0.4, 0.5), 1: (0.9, 0.7, 0.02), 2: (0.5, 0.4, 0.35)}[variant]
        col = {
            0: (float(r.integers(20, 60)),) * 3 if r.random() < 0.5 else (230.0, 235.0, 235.0),
            1: (110.0, 160.0, 190.0),
            2: (90.0, 140.0, 170.0),
        }[variant]
        a = Actor(
            self._id("r"),
            "rubbish",
            ((t, x, z), (self.s.duration_s + 3600.0, x, z)),
            size,
            (col, (60.0, 170.0, 80.0)),
            variant,
        )
        self.s.actors.append(a)
        return a

    def litter(self, t0: float, t1: float, n: int) -> None:
        """Rubbish dropped in the street between ``t0`` and ``t1``."""
        r = self.rng
        items = [
            self.rubbish_item(
                float(r.uniform(t0, t1)), float(r.uniform(-4.2, 3.8)), float(r.uniform(6.0, 15.0))
            )
            for _ in range(n)
        ]
        self._cleanliness_event(items)

    def _cleanliness_event(self, items: list[Actor]) -> None:
        """One episode per zone: rubbish in the street from the first drop to the end.

        ``details``: ``items``, each item's box (normalised) where it lies, and
        ``dropped_s``, when each was dropped (scenario seconds, in the same order): rubbish
        dropped after the zone's check time can be judged only once it has lain there.
        """
        seen = [(list(b), round(a.t_in, 2)) for a in items if (b := a.box_norm(a.t_in)) is not None]
        boxes = [b for b, _ in seen]
        dropped = [t for _, t in seen]
        t0 = min(a.t_in for a in items)
        for ev in self.s.events:
            if ev.kind == "cleanliness":
                boxes += ev.details["items"]
                dropped += ev.details["dropped_s"]
                t0 = min(t0, ev.start_s)
                self.s.events.remove(ev)
                break
        union = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        self.s.events.append(
            TruthEvent(
                "cleanliness",
                "street_clean",
                t0,
                self.s.duration_s,
                union,
                details={"items": boxes, "dropped_s": dropped},
            )
        )

    def tamper(self, subtype: str, t0: float, dur_s: float) -> None:
        r = self.rng
        if subtype == "covered":
            tp = Tamper(
                subtype, t0, t0 + dur_s, float(r.uniform(0.4, 1.5)), variant=int(r.random() < 0.4)
            )
        elif subtype == "defocused":
            tp = Tamper(
                subtype,
                t0,
                t0 + dur_s,
                float(r.uniform(0.5, 2.0)),
                strength=float(r.uniform(3.5, 7.0)),
            )
        else:
            tp = Tamper(
                subtype,
                t0,
                t0 + dur_s,
                float(r.uniform(1.0, 3.0)),
                strength=float(r.uniform(0.25, 0.45)) * float(r.choice([-1, 1])),
                angle_deg=float(r.uniform(-12, 12)),
            )
        self.s.tampers.append(tp)
        self.s.events.append(
            TruthEvent("tamper", None, t0, t0 + dur_s, (0.0, 0.0, 1.0, 1.0), subtype=subtype)
        )


def _zone_box(poly: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in poly], [p[1] for p in poly]
    return (min(xs), min(ys), max(xs), max(ys))
