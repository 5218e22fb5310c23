"""Rasterise normalised polygons (zones, masks) once, at the working size."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Point = tuple[float, float]


def polygon_mask(polygon: Sequence[Point], size: tuple[int, int]) -> np.ndarray:
    """Boolean mask (height, width) of a polygon given in normalised 0..1 coordinates."""
    width, height = size
    pts = np.array([[x * width, y * height] for x, y in polygon], dtype=np.float64)
    mask = np.zeros((height, width), dtype=np.uint8)
    # fixed-point coordinates (4 fractional bits) so thin zones keep their pixels
    cv2.fillPoly(mask, [np.round(pts * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    return mask.astype(bool)


def union_mask(polygons: Sequence[Sequence[Point]], size: tuple[int, int]) -> np.ndarray:
    width, height = size
    out = np.zeros((height, width), dtype=bool)
    for poly in polygons:
        out |= polygon_mask(poly, size)
    return out
