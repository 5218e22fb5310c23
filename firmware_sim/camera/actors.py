"""Scripted actors: people, vendors' stalls, goods, vehicles, rubbish, moving along waypoints.

Every actor's pose is a pure function of simulated time: piecewise-linear motion between
waypoints ``(t_s, X_m, z_m)``; before the first and after the last waypoint the actor is not in
the scene. Drawing is flat-shaded cv2 primitives lit by the scene's light at the actor's feet.
"""

from __future__ import annotations

import bisect
import functools
import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from firmware_sim.camera.draw import Colour, Painter, lit
from firmware_sim.camera.geometry import project

Waypoint = tuple[float, float, float]  # (t_s, X_m, z_m)


@dataclass(frozen=True)
class Actor:
    id: str
    cls: str  # person | vendor | stall | goods | vehicle | rubbish
    path: tuple[Waypoint, ...]
    #: Footprint and height, metres: width across (X), depth along (z), height.
    size_m: tuple[float, float, float]
    colours: tuple[Colour, ...]
    variant: int = 0
    #: People standing still sway a little (metres), like real people do.
    sway_m: float = 0.0
    _times: tuple[float, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_times", tuple(p[0] for p in self.path))

    @property
    def t_in(self) -> float:
        return self.path[0][0]

    @property
    def t_out(self) -> float:
        return self.path[-1][0]

    def active(self, t_s: float) -> bool:
        return self.t_in <= t_s <= self.t_out

    def position(self, t_s: float) -> tuple[float, float, bool]:
        """(X, z, moving) at ``t_s`` (clamped to the path)."""
        i = bisect.bisect_right(self._times, t_s)
        if i <= 0:
            return self.path[0][1], self.path[0][2], False
        if i >= len(self.path):
            return self.path[-1][1], self.path[-1][2], False
        t0, x0, z0 = self.path[i - 1]
        t1, x1, z1 = self.path[i]
        u = (t_s - t0) / (t1 - t0) if t1 > t0 else 1.0
        moving = (x0, z0) != (x1, z1)
        return x0 + u * (x1 - x0), z0 + u * (z1 - z0), moving

    def walked_m(self, t_s: float) -> float:
        """Distance covered since the start (drives the walk cycle)."""
        d = 0.0
        for (ta, xa, za), (tb, xb, zb) in zip(self.path, self.path[1:], strict=False):
            if t_s <= ta:
                break
            seg = math.hypot(xb - xa, zb - za)
            d += seg * min((t_s - ta) / (tb - ta), 1.0) if tb > ta else seg
        return d

    def static_between(self, t0: float, t1: float) -> bool:
        """True when the actor is present and does not move (or sway) over [t0, t1]."""
        if self.sway_m > 0 or not (self.active(t0) and self.active(t1)):
            return False
        a = self.position(t0)
        i0 = bisect.bisect_right(self._times, t0)
        i1 = bisect.bisect_right(self._times, t1)
        if i1 > i0:
            return all(
                abs(p[1] - a[0]) < 1e-9 and abs(p[2] - a[1]) < 1e-9
                for p in self.path[max(i0 - 1, 0) : i1 + 1]
            )
        return not a[2]

    def box_m(self, t_s: float) -> tuple[float, float, float, float, float, float]:
        x, z, _ = self.position(t_s)
        w, d, hgt = self.size_m
        return (x - w / 2, x + w / 2, 0.0, hgt, z, z + d)

    def box_norm(self, t_s: float) -> tuple[float, float, float, float] | None:
        """Normalised image box [x0, y0, x1, y1] clipped to the frame; None when off-frame."""
        x0, x1, y0, y1, z0, z1 = self.box_m(t_s)
        pts = [project(x, y, z) for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)]
        u0 = max(min(p[0] for p in pts), 0.0)
        u1 = min(max(p[0] for p in pts), 1.0)
        v0 = max(min(p[1] for p in pts), 0.0)
        v1 = min(max(p[1] for p in pts), 1.0)
        if u1 <= u0 or v1 <= v0:
            return None
        return (round(u0, 4), round(v0, 4), round(u1, 4), round(v1, 4))

    def draw(self, img: np.ndarray, p: Painter, t_s: float, light: np.ndarray) -> None:
        x, z, moving = self.position(t_s)
        if z < 2.0:
            return
        if self.cls in ("person", "vendor"):
            _person(img, p, self, t_s, x, z, moving, light)
        elif self.cls == "stall":
            _stall(img, p, self, x, z, light)
        elif self.cls == "goods":
            _goods(img, p, self, x, z, light)
        elif self.cls == "vehicle":
            _vehicle(img, p, self, t_s, x, z, light)
        elif self.cls == "rubbish":
            _rubbish(img, p, self, x, z, light)


