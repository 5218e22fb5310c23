"""The static street, pre-rendered once per renderer: albedo texture and lighting geometry.

Albedo is the street's colour under full daylight at unit exposure (BGR ``uint8``). The
low-resolution maps (a quarter of the frame size) give each pixel's world position so the
lighting (dawn, lamps, shadows) is computed cheaply per second of simulated time.

Memory: everything that depends only on the frame size (the per-pixel world maps at full and
quarter resolution, the lamp pools) is computed once per size and shared, read-only, by every
renderer of the process (17 demo cameras hold one copy); only the albedo, whose colours and
fine texture vary with the seed, is per renderer (0.7 MB at 640x360).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from firmware_sim.camera import geometry as g
from firmware_sim.camera.draw import Painter

SKY, GROUND, LEFT, RIGHT, FAR = 0, 1, 2, 3, 4
FACADE_HEIGHT_M = 12.0
FAR_WALL_HEIGHT_M = 10.0
LAMP_HEIGHT_M = 5.0
LAMP_POOL_SIGMA_M = 2.6
#: Lamps on alternate facades, (X, z) metres.
LAMP_SITES: tuple[tuple[float, float], ...] = ((-4.6, 7.0), (4.6, 11.5), (-4.6, 16.0), (4.6, 20.5))


@dataclass
class Background:
    albedo: np.ndarray  # (H, W, 3) uint8
    ground_x: np.ndarray  # (h, w) float32 low-res
    ground_z: np.ndarray
    is_ground: np.ndarray  # float32 0/1
    lamp_maps: np.ndarray  # (n_lamps, h, w) float32, unit peak
    lamp_coverage: tuple[float, ...]  # mean of each lamp map


@functools.lru_cache(maxsize=4)
def _world_maps(w: int, h: int) -> tuple[np.ndarray, ...]:
    """Per pixel: surface kind, world X, height Y, depth z (shared per size, read-only)."""
    maps = _compute_world_maps(w, h)
    for m in maps:
        m.flags.writeable = False
    return maps


def _compute_world_maps(w: int, h: int) -> tuple[np.ndarray, ...]:
    xs = (np.arange(w, dtype=np.float32) + 0.5) / w
    ys = (np.arange(h, dtype=np.float32) + 0.5) / h
    xn, yn = np.meshgrid(xs, ys)
    big = np.float32(1e9)
    dy = yn - g.HORIZON_Y
    dx = xn - 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        zg = np.where(dy > 1e-4, g.CAMERA_HEIGHT_M * g.FOCAL_Y / dy, big)
        xg = dx * zg / g.FOCAL_X
        ground_ok = (zg <= g.FAR_WALL_Z_M) & (
            (np.abs(xg) <= g.STREET_HALF_WIDTH_M) | (zg >= g.STREET_END_Z_M)
        )
        zl = np.where(dx < -1e-4, -g.STREET_HALF_WIDTH_M * g.FOCAL_X / dx, big)
        zr = np.where(dx > 1e-4, g.STREET_HALF_WIDTH_M * g.FOCAL_X / dx, big)
        yl = g.CAMERA_HEIGHT_M - dy * zl / g.FOCAL_Y
        yr = g.CAMERA_HEIGHT_M - dy * zr / g.FOCAL_Y
        left_ok = (zl <= g.STREET_END_Z_M) & (yl >= 0) & (yl <= FACADE_HEIGHT_M)
        right_ok = (zr <= g.STREET_END_Z_M) & (yr >= 0) & (yr <= FACADE_HEIGHT_M)
        yf = g.CAMERA_HEIGHT_M - dy * g.FAR_WALL_Z_M / g.FOCAL_Y
        xf = dx * g.FAR_WALL_Z_M / g.FOCAL_X
        far_ok = (yf >= 0) & (yf <= FAR_WALL_HEIGHT_M)
    depth = np.stack(
        [
            np.full_like(zg, big * 2),
            np.where(ground_ok, zg, big),
            np.where(left_ok, zl, big),
            np.where(right_ok, zr, big),
            np.where(far_ok, np.float32(g.FAR_WALL_Z_M), big),
        ]
    )
    kind = np.argmin(depth, axis=0)
    wx = np.select(
        [kind == GROUND, kind == LEFT, kind == RIGHT, kind == FAR],
        [xg, np.float32(-g.STREET_HALF_WIDTH_M), np.float32(g.STREET_HALF_WIDTH_M), xf],
        0.0,
    ).astype(np.float32)
    wy = np.select([kind == LEFT, kind == RIGHT, kind == FAR], [yl, yr, yf], 0.0).astype(np.float32)
    wz = np.select(
        [kind == GROUND, kind == LEFT, kind == RIGHT, kind == FAR],
        [zg, zl, zr, np.float32(g.FAR_WALL_Z_M)],
        0.0,
    ).astype(np.float32)
    return kind, wx, wy, wz


def _albedo(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    kind, wx, wy, wz = _world_maps(w, h)
    img = np.zeros((h, w, 3), dtype=np.float32)
    fine = rng.normal(0.0, 1.0, (h, w)).astype(np.float32)
    fine = cv2.GaussianBlur(fine, (3, 3), 0) * 9.0

    # Sky: a pale gradient (it is lit by the ambient like the rest).
    sky_col = np.array([235, 215, 195], np.float32)
    img[kind == SKY] = sky_col

    # Ground: 0.6 m paving tiles with per-tile brightness and grout.
    tile = 0.6
    tx, tz = np.floor(wx / tile), np.floor(wz / tile)
    tile_rand = np.sin(tx * 12.9898 + tz * 78.233 + rng.uniform(0, 100)) * 43758.5453
    tile_rand = (tile_rand - np.floor(tile_rand)) - 0.5
    fx, fz = wx / tile - tx, wz / tile - tz
    grout_w = np.clip(0.05 * wz / 8.0, 0.03, 0.25)
    grout = (fx < grout_w) | (fz < grout_w)
    base = np.array(rng.uniform([120, 125, 128], [140, 142, 146]), np.float32)
    stall_side = wx < g.SHELF_LINE_X_M
    gr = kind == GROUND
    ground = base[None, None, :] + (tile_rand * 26.0)[..., None]
    ground = np.where(
        stall_side[..., None], ground * np.array([0.92, 0.97, 1.05], np.float32), ground
    )
    ground = np.where(grout[..., None], ground * 0.72, ground)
    img[gr] = ground[gr]
    # The painted shelving line and the yellow fire-lane borders with diagonal hatching.
    line = gr & (np.abs(wx - g.SHELF_LINE_X_M) < 0.07)
    img[line] = (225, 230, 232)
    lane = gr & (wz < g.STREET_END_Z_M)
    for edge in (0.4, 3.2):
        img[lane & (np.abs(wx - edge) < 0.08)] = (40, 190, 225)
    hatch = lane & (wx > 0.4) & (wx < 3.2) & (np.mod(wz + wx * 0.8, 2.4) < 0.22)
    img[hatch] = (60, 175, 205)

    # Facades: plaster in storey bands, windows above 3 m, shop shutters below.
    for side, x_sign in ((LEFT, -1), (RIGHT, 1)):
        m = kind == side
        plaster = np.array(rng.uniform([150, 165, 180], [185, 195, 215]), np.float32)
        col = np.broadcast_to(plaster, (h, w, 3)).copy()
        storey = np.mod(wy, 3.0)
        bay = np.mod(wz, 3.2)
        window = (wy > 3.0) & (storey > 0.9) & (storey < 2.4) & (bay > 0.8) & (bay < 2.3)
        col[window] = (70, 60, 55)
        band = (wy > 2.9) & (wy < 3.2)
        col[band] = plaster * 0.6
        shutter = (wy < 2.6) & (bay > 0.3) & (bay < 2.9)
        stripes = np.where(np.mod(wy, 0.12) < 0.05, 0.75, 0.9)[..., None]
        shutter_col = np.array([150, 150, 148], np.float32) * stripes
        col = np.where(shutter[..., None], shutter_col, col)
        if x_sign > 0:
            door = (wz > g.DOOR_Z_M[0]) & (wz < g.DOOR_Z_M[1]) & (wy < g.DOOR_HEIGHT_M)
            col[door] = (28, 30, 34)
            frame = (
                (wz > g.DOOR_Z_M[0] - 0.15)
                & (wz < g.DOOR_Z_M[1] + 0.15)
                & (wy < g.DOOR_HEIGHT_M + 0.15)
            ) & ~door
            col[frame] = (90, 95, 100)
        img[m] = col[m]

    # The far wall across the cross street.
    m = kind == FAR
    far = np.broadcast_to(np.array([170, 175, 180], np.float32), (h, w, 3)).copy()
    win = (np.mod(wy, 3.0) > 1.0) & (np.mod(wy, 3.0) < 2.3) & (np.mod(wx, 2.5) > 0.7)
    far[win] = (80, 75, 70)
    img[m] = far[m]

    img += fine[..., None]
    out = np.clip(img, 0, 255).astype(np.uint8)
    _structures(out, w, h)
    return out


def _structures(img: np.ndarray, w: int, h: int) -> None:
    """Static 3-D furniture: shelving fence, entrance gate, traffic-control post, lamp poles."""
    p = Painter(w, h)
    post = (95.0, 105.0, 110.0)
    # Fence-style shelving along the line: posts every 1.5 m and two rails.
    z = 20.0
    while z >= 4.0:
        p.cuboid(
            img, (g.SHELF_LINE_X_M - 0.05, g.SHELF_LINE_X_M + 0.05, 0.0, 1.0, z, z + 0.08), post
        )
        z -= 1.5
    for y in (0.55, 0.95):
        p.line(img, (g.SHELF_LINE_X_M, y, 4.0), (g.SHELF_LINE_X_M, y, 20.0), (120, 140, 150), 0.05)
    # Entrance gate: two pillars and a red beam at the street end.
    for x in (-4.7, 4.3):
        p.cuboid(img, (x, x + 0.4, 0.0, 4.2, g.ENTRANCE_Z_M, g.ENTRANCE_Z_M + 0.4), (80, 80, 150))
    p.cuboid(img, (-4.7, 4.7, 3.6, 4.3, g.ENTRANCE_Z_M, g.ENTRANCE_Z_M + 0.3), (40, 40, 170))
    # Traffic-control post (a small booth) by the gate.
    p.cuboid(
        img,
        (3.5, 4.6, 0.0, 2.4, g.ENTRANCE_Z_M - 1.6, g.ENTRANCE_Z_M - 0.4),
        (190, 180, 170),
        top=(120, 120, 120),
    )
    p.cuboid(img, (3.5, 3.55, 1.0, 2.0, g.ENTRANCE_Z_M - 1.4, g.ENTRANCE_Z_M - 0.6), (90, 80, 60))
    for lx, lz in LAMP_SITES:
        inner = lx - 0.6 if lx > 0 else lx + 0.6
        p.line(
            img, (lx, LAMP_HEIGHT_M + 0.3, lz), (inner, LAMP_HEIGHT_M + 0.3, lz), (60, 60, 60), 0.06
        )
        p.cuboid(
            img,
            (
                min(inner, lx) - 0.1,
                max(inner, lx) + 0.1,
                LAMP_HEIGHT_M,
                LAMP_HEIGHT_M + 0.2,
                lz - 0.2,
                lz + 0.2,
            ),
            (200, 210, 215),
        )


def lamp_head(x_m: float, z_m: float) -> tuple[float, float, float]:
    inner = x_m - 0.6 if x_m > 0 else x_m + 0.6
    return (0.5 * (x_m + inner), LAMP_HEIGHT_M - 0.05, z_m)


@dataclass(frozen=True)
class LightingMaps:
    """The seed-independent low-resolution lighting geometry of one frame size."""

    ground_x: np.ndarray
    ground_z: np.ndarray
    is_ground: np.ndarray
    lamp_maps: np.ndarray
    lamp_coverage: tuple[float, ...]


@functools.lru_cache(maxsize=4)
def lighting_maps(w: int, h: int) -> LightingMaps:
    """Low-res (quarter size) world maps and lamp pools for frames ``w`` x ``h``, shared."""
    lw, lh = max(w // 4, 8), max(h // 4, 8)
    kind, wx, wy, wz = _compute_world_maps(lw, lh)
    maps = []
    for lx, lz in LAMP_SITES:
        d2 = (wx - lx * 0.9) ** 2 + (wz - lz) ** 2
        same_side = np.where(((kind == LEFT) & (lx < 0)) | ((kind == RIGHT) & (lx > 0)), 1.0, 0.0)
        facade = same_side * np.exp(
            -((wz - lz) ** 2 + (wy - LAMP_HEIGHT_M) ** 2) / (2 * (LAMP_POOL_SIGMA_M * 0.8) ** 2)
        )
        ground = (kind == GROUND) * np.exp(-d2 / (2 * LAMP_POOL_SIGMA_M**2))
        maps.append((ground + 0.8 * facade).astype(np.float32))
    lamp_maps = np.stack(maps)
    out = LightingMaps(
        wx,
        wz,
        (kind == GROUND).astype(np.float32),
        lamp_maps,
        tuple(float(m.mean()) for m in lamp_maps),
    )
    for arr in (out.ground_x, out.ground_z, out.is_ground, out.lamp_maps):
        arr.flags.writeable = False
    return out


def build_background(w: int, h: int, seed: int) -> Background:
    """The street of ``seed`` at ``w`` x ``h``: per-seed albedo, shared lighting maps."""
    albedo = _albedo(w, h, np.random.default_rng([seed, 0xB6]))
    lm = lighting_maps(w, h)
    return Background(
        albedo=albedo,
        ground_x=lm.ground_x,
        ground_z=lm.ground_z,
        is_ground=lm.is_ground,
        lamp_maps=lm.lamp_maps,
        lamp_coverage=lm.lamp_coverage,
    )
