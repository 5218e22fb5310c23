"""Renders the car park from a fixed high viewpoint as a pure function of simulated time.

Fits :class:`firmware_sim.camera.renderer.SceneRenderer`. Reflectances (0..1) are lit by a
lighting ramp (dawn, dusk or a cloudy day), cars cast shadows whose direction and strength
follow the sun, and a camera with capped auto exposure adds gain-scaled sensor noise, so dark
frames are dark *and* noisy. Truth per bay per frame: :meth:`CarparkRenderer.truth_at`.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import time

import cv2
import numpy as np

from firmware_sim.carpark.layout import Bay
from firmware_sim.carpark.scene import Car, CarparkScene

ASPHALT = np.array([0.26, 0.27, 0.28], dtype=np.float32)
LINE = np.array([0.85, 0.86, 0.86], dtype=np.float32)
GLASS = np.array([0.10, 0.11, 0.12], dtype=np.float32)
AE_TARGET = 0.42  # auto exposure aims the mean pixel at this fraction of full scale
AE_MAX_GAIN = 8.0
READ_NOISE = 0.006  # sensor noise (fraction of full scale) before gain


@dataclass(frozen=True)
class Lighting:
    """Daylight radiance over the sequence: ``kind`` dawn (dark -> day), dusk, or day."""

    kind: str
    duration_s: float

    def level(self, t_s: float) -> float:
        """Relative radiance, 0.04 (deep twilight) .. 1.0 (daylight); logistic in log-radiance
        over the sequence, as civil twilight brightens by about two decades."""
        x = min(max(t_s / self.duration_s, 0.0), 1.0)
        if self.kind == "day":
            return 0.85 + 0.15 * math.sin(2 * math.pi * t_s / 420.0)
        if self.kind == "dusk":
            x = 1.0 - x
        s = 1.0 / (1.0 + math.exp(-(x - 0.45) * 9.0))
        return float(10 ** (-1.4 + 1.4 * s))

    def sun(self, t_s: float) -> tuple[float, float]:
        """(shadow strength 0..1, shadow direction in radians)."""
        lvl = self.level(t_s)
        strength = min(max((lvl - 0.3) / 0.5, 0.0), 1.0) * 0.55
        x = min(t_s / self.duration_s, 1.0)
        angle = 0.6 + 0.5 * x if self.kind != "dusk" else 2.4 + 0.5 * x
        return strength, angle


class CarparkRenderer:
    def __init__(
        self,
        scene: CarparkScene,
        lighting: Lighting,
        seed: int,
        size: tuple[int, int] = (640, 360),
        start: time = time(5, 20),
    ) -> None:
        self.scene = scene
        self.lighting = lighting
        self.seed = seed
        self._size = size
        self._start = start
        self._ground = self._draw_ground()

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def start_time_of_day(self) -> time:
        return self._start

    @property
    def duration_s(self) -> float:
        return self.scene.duration_s

    def truth_at(self, t_s: float) -> dict[str, bool]:
        return self.scene.truth_at(t_s)

    # --- drawing ---------------------------------------------------------------------------
    def _px(self, x: float, y: float) -> tuple[float, float]:
        w, h = self._size
        return x * w, y * h

    def _draw_ground(self) -> np.ndarray:
        w, h = self._size
        rng = np.random.default_rng(self.seed + 7919)
        img = np.empty((h, w, 3), np.float32)
        img[:] = ASPHALT
        grain = cv2.GaussianBlur(rng.normal(0, 0.035, (h, w)).astype(np.float32), (0, 0), 1.2)
        blotch = cv2.GaussianBlur(rng.normal(0, 0.06, (h, w)).astype(np.float32), (0, 0), 18)
        img += (grain + blotch)[..., None]
        for _ in range(14):  # cracks and tar seams
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            pts = [(x, y)]
            for _ in range(6):
                x += rng.normal(0, 12)
                y += rng.normal(0, 12)
                pts.append((x, y))
            cv2.polylines(img, [np.array(pts, np.int32)], False, (0.16, 0.16, 0.17), 1, cv2.LINE_AA)
        lw = max(1, round(w / 400))
        for b in self.scene.bays:
            x0, y0 = self._px(b.x0, b.y0)
            x1, y1 = self._px(b.x1, b.y1)
            for x in (x0, x1):
                cv2.line(
                    img,
                    (round(x), round(y0)),
                    (round(x), round(y1)),
                    LINE.tolist(),
                    lw,
                    cv2.LINE_AA,
                )
            yb = y0 if b.entry > 0 else y1  # the back line of the bay
            cv2.line(
                img, (round(x0), round(yb)), (round(x1), round(yb)), LINE.tolist(), lw, cv2.LINE_AA
            )
        return np.clip(img, 0, 1)

    def _car_poly(
        self, bay: Bay, car: Car, progress: float
    ) -> tuple[np.ndarray, float, float, float, float, float]:
        x0, y0 = self._px(bay.x0, bay.y0)
        x1, y1 = self._px(bay.x1, bay.y1)
        bw, bh = x1 - x0, y1 - y0
        cx = (x0 + x1) / 2 + car.offset_x * bw
        cy = (y0 + y1) / 2 + bay.entry * (1.0 - progress) * bh * 1.05
        length, width = car.length * bh, car.width * bw
        return np.zeros(0), cx, cy, length, width, car.angle_deg * (0.3 + 0.7 * progress)

    @staticmethod
    def _rect(
        cx: float,
        cy: float,
        w: float,
        h: float,
        ang: float,
        dy0: float = -0.5,
        dy1: float = 0.5,
        inset: float = 0.0,
    ) -> np.ndarray:
        c, s = math.cos(math.radians(ang)), math.sin(math.radians(ang))
        xs = (-w / 2 + inset, w / 2 - inset)
        ys = (dy0 * h, dy1 * h)
        pts = [(xs[0], ys[0]), (xs[1], ys[0]), (xs[1], ys[1]), (xs[0], ys[1])]
        return np.array(
            [(cx + x * c - y * s, cy + x * s + y * c) for x, y in pts], dtype=np.float32
        )

    def _draw_car(
        self,
        img: np.ndarray,
        shade: np.ndarray,
        bay: Bay,
        car: Car,
        progress: float,
        sun: tuple[float, float],
    ) -> None:
        _, cx, cy, length, width, ang = self._car_poly(bay, car, progress)
        sh_strength, sh_dir = sun
        if sh_strength > 0:
            off = 0.28 * width
            sx, sy = cx + off * math.cos(sh_dir), cy + off * math.sin(sh_dir)
            poly = self._rect(sx, sy, width, length, ang)
            cv2.fillConvexPoly(
                shade, (poly * 16).astype(np.int32), 1.0 - sh_strength, cv2.LINE_AA, 4
            )
        body = np.array(car.colour, np.float32)
        outline = (body * 0.55).tolist()
        poly = self._rect(cx, cy, width, length, ang)
        cv2.fillConvexPoly(img, (poly * 16).astype(np.int32), outline, cv2.LINE_AA, 4)
        inner = self._rect(cx, cy, width, length * 0.97, ang, inset=max(1.0, width * 0.06))
        cv2.fillConvexPoly(img, (inner * 16).astype(np.int32), body.tolist(), cv2.LINE_AA, 4)
        f = car.facing
        # windscreen, roof, rear window along the car's length (front towards ``facing``)
        for (a, b), colour in (
            ((0.12, 0.30), GLASS * 0.8 + body * 0.1),
            ((-0.36, -0.24), GLASS + body * 0.1),
            ((-0.24, 0.12), np.minimum(body * 1.12 + 0.03, 1.0)),
        ):
            lo, hi = (a, b) if f > 0 else (-b, -a)
            part = self._rect(cx, cy, width, length, ang, lo, hi, inset=width * 0.12)
            cv2.fillConvexPoly(img, (part * 16).astype(np.int32), colour.tolist(), cv2.LINE_AA, 4)

    def frame_at(self, t_s: float) -> np.ndarray:
        img = self._ground.copy()
        h, w = img.shape[:2]
        shade = np.ones((h, w), np.float32)
        sun = self.lighting.sun(t_s)
        cars = []
        for b in self.scene.bays:
            c = self.scene.car_at(b, t_s)
            if c is not None:
                cars.append((b, c[0], c[1]))
        # parked cars first, manoeuvring ones on top (they pass over their neighbours' lines)
        cars.sort(key=lambda x: x[2] >= 1.0, reverse=True)
        for b, car, p in cars:
            self._draw_car(img, shade, b, car, p, sun)
        img *= cv2.GaussianBlur(shade, (0, 0), 1.5)[..., None]
        level = self.lighting.level(t_s)
        tint = np.array([1.0 + 0.25 * (1 - level), 1.0, 1.0 - 0.15 * (1 - level)], np.float32)
        radiance = img * level * tint
        gain = min(AE_TARGET / max(float(radiance.mean()), 1e-4), AE_MAX_GAIN)
        rng = np.random.default_rng(zlib.crc32(f"{self.seed}:{round(t_s * 1000)}".encode()))
        noise = rng.normal(0, READ_NOISE, (h, w, 1)).astype(np.float32)
        shot = rng.normal(0, 1, (h, w, 3)).astype(np.float32) * np.sqrt(radiance * 0.0004)
        out = (radiance + noise + shot) * gain
        return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
