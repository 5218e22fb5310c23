"""The standard market scene's camera model and zones.

A pinhole camera on a 4 m pole looks along a 10 m wide pedestrian street (x right, y down,
both normalised 0..1 over the image). Ground coordinates in metres: ``X`` across the street
(0 = camera axis, left facade at -5, right facade at +5), ``Y`` height above the ground, ``z``
depth along the street (the image bottom edge sees the ground at 5 m, the entrance gate
stands at 20 m, buildings across the cross street at 30 m). The shelving line runs along
``X = -2``: the stall side is ``X < -2``, the roadway / fire lane ``X > -2``.
A stairwell door opens in the right facade at z 9.0-10.4 m.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Horizon height (normalised y) and focal length (normalised y per metre of height over depth).
HORIZON_Y = 0.20
CAMERA_HEIGHT_M = 4.0
FOCAL_Y = 1.0
#: Square pixels at 16:9: the x focal length is scaled by height/width.
FOCAL_X = FOCAL_Y * 360.0 / 640.0

STREET_HALF_WIDTH_M = 5.0
SHELF_LINE_X_M = -2.0
NEAR_Z_M = CAMERA_HEIGHT_M * FOCAL_Y / (1.0 - HORIZON_Y)  # 5 m: ground at the image bottom
ENTRANCE_Z_M = 20.0
STREET_END_Z_M = 22.0
FAR_WALL_Z_M = 30.0
DOOR_X_M = STREET_HALF_WIDTH_M
DOOR_Z_M = (9.0, 10.4)
DOOR_HEIGHT_M = 2.3

NormPoly = list[tuple[float, float]]


def project(x_m: float, y_m: float, z_m: float) -> tuple[float, float]:
    """Ground/world point (X across, Y up, z depth; metres) -> normalised image (x, y)."""
    z = max(z_m, 0.1)
    return 0.5 + FOCAL_X * x_m / z, HORIZON_Y + FOCAL_Y * (CAMERA_HEIGHT_M - y_m) / z


def px_per_m(z_m: float, height_px: int) -> float:
    """Pixels per metre (both axes, square pixels) at depth ``z_m``."""
    return FOCAL_Y * height_px / max(z_m, 0.1)


def ground_quad(x0: float, x1: float, z0: float, z1: float) -> NormPoly:
    return [project(x0, 0, z0), project(x1, 0, z0), project(x1, 0, z1), project(x0, 0, z1)]


def _clip(poly: NormPoly, inside: object, cut: object) -> NormPoly:
    out: NormPoly = []
    n = len(poly)
    for i in range(n):
        cur, prev = poly[i], poly[i - 1]
        cin, pin = inside(cur), inside(prev)  # type: ignore[operator]
        if cin:
            if not pin:
                out.append(cut(prev, cur))  # type: ignore[operator]
            out.append(cur)
        elif pin:
            out.append(cut(prev, cur))  # type: ignore[operator]
    return out


def clip_to_frame(poly: NormPoly) -> NormPoly:
    """Sutherland-Hodgman clip of a polygon to the unit square, rounded to 4 decimals."""

    def cut_x(a: tuple[float, float], b: tuple[float, float], xv: float) -> tuple[float, float]:
        t = (xv - a[0]) / (b[0] - a[0])
        return xv, a[1] + t * (b[1] - a[1])

    def cut_y(a: tuple[float, float], b: tuple[float, float], yv: float) -> tuple[float, float]:
        t = (yv - a[1]) / (b[1] - a[1])
        return a[0] + t * (b[0] - a[0]), yv

    pts = poly
    pts = _clip(pts, lambda p: p[0] >= 0.0, lambda a, b: cut_x(a, b, 0.0))
    pts = _clip(pts, lambda p: p[0] <= 1.0, lambda a, b: cut_x(a, b, 1.0))
    pts = _clip(pts, lambda p: p[1] >= 0.0, lambda a, b: cut_y(a, b, 0.0))
    pts = _clip(pts, lambda p: p[1] <= 1.0, lambda a, b: cut_y(a, b, 1.0))
    out: NormPoly = []
    for x, y in pts:
        q = (round(min(max(x, 0.0), 1.0), 4), round(min(max(y, 0.0), 1.0), 4))
        if not out or out[-1] != q:
            out.append(q)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


@dataclass(frozen=True)
class SceneZone:
    id: str
    kind: str  # no_stall | walkway | restricted | vehicle_free | cleanliness
    polygon: NormPoly
    #: The zone on the ground, metres: (X0, X1, z0, z1); the restricted zone adds the door face.
    ground_m: tuple[float, float, float, float]


#: Ground extents (metres) of each zone of the standard scene.
NO_STALL_M = (SHELF_LINE_X_M + 0.1, 4.6, NEAR_Z_M, 15.0)
WALKWAY_M = (-STREET_HALF_WIDTH_M, STREET_HALF_WIDTH_M, 15.0, STREET_END_Z_M)
RESTRICTED_M = (3.4, STREET_HALF_WIDTH_M, DOOR_Z_M[0] - 0.6, DOOR_Z_M[1] + 0.6)
VEHICLE_FREE_M = (-STREET_HALF_WIDTH_M, STREET_HALF_WIDTH_M, NEAR_Z_M, STREET_END_Z_M)
CLEANLINESS_M = (-STREET_HALF_WIDTH_M, STREET_HALF_WIDTH_M, NEAR_Z_M, 18.0)


def _restricted_polygon() -> NormPoly:
    x0, x1, z0, z1 = RESTRICTED_M
    # Ground in front of the door, then up the door face: a convex outline in image order.
    return [
        project(x0, 0, z1),
        project(x0, 0, z0),
        project(x1, 0, z0),
        project(x1, DOOR_HEIGHT_M + 0.3, z0),
        project(x1, DOOR_HEIGHT_M + 0.3, z1),
    ]


def standard_zones() -> list[SceneZone]:
    """The zones of the standard market scene (normalised polygons clipped to the frame)."""
    return [
        SceneZone("roadway", "no_stall", clip_to_frame(ground_quad(*(NO_STALL_M))), NO_STALL_M),
        SceneZone("entrance", "walkway", clip_to_frame(ground_quad(*(WALKWAY_M))), WALKWAY_M),
        SceneZone("stairwell", "restricted", clip_to_frame(_restricted_polygon()), RESTRICTED_M),
        SceneZone(
            "street",
            "vehicle_free",
            clip_to_frame(ground_quad(*(VEHICLE_FREE_M))),
            VEHICLE_FREE_M,
        ),
        SceneZone(
            "street_clean",
            "cleanliness",
            clip_to_frame(ground_quad(*(CLEANLINESS_M))),
            CLEANLINESS_M,
        ),
    ]


def zone_of_kind(kind: str) -> SceneZone:
    for zone in standard_zones():
        if zone.kind == kind:
            return zone
    raise KeyError(kind)


def in_ground_zone(zone: SceneZone, x_m: float, z_m: float) -> bool:
    x0, x1, z0, z1 = zone.ground_m
    return x0 <= x_m <= x1 and z0 <= z_m <= z1
