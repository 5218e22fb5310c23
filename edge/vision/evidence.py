"""Evidence images: privacy masks blurred, zone and box drawn, JPEG no larger than 100 KB."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import cv2
import numpy as np

from edge.device import EvidenceBlob

MAX_JPEG_BYTES = 100_000
Point = tuple[float, float]


def _pts(polygon: Sequence[Point], w: int, h: int) -> np.ndarray:
    return np.array([[round(x * w), round(y * h)] for x, y in polygon], dtype=np.int32)


def apply_privacy(image: np.ndarray, masks: Sequence[Sequence[Point]]) -> np.ndarray:
    """A copy of ``image`` with every privacy polygon blurred beyond recognition."""
    out = image.copy()
    if not masks:
        return out
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    for poly in masks:
        cv2.fillPoly(mask, [_pts(poly, w, h)], 255)
    # pixelate then blur: nothing of a face or a window survives
    small = cv2.resize(image, (max(1, w // 24), max(1, h // 24)), interpolation=cv2.INTER_AREA)
    coarse = cv2.GaussianBlur(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), (0, 0), 6)
    out[mask > 0] = coarse[mask > 0]
    return out


def encode_jpeg(image: np.ndarray, max_bytes: int = MAX_JPEG_BYTES) -> bytes:
    """JPEG of ``image`` at the best quality (95 down to 30) that fits ``max_bytes``."""
    img = image
    for quality in (90, 80, 70, 55, 40, 30):
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(buf) <= max_bytes:
            return bytes(buf)
    while True:  # still too big: halve the size
        img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 50])
        if ok and (len(buf) <= max_bytes or img.shape[1] < 64):
            return bytes(buf)


def snapshot(
    image: np.ndarray,
    privacy: Sequence[Sequence[Point]],
    zone: Sequence[Point] | None,
    box: tuple[float, float, float, float] | None,
    label: str = "",
) -> EvidenceBlob:
    """The evidence snapshot: privacy blurred first, then the zone (yellow) and box (red)."""
    out = apply_privacy(image, privacy)
    h, w = out.shape[:2]
    if zone is not None:
        cv2.polylines(out, [_pts(zone, w, h)], True, (0, 220, 255), 2, cv2.LINE_AA)
    if box is not None:
        x0, y0, x1, y1 = box
        p0 = (round(x0 * w), round(y0 * h))
        p1 = (round(x1 * w) - 1, round(y1 * h) - 1)
        cv2.rectangle(out, p0, p1, (0, 0, 255), 2)
    if label:
        cv2.putText(out, label, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
    return EvidenceBlob(str(uuid.uuid4()), "snapshot", "image/jpeg", encode_jpeg(out))


def heatmap(
    image: np.ndarray, heat: np.ndarray, privacy: Sequence[Sequence[Point]]
) -> EvidenceBlob:
    """Left-over rubbish as a colour heat map over the (privacy-blurred) frame."""
    h, w = image.shape[:2]
    base = apply_privacy(image, privacy)
    hm = cv2.resize(np.clip(heat, 0, 1).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    colour = cv2.applyColorMap((hm * 255).astype(np.uint8), cv2.COLORMAP_JET)
    alpha = (0.6 * hm)[..., None]
    out = (base * (1 - alpha) + colour * alpha).astype(np.uint8)
    return EvidenceBlob(str(uuid.uuid4()), "heatmap", "image/jpeg", encode_jpeg(out))
