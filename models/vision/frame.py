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

import cv2
import numpy as np

#: Background-model size (width, height) in pixels.
SMALL: tuple[int, int] = (160, 90)
#: Tamper-feature size (width, height) in pixels.
MEDIUM: tuple[int, int] = (320, 180)
#: The colour differences' zero, 128, as OpenCV takes a scalar operand (a one-element float64
#: array).
_CENTRE = np.array([128.0])


class Prepared:
    """One frame at the working sizes.

    ``grey`` float32 (SMALL), ``chroma`` float32 (planar, twice SMALL's height: Cr - 128 above
    Cb - 128) or None for a grey camera, and ``grey_m`` uint8 (MEDIUM), made when first asked
    for: only the tamper check reads it, once a second (TAMPER_PERIOD_S).
    """

    __slots__ = ("_grey_m", "_medium", "chroma", "grey")

    def __init__(
        self, medium: np.ndarray, grey: np.ndarray, chroma: np.ndarray | None = None
    ) -> None:
        #: The frame at MEDIUM size: BGR, or grey (then it is ``grey_m`` itself).
        self._medium = medium
        self._grey_m: np.ndarray | None = medium if medium.ndim == 2 else None
        self.grey = grey
        self.chroma = chroma

    @property
    def grey_m(self) -> np.ndarray:
        if self._grey_m is None:
            self._grey_m = cv2.cvtColor(self._medium, cv2.COLOR_BGR2GRAY)
        return self._grey_m


def _grey_and_colour(ycc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Y, and Cr - 128 above Cb - 128 (planar, 2h x w), of a uint8 (h, w) YCrCb image, float32.

    One transpose of the image's (h * w, 3) pixel rows lays the three channels out as planes one
    after another (Y, Cr, Cb: Cr above Cb as the background wants); converting contiguous
    planes (Y by ``astype``, the colour differences by one ``cv2.subtract`` into float32) costs
    12.7 us at SMALL, against 17.5 us for converting the strided Y slice and copying Cr and Cb
    out with ``cv2.mixChannels``. Every value is an integer, exact in float32.
    """
    h, w = ycc.shape[:2]
    planes = cv2.transpose(ycc.reshape(h * w, 3)).reshape(3 * h, w)
    return planes[:h].astype(np.float32), cv2.subtract(planes[h:], _CENTRE, dtype=cv2.CV_32F)


def prepare(image: np.ndarray) -> Prepared:
    """A BGR (or already grey) ``uint8`` image at MEDIUM and SMALL size.

    The small grey image is the Y plane of the colour conversion (``COLOR_BGR2YCrCb``'s Y has
    ``COLOR_BGR2GRAY``'s BT.601 weights): one conversion at SMALL instead of a grey one at
    MEDIUM plus a second reduction, which only the tamper check's ``grey_m`` needs.
    """
    if image.ndim == 3:
        medium = cv2.resize(image, MEDIUM, interpolation=cv2.INTER_AREA)
        small_bgr = cv2.resize(medium, SMALL, interpolation=cv2.INTER_AREA)
        ycc = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2YCrCb)
        return Prepared(medium, *_grey_and_colour(ycc))
    grey_m = cv2.resize(image, MEDIUM, interpolation=cv2.INTER_AREA)
    small = cv2.resize(grey_m, SMALL, interpolation=cv2.INTER_AREA)
    return Prepared(grey_m, small.astype(np.float32))
