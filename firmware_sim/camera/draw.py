"""Drawing world-space shapes (metres) into a BGR image with the scene's pinhole camera."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from firmware_sim.camera.geometry import project

Colour = tuple[float, float, float]


class Painter:
    """Projects world points to pixels and draws lit, flat-shaded shapes."""

    def __init__(self, width: int, height: int) -> None:
        self.w = width
        self.h = height

    def px(self, x_m: float, y_m: float, z_m: float) -> tuple[int, int]:
        u, v = project(x_m, y_m, z_m)
        return round(u * self.w), round(v * self.h)

    def poly(self, img: np.ndarray, pts: Sequence[tuple[float, float, float]], col: Colour) -> None:
        cv2.fillPoly(img, [self._points(pts)], _c(col))

    def _points(self, pts: Sequence[tuple[float, float, float]]) -> np.ndarray:
        return np.array([self.px(*p) for p in pts], dtype=np.int32)

    def cuboid(
        self,
        img: np.ndarray,
        box: tuple[float, float, float, float, float, float],
        col: Colour,
        top: Colour | None = None,
        side: Colour | None = None,
    ) -> None:
        """Box X0..X1, Y0..Y1, z0..z1 (metres); draws the faces the camera at X=0, Y=4 sees."""
        x0, x1, y0, y1, z0, z1 = box
        side_c = side if side is not None else (col[0] * 0.7, col[1] * 0.7, col[2] * 0.7)
        top_c = (
            top
            if top is not None
            else (min(col[0] * 1.15, 255.0), min(col[1] * 1.15, 255.0), min(col[2] * 1.15, 255.0))
        )
        if x0 > 0:
            self.poly(img, [(x0, y0, z0), (x0, y0, z1), (x0, y1, z1), (x0, y1, z0)], side_c)
        elif x1 < 0:
            self.poly(img, [(x1, y0, z0), (x1, y0, z1), (x1, y1, z1), (x1, y1, z0)], side_c)
        if y1 < 4.0:
            self.poly(img, [(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)], top_c)
        self.poly(img, [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)], col)

    def ellipse_ground(
        self, img: np.ndarray, x_m: float, z_m: float, rx_m: float, rz_m: float, col: Colour
    ) -> None:
        cx, cy = self.px(x_m, 0.0, z_m)
        _, y_near = self.px(x_m, 0.0, z_m - rz_m)
        _, y_far = self.px(x_m, 0.0, z_m + rz_m)
        s = self.h / max(z_m, 0.1)
        axes = (max(int(rx_m * s), 1), max((y_near - y_far) // 2, 1))
        cv2.ellipse(img, (cx, cy), axes, 0, 0, 360, _c(col), -1)

    def line(
        self,
        img: np.ndarray,
        a: tuple[float, float, float],
        b: tuple[float, float, float],
        col: Colour,
        width_m: float,
    ) -> None:
        z = 0.5 * (a[2] + b[2])
        t = max(round(width_m * self.h / max(z, 0.1)), 1)
        cv2.line(img, self.px(*a), self.px(*b), _c(col), t)

    def disc(self, img: np.ndarray, c: tuple[float, float, float], r_m: float, col: Colour) -> None:
        r = max(round(r_m * self.h / max(c[2], 0.1)), 1)
        cv2.circle(img, self.px(*c), r, _c(col), -1)


class CachingPainter(Painter):
    """A painter that remembers projected polygons: for things that stay put (stalls, goods,
    standing vendors) redrawn every second under new light. Same pixels as :class:`Painter`;
    the cache is emptied when it reaches ``max_entries``."""

    def __init__(self, width: int, height: int, max_entries: int = 1024) -> None:
        super().__init__(width, height)
        self.max_entries = max_entries
        self._cache: dict[tuple[tuple[float, float, float], ...], np.ndarray] = {}

    def _points(self, pts: Sequence[tuple[float, float, float]]) -> np.ndarray:
        key = tuple(pts)
        arr = self._cache.get(key)
        if arr is None:
            if len(self._cache) >= self.max_entries:
                self._cache.clear()
            arr = super()._points(pts)
            self._cache[key] = arr
        return arr


def _c(col: Sequence[float]) -> tuple[int, int, int]:
    return (
        int(min(max(col[0], 0), 255)),
        int(min(max(col[1], 0), 255)),
        int(min(max(col[2], 0), 255)),
    )


def lit(col: Sequence[float], light: np.ndarray) -> Colour:
    """A BGR albedo colour under ``light`` (BGR radiance x exposure gain)."""
    return (col[0] * float(light[0]), col[1] * float(light[1]), col[2] * float(light[2]))


def swing(phase_rad: float, amplitude: float) -> float:
    return amplitude * math.sin(phase_rad)
