"""Camera frame sources: HTTP MJPEG, RTSP and files (OpenCV), and the in-process simulator.

Each source reads its device in its own thread and hands the detector the newest frame through
a one-slot mailbox, so a slow consumer never backs up the stream (overwritten frames are counted
as drops) and one stalled camera never delays another; memory is bounded by one frame per
source. Frames are paced to the analysis rate on *device* time (the camera's ``X-Timestamp``
header, or the file position) and scaled once to the analysis size.

Health: reconnects with exponential backoff; "stalled" when no data arrived for
``stall_after_s``, "frozen" when the picture has not changed for ``frozen_after_s``, "garbage"
after ``garbage_after`` undecodable frames in a row, "disconnected" while not connected.
Device faults never raise out of :meth:`FrameSource.frames`.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from whistle.config.camera import CameraConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Frame:
    ts: datetime  # device time of capture (X-Timestamp when present, else wall clock)
    image: np.ndarray  # BGR uint8 at the analysis size (H, W, 3)
    index: int


@dataclass(frozen=True)
class SourceSettings:
    """Reconnect and fault-detection settings (seconds are real seconds)."""

    stall_after_s: float = 5.0
    frozen_after_s: float = 5.0
    garbage_after: int = 3
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    #: Mean absolute difference (8-bit levels, on a subsampled grey image) under which two
    #: frames count as identical; live sensor noise alone gives about 1-3.
    frozen_mad: float = 0.3


class FrameSource(ABC):
    @abstractmethod
    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        """Blocks; reconnects inside with backoff; paces to the analysis rate; returns when
        ``stop`` is set (or a video file ends)."""

    @abstractmethod
    def health(self) -> dict[str, float]:
        """fps, frames, drops, reconnects, stalled, frozen, garbage (0/1 flags)."""

    @abstractmethod
    def faults(self) -> tuple[str, ...]:
        """Currently active: "stalled", "frozen", "garbage", "disconnected"."""


class DeviceEnded(Exception):
    """The device has no more frames (end of a video file)."""


class ThreadedSource(FrameSource):
    """Reader thread + one-slot mailbox + health; subclasses implement :meth:`_session`."""

    #: Files block the reader instead of dropping frames the consumer has not taken yet.
    lossless = False

    def __init__(
        self,
        name: str,
        *,
        width: int = 640,
        height: int = 360,
        fps: float = 5.0,
        settings: SourceSettings | None = None,
    ) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.name = name
        self.size = (width, height)
        self.period_s = 1.0 / fps
        self.settings = settings or SourceSettings()
        self._cond = threading.Condition()
        self._slot: Frame | None = None
        self._index = 0
        self._frames = 0
        self._drops = 0
        self._reconnects = 0
        self._bad_run = 0
        self._garbage = False
        self._connected = False
        self._ended = False
        self._last_arrival = time.monotonic()
        self._last_emit_ts: datetime | None = None
        self._prev_small: np.ndarray | None = None
        self._same_since: float | None = None
        self._emit_times: collections.deque[float] = collections.deque(maxlen=20)

    # -- to implement ---------------------------------------------------------------------

    @abstractmethod
    def _session(
        self, stop: threading.Event
    ) -> Iterator[tuple[bytes | np.ndarray, datetime | None]]:
        """Connect and yield (JPEG bytes or BGR image, device time or None) until the
        connection fails (raise) or ``stop``; raise :class:`DeviceEnded` at a file's end."""

    def _should_decode(self, ts: datetime) -> bool:
        return self._due(ts)

    # -- consumer side --------------------------------------------------------------------

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        inner = threading.Event()
        reader = threading.Thread(
            target=self._read_loop, args=(inner,), name=f"camera-{self.name}", daemon=True
        )
        self._last_arrival = time.monotonic()
        reader.start()
        try:
            while not stop.is_set():
                with self._cond:
                    if self._slot is None:
                        if self._ended:
                            return
                        self._cond.wait(timeout=0.25)
                    frame, self._slot = self._slot, None
                    if frame is not None:
                        self._cond.notify_all()
                if frame is not None:
                    self._frames += 1
                    self._emit_times.append(time.monotonic())
                    yield frame
        finally:
            inner.set()
            with self._cond:
                self._cond.notify_all()
            reader.join(timeout=5.0)

    def health(self) -> dict[str, float]:
        f = self.faults()
        times = list(self._emit_times)
        fps = (
            (len(times) - 1) / (times[-1] - times[0])
            if len(times) > 1 and times[-1] > times[0]
            else 0.0
        )
        if times and time.monotonic() - times[-1] > 5.0:
            fps = 0.0
        return {
            "fps": round(fps, 3),
            "frames": float(self._frames),
            "drops": float(self._drops),
            "reconnects": float(self._reconnects),
            "stalled": float("stalled" in f),
            "frozen": float("frozen" in f),
            "garbage": float("garbage" in f),
        }

    def faults(self) -> tuple[str, ...]:
        now = time.monotonic()
        out = []
        if now - self._last_arrival > self.settings.stall_after_s and not self._ended:
            out.append("stalled")
        if self._same_since is not None and now - self._same_since >= self.settings.frozen_after_s:
            out.append("frozen")
        if self._garbage:
            out.append("garbage")
        if not self._connected and not self._ended:
            out.append("disconnected")
        return tuple(out)

    # -- reader side ----------------------------------------------------------------------

    def _read_loop(self, stop: threading.Event) -> None:
        delay = self.settings.backoff_initial_s
        first = True
        while not stop.is_set():
            if not first:
                self._reconnects += 1
            first = False
            try:
                for item, ts in self._session(stop):
                    self._connected = True
                    self._last_arrival = time.monotonic()
                    if self._handle(item, ts, stop):
                        delay = self.settings.backoff_initial_s
                    if stop.is_set():
                        break
                if stop.is_set():
                    break
                log.warning("camera %s: stream ended; reconnecting", self.name)
            except DeviceEnded:
                with self._cond:
                    self._ended = True
                    self._cond.notify_all()
                return
            except Exception as exc:  # any device fault: log, back off, reconnect
                log.warning(
                    "camera %s: %s: %s; reconnecting in %.1f s",
                    self.name,
                    type(exc).__name__,
                    exc,
                    delay,
                )
            self._connected = False
            if stop.wait(delay):
                break
            delay = min(delay * 2.0, self.settings.backoff_max_s)
        self._connected = False

    def _due(self, ts: datetime) -> bool:
        last = self._last_emit_ts
        return last is None or ts < last or (ts - last).total_seconds() >= self.period_s * 0.8

    def _handle(self, item: bytes | np.ndarray, ts: datetime | None, stop: threading.Event) -> bool:
        """Pace, decode, scale, check and post one frame; True when a good frame was posted."""
        device_ts = ts or datetime.now(UTC)
        if not self._due(device_ts):
            self._drops += 1
            return False
        if isinstance(item, bytes):
            # Only JPEG (SOI marker) is decoded: other bytes are garbage, and skipping them
            # spares OpenCV's error log.
            img = (
                cv2.imdecode(np.frombuffer(item, np.uint8), cv2.IMREAD_COLOR)
                if item[:2] == b"\xff\xd8"
                else None
            )
        else:
            img = item
        if img is None or img.ndim != 3 or img.size == 0:
            self._bad_run += 1
            if self._bad_run >= self.settings.garbage_after and not self._garbage:
                log.warning("camera %s: undecodable frames (garbage stream)", self.name)
                self._garbage = True
            return False
        self._bad_run = 0
        self._garbage = False
        if (img.shape[1], img.shape[0]) != self.size:
            img = cv2.resize(img, self.size, interpolation=cv2.INTER_AREA)
        self._check_frozen(img)
        self._last_emit_ts = device_ts
        frame = Frame(device_ts, img, self._index)
        self._index += 1
        with self._cond:
            if self.lossless:
                while self._slot is not None and not stop.is_set():
                    self._cond.wait(timeout=0.25)
            if self._slot is not None:
                self._drops += 1
            self._slot = frame
            self._cond.notify_all()
        return True

    def _check_frozen(self, img: np.ndarray) -> None:
        small = cv2.cvtColor(img[::8, ::8], cv2.COLOR_BGR2GRAY).astype(np.int16)
        prev, self._prev_small = self._prev_small, small
        if (
            prev is not None
            and prev.shape == small.shape
            and float(np.mean(np.abs(small - prev))) < self.settings.frozen_mad
        ):
            if self._same_since is None:
                self._same_since = time.monotonic()
        else:
            self._same_since = None


