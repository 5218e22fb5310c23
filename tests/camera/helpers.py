"""Shared pieces for the camera tests: a cheap stub renderer and a frame drainer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.camera.source import Frame, FrameSource, SourceSettings

FAST = SourceSettings(
    stall_after_s=1.0, frozen_after_s=1.0, backoff_initial_s=0.1, backoff_max_s=0.4
)


class StubRenderer:
    """A cheap SceneRenderer: noise plus the frame time written in the picture."""

    def __init__(self, size: tuple[int, int] = (160, 90)) -> None:
        self._size = size

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def frame_at(self, t_s: float) -> np.ndarray:
        w, h = self._size
        rng = np.random.default_rng(int(t_s * 1000))
        img = rng.integers(0, 60, (h, w, 3), dtype=np.uint8)
        cv2.putText(
            img, f"{t_s:.1f}", (5, h // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 1
        )
        return img


@dataclass
class Drain:
    """Consumes a source's frames in a thread, keeping the last few."""

    source: FrameSource
    stop: threading.Event = field(default_factory=threading.Event)
    frames: list[Frame] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        for f in self.source.frames(self.stop):
            self.frames.append(f)
            del self.frames[:-50]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def wait_for(cond: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    """Poll ``cond`` until true or the (generous) timeout; returns the last value."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()
