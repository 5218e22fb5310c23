"""What a device worker is and what it hands to the agent.

A worker reads one device (a microphone, a camera, a people counter) and turns what it sees
into plain frozen dataclasses: :class:`Observation` (telemetry), :class:`EpisodeEvent` (alert
episodes) and :class:`EvidenceBlob` (evidence). It hands them to a :class:`Sink`; the agent's
sink turns them into wire-contract payloads, queues them in the disk outbox and publishes them.
Workers never see MQTT.

Times are the *device's* times (sample clock, frame timestamps), so a simulated morning played
at ``--speed 10`` gives the same episodes as one played in real time.
"""

from __future__ import annotations

import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from whistle.contract import AlertState, Severity

#: The states of an episode are the states of an alert on the wire.
EpisodeState = AlertState


@dataclass(frozen=True)
class Observation:
    """One telemetry sample of one stream (``noise``, ``camera``, ``occupancy``, ...)."""

    device: str
    stream: str
    ts: datetime
    values: Mapping[str, float]
    zone: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceBlob:
    """One evidence item of an episode: a JPEG snapshot, a level trace (JSON), an audio clip."""

    evidence_id: str
    kind: str  # "snapshot", "level_trace", "spectrum", "heatmap", "audio_clip"
    content_type: str  # "image/jpeg", "application/json", "audio/wav"
    data: bytes


@dataclass(frozen=True)
class EpisodeEvent:
    """A state change of an alert episode. Every event of one episode shares ``alert_id``."""

    alert_id: uuid.UUID
    state: EpisodeState
    seq: int  # 0 for opened, then 1, 2, ... in the order the worker emitted them
    type: str  # e.g. "noise_exceedance", "encroachment", "camera_tamper"
    severity: Severity
    device: str
    zone: str | None
    started_at: datetime
    ts: datetime
    ended_at: datetime | None = None
    measured: Mapping[str, float] = field(default_factory=dict)
    threshold: float | None = None
    unit: str = ""
    summary: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple[EvidenceBlob, ...] = ()


class Sink(Protocol):
    """Where a worker sends what it produced. Thread-safe; never blocks for long."""

    def observation(self, obs: Observation) -> None: ...

    def episode(self, event: EpisodeEvent) -> None: ...

    def health(self, device: str, values: Mapping[str, float], flags: tuple[str, ...]) -> None: ...


class DeviceWorker(ABC):
    """Reads one device until ``stop`` is set. One thread per worker, started by the agent."""

    def __init__(self, device_id: str) -> None:
        self.device_id = device_id

    @abstractmethod
    def run(self, sink: Sink, stop: threading.Event) -> None:
        """Read, detect and report until ``stop`` is set; recover from device faults inside."""

    @property
    def capabilities(self) -> tuple[str, ...]:
        """What the worker reports (``noise``, ``camera``, ``occupancy``, ...), for the birth."""
        return ()


@dataclass(frozen=True)
class WorkerOptions:
    """What the agent tells every worker it builds."""

    #: Where the worker may keep state (learned backgrounds, calibration, counters).
    data_dir: Path
    #: For ``source.kind: simulator`` devices: the simulated clock's start and speed.
    sim_start: datetime | None = None
    sim_speed: float = 1.0
