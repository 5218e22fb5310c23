"""The noise device worker: read PCM from the sensor, measure each second, apply the rules."""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from edge.device import DeviceWorker, EvidenceBlob, Sink, WorkerOptions
from edge.noise import evidence
from edge.noise.engine import NoiseRuleEngine
from edge.noise.minute import STREAM as MINUTE_STREAM
from edge.noise.minute import MinuteSummary
from edge.noise.sources import (
    EndOfFile,
    SourceError,
    Stream,
    open_http,
    open_raw_tcp,
    open_wav,
)
from firmware_sim.clock import SimClock
from models.noise.meter import SoundLevelMeter
from whistle.config.microphone import MicrophoneConfig
from whistle.config.site import SiteConfig

log = logging.getLogger(__name__)

RETRY_S = 2.0


class NoiseWorker(DeviceWorker):
    def __init__(self, site: SiteConfig, device: MicrophoneConfig, options: WorkerOptions) -> None:
        super().__init__(device.id)
        self.site = site
        self.device = device
        self.options = options
        self.engine = NoiseRuleEngine(device, site.timezone, self._clip)
        self.minutes = MinuteSummary(device.id, self.engine.zone)
        self.counters = {"reconnects": 0, "errors": 0, "seconds": 0}
        self._audio: deque[np.ndarray] = deque(maxlen=110)  # the last ~11 s of 100 ms blocks
        self._fs: int = device.source.sample_rate_hz
        self.sim_url: str | None = None
        #: Device time of the last measured second (any connection).
        self.last_t: datetime | None = None

    @property
    def capabilities(self) -> tuple[str, ...]:
        return ("noise", MINUTE_STREAM)

    def _clock(self) -> SimClock:
        tz = ZoneInfo(self.site.timezone)
        start = self.options.sim_start
        if start is None:
            if self.device.source.kind == "simulator":
                from firmware_sim.noise.scenarios import get_scenario

                sc = get_scenario(self.device.source.scenario or "")
                start = datetime.combine(datetime.now(tz).date(), sc.start, tzinfo=tz)
            else:
                start = datetime.now(tz)
        return SimClock(start, self.options.sim_speed)

    def _clip(self) -> EvidenceBlob | None:
        if not self._audio:
            return None
        samples = np.concatenate(list(self._audio))
        return evidence.audio_clip(
            samples.astype(np.int16), self._fs, self.device.evidence.audio_clip_s
        )

    def _open(self, stop: threading.Event) -> Stream:
        src = self.device.source
        if src.kind == "simulator":
            assert self.sim_url is not None
            return open_http(self.sim_url, stop)
        if src.kind == "file":
            return open_wav(src.url or "", self._clock(), stop)
        url = src.url or ""
        if url.startswith("tcp://"):
            return open_raw_tcp(url, src.sample_rate_hz, stop)
        return open_http(url, stop)

    def run(self, sink: Sink, stop: threading.Event) -> None:
        server = None
        if self.device.source.kind == "simulator":
            from firmware_sim.noise.scenarios import get_scenario
            from firmware_sim.noise.server import NoiseSensorServer

            server = NoiseSensorServer(
                get_scenario(self.device.source.scenario or ""),
                self._clock(),
                fs_hz=self.device.source.sample_rate_hz,
                sensitivity_dbfs=self.device.sensitivity_dbfs,
                seed=self.device.source.seed,
            ).start()
            self.sim_url = server.url
            log.info("%s: simulated noise sensor at %s", self.device_id, server.url)
        try:
            while not stop.is_set():
                try:
                    self._read(sink, stop)
                except EndOfFile as exc:  # a recording is played once, not looped
                    log.info("%s: %s; idle until stopped", self.device_id, exc)
                    stop.wait()
                except SourceError as exc:
                    self.counters["errors"] += 1
                    log.warning("%s: %s; retrying in %.0f s", self.device_id, exc, RETRY_S)
                    sink.health(
                        self.device_id, {"errors": self.counters["errors"]}, ("source_error",)
                    )
                    stop.wait(RETRY_S)
                except Exception:  # a worker logs, counts and carries on
                    self.counters["errors"] += 1
                    log.exception("%s: unexpected error in the noise worker", self.device_id)
                    stop.wait(RETRY_S)
                self.counters["reconnects"] += 1
        finally:
            last_minute = self.minutes.flush()
            if last_minute is not None:
                sink.observation(last_minute)
            if self.last_t is not None:
                for ev in self.engine.close_all(self.last_t):
                    sink.episode(ev)
            if server is not None:
                server.stop()

    def _read(self, sink: Sink, stop: threading.Event) -> None:
        """Measure one connection's stream until it fails (SourceError) or ``stop``."""
        stream = self._open(stop)
        self._fs = stream.fs_hz
        meter = SoundLevelMeter(stream.fs_hz, self.device.sensitivity_dbfs)
        for block in stream.blocks:
            if self.device.evidence.audio_clip:
                self._audio.append(block)
            for sec in meter.process(block):
                t = stream.start + timedelta(seconds=sec.index)
                obs, events = self.engine.step(t, sec)
                sink.observation(obs)
                limit = self.engine.last_limit
                minute = self.minutes.add(
                    t, sec, self.engine.history[-1].valid, limit.laeq_db if limit else None
                )
                if minute is not None:
                    sink.observation(minute)
                for ev in events:
                    sink.episode(ev)
                self.counters["seconds"] += 1
                self.last_t = t  # kept across reconnections: close_all() needs it
            if stop.is_set():
                break
