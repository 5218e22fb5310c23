"""RTSP streams and video files through ``cv2.VideoCapture``.

Files play at ``speed`` times their own frame rate (a large speed reads as fast as the
consumer takes frames) and end the source at their end; their device time is ``start`` plus
the file position. RTSP frames carry the wall-clock time of capture. Frames that are not due
at the analysis rate are grabbed but not decoded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from edge.camera.source import DeviceEnded, SourceSettings, ThreadedSource


class OpenCvSource(ThreadedSource):
    def __init__(
        self,
        name: str,
        url: str,
        *,
        is_file: bool,
        width: int = 640,
        height: int = 360,
        fps: float = 5.0,
        start: datetime | None = None,
        speed: float = 1.0,
        settings: SourceSettings | None = None,
    ) -> None:
        super().__init__(name, width=width, height=height, fps=fps, settings=settings)
        self.url = url
        self.is_file = is_file
        self.lossless = is_file
        self.start = start or datetime.now(UTC)
        self.speed = speed
        if is_file and not Path(url).is_file():
            raise ValueError(f"camera {name}: video file not found: {url}")

    def _session(self, stop: threading.Event) -> Iterator[tuple[np.ndarray, datetime | None]]:
        cap = cv2.VideoCapture(self.url)
        try:
            if not cap.isOpened():
                raise ConnectionError(f"OpenCV cannot open {self.url}")
            file_fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
            t0 = time.monotonic()
            n = 0
            while not stop.is_set():
                if not cap.grab():
                    if self.is_file:
                        raise DeviceEnded()
                    raise ConnectionError("no frame from the stream")
                if self.is_file:
                    pos_s = n / file_fps
                    ts: datetime = self.start + timedelta(seconds=pos_s)
                    wait = pos_s / self.speed - (time.monotonic() - t0)
                    if wait > 0:
                        stop.wait(wait)
                else:
                    ts = datetime.now(UTC)
                n += 1
                if not self._should_decode(ts):
                    yield np.empty((0, 0, 3), np.uint8), ts  # counted as a drop
                    continue
                ok, img = cap.retrieve()
                yield (img if ok and img is not None else np.empty((0,), np.uint8)), ts
        finally:
            cap.release()
