"""The car park camera worker: frames -> per-space occupied/free -> free-space telemetry and a
"car park full" episode."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import numpy as np

from edge.device import DeviceWorker, EpisodeEvent, Observation, Severity, Sink, WorkerOptions
from edge.episodes import EpisodeTracker, HysteresisSettings
from models.parking.classifier import SpaceClassifier
from whistle.config.camera import CameraConfig
from whistle.config.site import SiteConfig

log = logging.getLogger(__name__)

#: Analysis rate of the car park camera in frames per device second: a frame every 2 s. The
#: classifier's hysteresis (2 agreeing frames) then flips a space 4-10 s after a car starts to
#: drive in or out; its accuracy was measured at this rate (docs/parks.md).
FPS = 0.5
#: A space narrower than this (pixels) at 640x360 makes the worker analyse at 1280x720.
MIN_SPACE_PX = 32.0


def analysis_size(device: CameraConfig) -> tuple[int, int]:
    """640x360, or 1280x720 when the marked spaces are too small to judge at 640x360 (a wide
    aerial view: the real test footage's bays are 24x10 px at 640x360)."""
    smallest = min(
        max(x for x, _ in s.polygon) - min(x for x, _ in s.polygon) for s in device.spaces
    )
    return (1280, 720) if smallest * 640 < MIN_SPACE_PX else (640, 360)


#: Telemetry every this many seconds of device time.
PUBLISH_EVERY_S = 60.0


class CarparkWorker(DeviceWorker):
    def __init__(self, site: SiteConfig, device: CameraConfig, options: WorkerOptions) -> None:
        super().__init__(device.id)
        if not device.spaces:
            raise ValueError(f"camera {device.id}: no car park spaces configured")
        self.site = site
        self.device = device
        self.options = options
        self.size = analysis_size(device)
        w, h = self.size
        polys = [np.array([(x * w, y * h) for x, y in s.polygon]) for s in device.spaces]
        self.classifier = SpaceClassifier(polys, self.size)
        self.full = EpisodeTracker(
            "carpark_full",
            device.id,
            None,
            Severity.WARNING,
            HysteresisSettings(open_after_s=60, close_after_s=120, update_every_s=600),
        )
        self._last_pub: datetime | None = None

    @property
    def capabilities(self) -> tuple[str, ...]:
        return ("carpark",)

    def process(
        self, ts: datetime, image: np.ndarray
    ) -> tuple[list[Observation], list[EpisodeEvent]]:
        """One frame: classify; telemetry each minute; the full episode (pure, for tests)."""
        occ = self.classifier.update(image)
        total = len(occ)
        occupied = int(occ.sum())
        free = total - occupied
        obs: list[Observation] = []
        if self._last_pub is None or (ts - self._last_pub).total_seconds() >= PUBLISH_EVERY_S:
            self._last_pub = ts
            obs.append(
                Observation(
                    self.device.id,
                    "carpark",
                    ts,
                    {"free": float(free), "occupied": float(occupied), "total": float(total)},
                )
            )
        events = self.full.update(
            ts,
            free == 0,
            {"free": float(free), "occupied": float(occupied)},
            threshold=float(total),
            unit="spaces",
            summary=f"car park full: {occupied}/{total}",
            details={
                "occupied_spaces": [
                    s.id for s, o in zip(self.device.spaces, occ, strict=True) if o
                ][:200]
            },
        )
        return obs, events

    def run(self, sink: Sink, stop: threading.Event) -> None:
        from edge.camera.source import open_frame_source

        source = open_frame_source(
            self.device,
            width=self.size[0],
            height=self.size[1],
            fps=FPS,
            sim_start=self.options.sim_start,
            sim_speed=self.options.sim_speed,
        )
        last: datetime | None = None
        for frame in source.frames(stop):
            try:
                obs, events = self.process(frame.ts, frame.image)
            except ValueError as exc:  # e.g. a frame of the wrong size
                log.warning("car park %s: frame %d skipped: %s", self.device.id, frame.index, exc)
                continue
            for o in obs:
                sink.observation(o)
            for e in events:
                sink.episode(e)
            last = frame.ts
            if stop.is_set():
                break
        if self.full.is_open and last is not None:
            sink.episode(self.full.close(last))
