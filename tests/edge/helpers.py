"""Shared pieces of the edge tests: a site, synthetic workers, brokers, an MQTT recorder."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.device import DeviceWorker, EpisodeEvent, EvidenceBlob, Observation, Sink
from edge.health import AgentHealth
from edge.workers import BuiltWorkers
from whistle.config.site import SiteConfig
from whistle.contract import AlertState, Severity

T0 = datetime(2026, 5, 1, 4, 30, tzinfo=UTC)


def site_document(
    site_id: str, agent: str = "edge-t", devices: tuple[str, ...] = ("c1", "c2")
) -> dict[str, Any]:
    return {
        "id": site_id,
        "name": "test park",
        "kind": "park",
        "agents": [{"id": agent, "devices": list(devices)}],
        "devices": [
            {"id": d, "name": d, "kind": "counter", "source": {"kind": "simulator"}}
            for d in devices
        ],
    }


def make_site(site_id: str | None = None, agent: str = "edge-t") -> SiteConfig:
    return SiteConfig.model_validate(site_document(site_id or f"t{uuid.uuid4().hex[:10]}", agent))


def episode(
    device: str,
    n: int,
    state: AlertState = AlertState.OPENED,
    *,
    alert_id: uuid.UUID | None = None,
    seq: int = 0,
    evidence: tuple[EvidenceBlob, ...] = (),
) -> EpisodeEvent:
    ts = T0 + timedelta(seconds=n)
    return EpisodeEvent(
        alert_id=alert_id or uuid.uuid4(),
        state=state,
        seq=seq,
        type="capacity",
        severity=Severity.WARNING,
        device=device,
        zone=None,
        started_at=T0,
        ts=ts,
        ended_at=ts if state is AlertState.CLOSED else None,
        measured={"occupancy": float(n)},
        details={"n": n},
        evidence=evidence,
    )


class ScriptedWorker(DeviceWorker):
    """Does what the test tells it: each queued item is an event, observation or exception."""

    def __init__(self, device_id: str) -> None:
        super().__init__(device_id)
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.runs = 0

    @property
    def capabilities(self) -> tuple[str, ...]:
        return ("occupancy",)

    def run(self, sink: Sink, stop: threading.Event) -> None:
        self.runs += 1
        while not stop.is_set():
            try:
                item = self.inbox.get(timeout=0.05)
            except queue.Empty:
                continue
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, EpisodeEvent):
                sink.episode(item)
            elif isinstance(item, Observation):
                sink.observation(item)


def factory(workers: list[DeviceWorker]) -> Callable[..., BuiltWorkers]:
    def build(site: SiteConfig, agent: str, options: Any, health: AgentHealth) -> BuiltWorkers:
        return BuiltWorkers(workers=list(workers))

    return build


# -- brokers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class PrivateMosquitto:
    """A mosquitto on a free port with persistence, to stop and restart at will."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.dir = directory
        self.conf = directory / "mosquitto.conf"
        # as root, mosquitto switches to a user that cannot write pytest's tmp_path: the
        # sessions were never saved, and a subscriber's session was lost on restart (``user
        # root`` as tests/conftest.py's mosquitto fixture does)
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {directory}/\nmax_queued_messages 100000\n"
            "max_inflight_messages 100\n" + ("user root\n" if os.geteuid() == 0 else "")
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "mosquitto.log", "ab"),  # noqa: SIM115
        )
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


# -- recorder ------------------------------------------------------------------------------


@dataclass
class Received:
    topic: str
    payload: dict[str, Any]
    retain: bool


@dataclass
class Recorder:
    """A paho subscriber that records everything under a site (persistent session, QoS 1)."""

    port: int
    site: str
    clean_session: bool = False
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"rec-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv311,
            clean_session=self.clean_session,
        )
        self.client.reconnect_delay_set(1, 1)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(
            f"whistle/v1/{self.site}/#", qos=1
        )
        self.client.on_message = self._on_message
        self._subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: self._subscribed.set()

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            payload = json.loads(msg.payload) if msg.payload else {}
        except ValueError:
            payload = {"raw": msg.payload.decode(errors="replace")}
        with self.lock:
            self.messages.append(Received(msg.topic, payload, bool(msg.retain)))

    def start(self) -> Recorder:
        self.client.connect_async("127.0.0.1", self.port, keepalive=5)
        self.client.loop_start()
        assert self._subscribed.wait(10), "recorder did not subscribe"
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.messages)

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 15.0
    ) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            snap = self.snapshot()
            if predicate(snap):
                return snap
            time.sleep(0.05)
        snap = self.snapshot()
        raise AssertionError(
            f"timed out; got {len(snap)} messages: {[m.topic for m in snap][-10:]}"
        )

    def channel(self, name: str, snap: list[Received] | None = None) -> list[Received]:
        snap = self.snapshot() if snap is None else snap
        return [m for m in snap if m.topic.split("/")[4] == name]


def clear_retained(port: int, topics: list[str]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.connect("127.0.0.1", port)
    client.loop_start()
    for t in topics:
        client.publish(t, b"", qos=1, retain=True).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
