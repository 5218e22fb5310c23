"""The camera device worker: reads frames, paces the analysis, reports episodes and health.

Pacing: at most ``analysis_fps`` frames per second of *device* time are analysed; a frame that
arrives when the analysis is behind real time (by more than one frame period, given the
simulation speed) is skipped and counted as a drop, so 17 cameras at speed 10 on 2 cores fall
back to fewer analysed frames instead of an ever-growing lag.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from edge.device import DeviceWorker, EpisodeEvent, Observation, Severity, Sink, WorkerOptions
from edge.episodes import EpisodeTracker, HysteresisSettings
from edge.vision.clean_street import CleanStreetKeeper, CleanStreetStore, litter_detectors
from edge.vision.session import CameraSession
from whistle.config.camera import CameraConfig
from whistle.config.site import SiteConfig

log = logging.getLogger(__name__)

#: Seconds of device time between camera health reports.
HEALTH_EVERY_S = 5.0
#: A stream fault (stalled, frozen, garbage) lasting this long needs a person: camera_fault.
FAULT_AFTER_S = 30.0
STREAM_FAULTS = ("stalled", "frozen", "garbage")


class Pacer:
    """Decides which frames to analyse: rate limit in device time, drops when behind."""

    def __init__(self, fps: float, speed: float) -> None:
        self.period_s = 1.0 / fps
        self.speed = speed
        self._last_ts: datetime | None = None
        self._anchor: tuple[datetime, float] | None = None
        self.analysed = 0
        self.skipped = 0
        self.dropped = 0

    def take(self, ts: datetime, now_real: float) -> bool:
        if self._anchor is None:
            self._anchor = (ts, now_real)
        since = (ts - self._last_ts).total_seconds() if self._last_ts is not None else None
        if since is not None and since < 0.95 * self.period_s:
            self.skipped += 1
            return False
        ts0, real0 = self._anchor
        due_real = real0 + (ts - ts0).total_seconds() / self.speed
        if now_real - due_real > max(self.period_s / self.speed, 0.25):
            self.dropped += 1
            # re-anchor so a single hiccup does not drop every later frame
            self._anchor = (ts, now_real)
            self._last_ts = ts
            return False
        self._last_ts = ts
        self.analysed += 1
        return True


class CameraWorker(DeviceWorker):
    def __init__(self, site: SiteConfig, device: CameraConfig, options: WorkerOptions) -> None:
        super().__init__(device.id)
        self.site = site
        self.cfg = device
        self.options = options
        self.tz = ZoneInfo(site.timezone)
        self.session = CameraSession(device, self.tz)
        self.clean_streets = CleanStreetKeeper(
            CleanStreetStore(options.data_dir / "clean_street" / device.id),
            litter_detectors(self.session.analyzer),
        )
        self.fault = EpisodeTracker(
            "camera_fault",
            device.id,
            None,
            Severity.MAJOR,
            HysteresisSettings(FAULT_AFTER_S, 10.0, 300.0),
        )
        self.errors = 0

    @property
    def capabilities(self) -> tuple[str, ...]:
        return ("camera",)

    def run(self, sink: Sink, stop: threading.Event) -> None:
        from edge.camera.source import open_frame_source

        speed = self.options.sim_speed if self.cfg.source.kind == "simulator" else 1.0
        while not stop.is_set():
            try:
                source = open_frame_source(
                    self.cfg,
                    fps=self.cfg.analysis_fps,
                    sim_start=self.options.sim_start,
                    sim_speed=self.options.sim_speed,
                )
                pacer = Pacer(self.cfg.analysis_fps, speed)
                next_health: datetime | None = None
                ts: datetime | None = None
                for frame in source.frames(stop):
                    ts = frame.ts
                    if pacer.take(ts, time.monotonic()):
                        self._emit(sink, self.session.process(ts, frame.image))
                        self.clean_streets.after_frame(ts)
                    if next_health is None or ts >= next_health:
                        next_health = ts + timedelta(seconds=HEALTH_EVERY_S)
                        self._health(sink, source.health(), source.faults(), pacer, ts)
                if ts is not None:
                    self._emit(sink, self.session.close_all(ts))
                    self.clean_streets.flush(ts)
            except Exception:  # a worker logs, counts and carries on
                self.errors += 1
                log.exception("camera %s: analysis failed; restarting the source", self.device_id)
                stop.wait(2.0)

    def _emit(self, sink: Sink, events: list[EpisodeEvent]) -> None:
        for ev in events:
            sink.episode(ev)

    def _health(
        self,
        sink: Sink,
        health: dict[str, float],
        faults: tuple[str, ...],
        pacer: Pacer,
        ts: datetime,
    ) -> None:
        values = dict(health)
        last = self.session.last
        flags = list(faults)
        if last is not None:
            f = last.tamper.features
            values.update(
                sharpness=round(f.sharpness, 1),
                brightness=round(f.brightness, 1),
                similarity=round(f.similarity, 3),
                foreground=round(last.fg_fraction, 4),
            )
            if last.tamper.subtype:
                flags.append(f"tamper_{last.tamper.subtype}")
        values.update(
            analysed=float(pacer.analysed),
            skipped=float(pacer.skipped),
            analysis_drops=float(pacer.dropped),
            errors=float(self.errors),
        )
        sink.observation(Observation(self.device_id, "camera", ts, values, flags=tuple(flags)))
        sink.health(self.device_id, values, tuple(flags))
        stream_fault = [f for f in faults if f in STREAM_FAULTS]
        for ev in self.fault.update(
            ts,
            bool(stream_fault),
            {k: values[k] for k in ("fps", "frames") if k in values},
            summary=f"camera stream {', '.join(stream_fault) or 'restored'}",
            details={"faults": stream_fault, "latest_frame": ts.isoformat()},
        ):
            sink.episode(ev)


def build_workers(
    site: SiteConfig, devices: list[CameraConfig], options: WorkerOptions
) -> list[DeviceWorker]:
    """One :class:`CameraWorker` per camera (the agent passes cameras without ``spaces``)."""
    return [CameraWorker(site, d, options) for d in devices]