def _person(
    img: np.ndarray,
    p: Painter,
    a: Actor,
    t: float,
    x: float,
    z: float,
    moving: bool,
    light: np.ndarray,
) -> None:
    shirt, trousers, skin, hair = (lit(c, light) for c in a.colours[:4])
    h = a.size_m[2]
    if a.sway_m > 0:
        k = zlib.crc32(a.id.encode()) % 7
        x += a.sway_m * math.sin(t * (0.7 + 0.1 * k) + k)
        z += 0.5 * a.sway_m * math.sin(t * (0.45 + 0.07 * k))
    phase = a.walked_m(t) / 0.7 * math.pi if moving else 0.0
    leg = 0.22 * math.sin(phase) if moving else 0.0
    hip, shoulder = 0.48 * h, 0.82 * h
    p.ellipse_ground(img, x, z, 0.28, 0.18, lit((50, 50, 50), light))
    p.line(img, (x - 0.08, hip, z), (x - 0.08, 0.0, z - leg), trousers, 0.14)
    p.line(img, (x + 0.08, hip, z), (x + 0.08, 0.0, z + leg), trousers, 0.14)
    p.poly(
        img,
        [
            (x - 0.2, hip - 0.05, z),
            (x + 0.2, hip - 0.05, z),
            (x + 0.22, shoulder, z),
            (x - 0.22, shoulder, z),
        ],
        shirt,
    )
    arm = 0.18 * math.sin(phase) if moving else 0.0
    for s in (-1, 1):
        p.line(
            img,
            (x + s * 0.24, shoulder - 0.02, z),
            (x + s * 0.27, hip + 0.03, z + s * arm),
            shirt,
            0.09,
        )
    p.disc(img, (x, shoulder + 0.13, z), 0.11, skin)
    p.disc(img, (x, shoulder + 0.19, z + 0.02), 0.09, hair)
    if a.variant == 1:  # carrying a basket
        p.cuboid(
            img,
            (x + 0.2, x + 0.5, hip - 0.2, hip + 0.05, z - 0.1, z + 0.15),
            lit((60, 120, 160), light),
        )


@functools.lru_cache(maxsize=256)
def _produce_colours(actor_id: str) -> tuple[Colour, ...]:
    """The four produce crates' colours of a stall, fixed by its id."""
    rng = np.random.default_rng(zlib.crc32(actor_id.encode()))
    out: list[Colour] = []
    for _ in range(4):
        c = rng.integers(30, 230, 3)
        out.append((float(c[0]), float(c[1]), float(c[2])))
    return tuple(out)


def _stall(img: np.ndarray, p: Painter, a: Actor, x: float, z: float, light: np.ndarray) -> None:
    w, d, _ = a.size_m
    table, cloth, canopy = (lit(c, light) for c in a.colours[:3])
    x0, x1 = x - w / 2, x + w / 2
    for lx in (x0 + 0.05, x1 - 0.1):
        p.cuboid(img, (lx, lx + 0.05, 0.0, 0.75, z + 0.05, z + 0.1), lit((60, 60, 60), light))
    p.cuboid(img, (x0, x1, 0.7, 0.8, z, z + d), table, top=cloth)
    for i, produce in enumerate(_produce_colours(a.id)):
        cz = z + 0.1 + i * (d - 0.2) / 4
        p.cuboid(img, (x0 + 0.1, x1 - 0.1, 0.8, 0.95, cz, cz + (d - 0.3) / 4), lit(produce, light))
    if a.variant == 1:
        p.line(img, (x, 0.8, z + d / 2), (x, 2.2, z + d / 2), lit((70, 70, 70), light), 0.04)
        p.poly(
            img,
            [
                (x0 - 0.2, 2.2, z - 0.2),
                (x1 + 0.2, 2.2, z - 0.2),
                (x1 + 0.2, 2.3, z + d),
                (x0 - 0.2, 2.3, z + d),
            ],
            canopy,
        )


