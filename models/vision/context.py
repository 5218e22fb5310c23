"""What every zone detector sees of one analysed frame, and what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

import numpy as np

from models.vision.background import DualBackground
from models.vision.blobs import Box


@dataclass(frozen=True)
class FrameContext:
    """One analysed frame: device time ``t_s`` (seconds), local time of day, working images."""

    t_s: float
    local: time | None
    grey: np.ndarray  # float32 at SMALL
    bg: DualBackground
    #: Long-term foreground after morphology (uint8 0/1): everything new in the scene.
    fg: np.ndarray
    #: Moving foreground (long- and short-term foreground) after morphology (uint8 0/1).
    moving: np.ndarray
    size: tuple[int, int]  # (width, height) of the working images


@dataclass(frozen=True)
class ZoneJudgement:
    """A zone detector's verdict on one frame."""

    zone: str
    kind: str
    active: bool
    box: Box | None = None
    measured: dict[str, float] = field(default_factory=dict)
    #: When the thing judged was first seen (device seconds), for the evidence.
    first_seen_s: float | None = None
    #: Heat map (float32 0..1 at the working size) for cleanliness evidence.
    heat: np.ndarray | None = None
