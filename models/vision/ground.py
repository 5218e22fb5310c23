"""Flat-ground pinhole geometry: image rows and columns to metres on the street.

A camera at height ``h`` (m) with focal length ``f_y`` (image heights) and horizon row ``y_h``
(all rows normalised 0..1, y down) sees the ground point at depth ``z`` (m) on row
``y = y_h + f_y * h / z`` and at lateral offset ``X`` (m) on column ``x = 0.5 + f_x * X / z``
with ``f_x = f_y * H / W`` for square pixels (Hartley and Zisserman, "Multiple View Geometry",
2nd ed., 2004, section 6.1: the pinhole camera). An upright object at depth ``z`` that spans
``dx`` columns and ``dy`` rows (normalised) is ``dx * z / f_x`` m wide and ``dy * z / f_y`` m
high.
"""

from __future__ import annotations

from whistle.config.camera import GroundPlane


class Ground:
    """:class:`GroundPlane` at a working image size (width, height) in pixels.

    The plane's numbers are copied into plain floats once: detectors call these per blob and
    per frame.
    """

    __slots__ = ("focal_x", "focal_y", "height_m", "horizon_y", "plane", "size")

    def __init__(self, plane: GroundPlane, size: tuple[int, int]) -> None:
        self.plane = plane
        self.size = size
        w, h = size
        self.focal_y = float(plane.focal_y)
        self.focal_x = self.focal_y * h / w
        self.height_m = float(plane.height_m)
        self.horizon_y = float(plane.horizon_y)

    def depth_m(self, row_px: float) -> float | None:
        """Depth (m) of the ground seen at pixel row ``row_px``; None above the horizon."""
        y = row_px / self.size[1] - self.horizon_y
        if y <= 1e-3:
            return None
        return self.focal_y * self.height_m / y

    def foot(self, x_px: float, row_px: float) -> tuple[float, float] | None:
        """Ground position (X across, z along; metres) of a foot point; None above horizon."""
        z = self.depth_m(row_px)
        if z is None:
            return None
        return (x_px / self.size[0] - 0.5) * z / self.focal_x, z

    def width_m(self, width_px: float, z_m: float) -> float:
        return width_px / self.size[0] * z_m / self.focal_x

    def row_span_m(self, z_m: float) -> float:
        """Depth (m) of ground one pixel row spans at depth ``z_m``: from ``y = f_y * h / z``,
        ``|dz/dy| = z**2 / (f_y * h)`` per image height."""
        return z_m * z_m / (self.focal_y * self.height_m * self.size[1])

    def width_at_row_m(self, width_px: float, row_px: float) -> float | None:
        """Width (m) of something ``width_px`` wide standing on row ``row_px``; None above the
        horizon."""
        z = self.depth_m(row_px)
        return None if z is None else self.width_m(width_px, z)

    def height_m_of(self, height_px: float, z_m: float) -> float:
        """Height (m) of an upright object spanning ``height_px`` rows at depth ``z_m``."""
        return height_px / self.size[1] * z_m / self.focal_y

    def person_height_px(self, row_px: float, person_m: float = 1.7) -> float:
        """Image height (px) of a standing person whose feet are on row ``row_px``."""
        z = self.depth_m(row_px)
        return 0.0 if z is None else person_m * self.focal_y / z * self.size[1]