def _goods(img: np.ndarray, p: Painter, a: Actor, x: float, z: float, light: np.ndarray) -> None:
    w, d, h = a.size_m
    body, top = lit(a.colours[0], light), lit(a.colours[1], light)
    if a.variant == 0:  # a stack of crates
        n = max(round(h / 0.3), 1)
        for i in range(n):
            p.cuboid(
                img,
                (x - w / 2, x + w / 2, i * h / n, (i + 1) * h / n - 0.02, z, z + d),
                body if i % 2 == 0 else lit(a.colours[2], light),
                top=top,
            )
    elif a.variant == 1:  # a folding table with produce
        p.cuboid(img, (x - w / 2, x + w / 2, h - 0.1, h, z, z + d), body, top=top)
        p.cuboid(
            img,
            (x - w / 2 + 0.1, x + w / 2 - 0.1, 0.0, h - 0.1, z + 0.1, z + d - 0.1),
            lit((40, 40, 40), light),
        )
    else:  # sacks and baskets
        p.cuboid(img, (x - w / 2, x, 0.0, h, z, z + d), body, top=top)
        p.cuboid(img, (x, x + w / 2, 0.0, h * 0.7, z + 0.1, z + d), lit(a.colours[2], light))


def _vehicle(
    img: np.ndarray, p: Painter, a: Actor, t: float, x: float, z: float, light: np.ndarray
) -> None:
    w, d, h = a.size_m
    body, glass = lit(a.colours[0], light), lit((60, 55, 50), light)
    dark = lit((25, 25, 25), light)
    if a.variant == 0:  # tricycle: rider in front, cargo box behind
        p.disc(img, (x, 0.3, z), 0.3, dark)
        p.cuboid(img, (x - w / 2, x + w / 2, 0.45, h * 0.6, z + 0.8, z + d), body)
        for s in (-1, 1):
            p.disc(img, (x + s * (w / 2 - 0.1), 0.3, z + d - 0.3), 0.3, dark)
        p.line(img, (x, 0.5, z + 0.1), (x, 1.1, z + 0.3), lit((120, 120, 120), light), 0.05)
        p.poly(
            img,
            [
                (x - 0.2, 0.9, z + 0.35),
                (x + 0.2, 0.9, z + 0.35),
                (x + 0.2, 1.45, z + 0.4),
                (x - 0.2, 1.45, z + 0.4),
            ],
            lit(a.colours[1], light),
        )
        p.disc(img, (x, 1.58, z + 0.4), 0.11, lit((90, 120, 170), light))
    else:  # van seen from the front
        p.cuboid(img, (x - w / 2, x + w / 2, 0.3, h, z, z + d), body)
        p.poly(
            img,
            [
                (x - w / 2 + 0.1, h * 0.62, z - 0.01),
                (x + w / 2 - 0.1, h * 0.62, z - 0.01),
                (x + w / 2 - 0.15, h - 0.1, z - 0.01),
                (x - w / 2 + 0.15, h - 0.1, z - 0.01),
            ],
            glass,
        )
        for s in (-1, 1):
            p.cuboid(
                img,
                (
                    x + s * (w / 2 - 0.25) - 0.15,
                    x + s * (w / 2 - 0.25) + 0.15,
                    0.0,
                    0.35,
                    z + 0.3,
                    z + 0.6,
                ),
                dark,
            )
            p.disc(img, (x + s * (w / 2 - 0.3), 0.7, z - 0.02), 0.1, (230, 240, 250))


def _rubbish(img: np.ndarray, p: Painter, a: Actor, x: float, z: float, light: np.ndarray) -> None:
    w, d, h = a.size_m
    col = lit(a.colours[0], light)
    if a.variant == 0:  # a tied plastic bag
        p.ellipse_ground(img, x, z + d / 2, w / 2, d / 2, col)
        p.disc(img, (x, h * 0.6, z + d / 2), h * 0.45, col)
    elif a.variant == 1:  # flattened cardboard
        p.poly(
            img,
            [
                (x - w / 2, 0.01, z),
                (x + w / 2, 0.01, z),
                (x + w / 2, 0.01, z + d),
                (x - w / 2, 0.01, z + d),
            ],
            col,
        )
    else:  # a box with scraps
        p.cuboid(img, (x - w / 2, x + w / 2, 0.0, h, z, z + d), col)
        p.ellipse_ground(img, x + w * 0.7, z + d, w * 0.3, d * 0.3, lit(a.colours[1], light))