def _ts_from_pos(start: datetime, pos_ms: float) -> datetime:
    return start + timedelta(milliseconds=pos_ms)


def open_frame_source(
    cfg: CameraConfig,
    *,
    width: int = 640,
    height: int = 360,
    fps: float = 5.0,
    sim_start: datetime | None = None,
    sim_speed: float = 1.0,
) -> FrameSource:
    """The frame source for a camera's config (``source.kind`` mjpeg|rtsp|file|simulator).

    Raises ``ValueError``/``RuntimeError`` naming the camera for a config that cannot work
    (no url, unknown simulator, missing file); device faults later never raise.
    """
    from edge.camera.memory import tune_malloc

    tune_malloc()  # frame-sized arrays back to the system: see edge/camera/memory.py
    src = cfg.source
    name = cfg.id
    settings = _settings(src)
    if src.kind == "simulator":
        from edge.camera.simulator import SimulatorSource

        try:
            return SimulatorSource(
                name,
                src.simulator,
                src.scenario,
                src.seed,
                width=width,
                height=height,
                fps=fps,
                start=sim_start,
                speed=sim_speed,
                settings=settings,
            )
        except (ValueError, RuntimeError) as exc:
            raise RuntimeError(f"camera {name}: simulator {src.simulator!r}: {exc}") from exc
    if not src.url:
        raise ValueError(f"camera {name}: source.kind {src.kind} needs source.url")
    if src.kind == "mjpeg":
        from edge.camera.mjpeg import MjpegSource

        return MjpegSource(name, src.url, width=width, height=height, fps=fps, settings=settings)
    from edge.camera.opencv import OpenCvSource

    return OpenCvSource(
        name,
        src.url,
        is_file=src.kind == "file",
        width=width,
        height=height,
        fps=fps,
        start=sim_start,
        speed=sim_speed,
        settings=settings,
    )


def _settings(src: object) -> SourceSettings:
    """Settings from optional ``CameraSource`` fields when present, else defaults."""
    base = SourceSettings()
    values = {
        k: getattr(src, k)
        for k in ("stall_after_s", "frozen_after_s", "backoff_initial_s", "backoff_max_s")
        if getattr(src, k, None) is not None
    }
    return SourceSettings(**{**base.__dict__, **values}) if values else base
