"""Payload builders and a small MQTT publisher for the gateway core tests."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from whistle.contract import (
    SCHEMA_VERSION,
    AlertPayload,
    AlertState,
    DeviceState,
    Severity,
    StatusPayload,
    TelemetryPayload,
    alert_topic,
    status_topic,
    telemetry_topic,
)

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def new_site() -> str:
    return f"s{uuid.uuid4().hex[:8]}"


def alert(
    site: str,
    device: str = "cam1",
    *,
    alert_id: uuid.UUID | None = None,
    state: AlertState = AlertState.OPENED,
    seq: int = 0,
    severity: Severity = Severity.WARNING,
    summary: str = "",
    ts: datetime | None = None,
) -> AlertPayload:
    ended = T0 + timedelta(minutes=5) if state is AlertState.CLOSED else None
    return AlertPayload(
        schema_version=SCHEMA_VERSION,
        alert_id=alert_id or uuid.uuid4(),
        state=state,
        seq=seq,
        type="noise_exceedance",
        severity=severity,
        site=site,
        device=device,
        zone="stalls",
        started_at=T0,
        ended_at=ended,
        ts=ts or T0 + timedelta(seconds=seq),
        measured={"laeq_db": 70.0 + seq},
        threshold=65.0,
        unit="dB(A)",
        summary=summary or f"seq {seq}",
    )


def status(
    agent: str,
    state: DeviceState = DeviceState.ONLINE,
    boot_epoch: int = 1000,
    devices: tuple[str, ...] = (),
    expected_interval_s: float = 60.0,
) -> StatusPayload:
    return StatusPayload(
        schema_version=SCHEMA_VERSION,
        state=state,
        boot_epoch=boot_epoch,
        ts=T0,
        agent=agent,
        software_version="1.0" if state is DeviceState.ONLINE else "",
        config_hash="abc" if state is DeviceState.ONLINE else "",
        devices=devices,
        expected_interval_s=expected_interval_s,
    )


def telemetry(seq: int, ts: datetime, **values: float) -> TelemetryPayload:
    return TelemetryPayload(schema_version=SCHEMA_VERSION, seq=seq, ts=ts, values=values)


class Publisher:
    """A QoS 1 publisher that waits until the broker has every message."""

    def __init__(self, broker_url: str, client_id: str | None = None) -> None:
        host, port = broker_url.split("://", 1)[1].split(":")
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"pub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        connected = threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        self.client.connect(host, int(port))
        self.client.loop_start()
        if not connected.wait(10):
            raise RuntimeError("publisher could not connect")
        self._infos: list[Any] = []

    def raw(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self._infos.append(self.client.publish(topic, payload, qos=qos, retain=retain))

    def alert(self, payload: AlertPayload) -> None:
        self.raw(alert_topic(payload.site, payload.device), payload.to_json())

    def status(self, site: str, device: str, payload: StatusPayload) -> None:
        self.raw(status_topic(site, device), payload.to_json(), retain=True)

    def telemetry(
        self, site: str, device: str, stream: str, payload: TelemetryPayload, qos: int = 1
    ) -> None:
        self.raw(telemetry_topic(site, device, stream), payload.to_json(), qos=qos)

    def wait(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        for info in self._infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
        self._infos.clear()

    def close(self) -> None:
        self.wait()
        self.client.disconnect()
        self.client.loop_stop()


def wait_until(predicate: Any, timeout_s: float = 20.0, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return bool(predicate())


def as_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()
