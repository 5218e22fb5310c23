"""Reduce a camera frame to the small images the detectors work on.

Working at reduced resolution keeps the whole analysis near the cost of one OpenCV MOG2 call at
320x180 (about 2 ms per frame, see ``/work/shared/reference/vision.md``): the background models
run at 160x90 (``SMALL``), the sharpness features at 320x180 (``MEDIUM``).

Besides grey, the background also models colour: goods on the street (crates, tarps, sacks)
are often about as bright as the grey paving but differ in hue. ``chroma`` holds the YCrCb
colour-difference channels (ITU-R BT.601, as OpenCV's ``COLOR_BGR2YCrCb``) centred on zero,
in grey levels, planar: the Cr plane above the Cb plane (see ``models.vision.background``).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Background-model size (width, height) in pixels.
SMALL: tuple[int, int] = (160, 90)
#: Tamper-feature size (width, height) in pixels.
MEDIUM: tuple[int, int] = (320, 180)


@dataclass(frozen=True)
class Prepared:
    """One frame at the working sizes.

    ``grey_m`` uint8 (MEDIUM), ``grey`` float32 (SMALL), ``chroma`` float32 (planar, twice
    SMALL's height: Cr - 128 above Cb - 128) or None for a grey camera.
    """

    grey_m: np.ndarray
    grey: np.ndarray
    chroma: np.ndarray | None = None


def _colour_differences(ycc: np.ndarray) -> np.ndarray:
    """Cr - 128 and Cb - 128 of a uint8 (h, w) YCrCb image as float32, planar (2h, w).

    Copying the two channels out with ``cv2.mixChannels`` (into the two halves) before the
    conversion to float costs a third of converting the strided slices directly.
    """
    h = ycc.shape[0]
    crcb = np.empty((2 * h, ycc.shape[1]), np.uint8)
    cv2.mixChannels([ycc], [crcb[:h], crcb[h:]], [1, 0, 2, 1])
    chroma = crcb.astype(np.float32)
    chroma -= 128.0
    return chroma


def prepare(image: np.ndarray) -> Prepared:
    """Grey copies of a BGR (or already grey) ``uint8`` image at MEDIUM and SMALL size."""
    chroma: np.ndarray | None = None
    if image.ndim == 3:
        medium = cv2.resize(image, MEDIUM, interpolation=cv2.INTER_AREA)
        grey_m = cv2.cvtColor(medium, cv2.COLOR_BGR2GRAY)
        small_bgr = cv2.resize(medium, SMALL, interpolation=cv2.INTER_AREA)
        chroma = _colour_differences(cv2.cvtColor(small_bgr, cv2.COLOR_BGR2YCrCb))
    else:
        grey_m = cv2.resize(image, MEDIUM, interpolation=cv2.INTER_AREA)
    small = cv2.resize(grey_m, SMALL, interpolation=cv2.INTER_AREA)
    return Prepared(grey_m=grey_m, grey=small.astype(np.float32), chroma=chroma)
