"""The API over a running gateway: messages published over MQTT (own Mosquitto) come out of
the alerts, evidence, devices, telemetry and SSE endpoints, and health reports the broker."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gateway.api.app import create_app
from gateway.metrics import GatewayMetrics
from gateway.service import GatewayService
from gateway.settings import Settings
from tests.conftest import MosquittoFactory
from tests.uvicorn_thread import ServerThread
from whistle.contract import (
    SCHEMA_VERSION,
    AlertPayload,
    AlertState,
    DeviceState,
    EvidencePayload,
    Severity,
    StatusPayload,
    TelemetryPayload,
    alert_topic,
    evidence_topic,
    status_topic,
    telemetry_topic,
)

SITE = "e2e-site"
DEVICE = "noise-09"
JPEG = b"\xff\xd8\xff\xe0 end to end \xff\xd9"


def _wait(predicate: Any, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def running(
    mosquitto_factory: MosquittoFactory, tmp_path: Path
) -> Iterator[tuple[GatewayService, ServerThread, str]]:
    broker = mosquitto_factory()
    settings = Settings(
        broker_url=broker.url,
        data_dir=tmp_path / "gw",
        client_id=f"gw-{uuid.uuid4().hex[:8]}",
        flush_interval_s=0.2,
        presence_check_interval_s=3600,
        demo=True,
        demo_password="demo-pass",
        sites_dir=tmp_path / "no-sites",
    )
    service = GatewayService(settings, metrics=GatewayMetrics())
    service.start()
    try:
        assert service.ingest is not None and service.ingest.wait_ready(15)
        app = create_app(service)
        with ServerThread(app, lifespan=True) as server:
            r = httpx.post(
                f"{server.url}/api/auth/token",
                data={"username": "admin", "password": "demo-pass"},
            )
            assert r.status_code == 200, r.text
            yield service, server, r.json()["access_token"]
    finally:
        service.stop()
        service.store.dispose()


def _publisher(url: str) -> mqtt.Client:
    host, port = url.split("://", 1)[1].split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:6]}")
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.connect(host, int(port))
    client.loop_start()
    assert connected.wait(10)
    return client


def test_published_messages_come_out_of_the_api(
    running: tuple[GatewayService, ServerThread, str],
) -> None:
    service, server, token = running
    headers = {"Authorization": f"Bearer {token}"}
    api = httpx.Client(base_url=server.url, headers=headers, timeout=10)
    health = api.get("/healthz").json()
    assert health == {"status": "ok", "database": True, "mqtt_connected": True}
    last_id = 0
    with service.store.session() as s:
        from gateway.api.events import latest_event_id

        last_id = latest_event_id(s)

    now = datetime.now(UTC).replace(microsecond=0)
    alert_id = uuid.uuid4()
    evidence = EvidencePayload.build(
        alert_id=alert_id,
        evidence_id="snap-1",
        kind="snapshot",
        content_type="image/jpeg",
        ts=now,
        data=JPEG,
    )
    birth = StatusPayload(
        schema_version=SCHEMA_VERSION,
        state=DeviceState.ONLINE,
        boot_epoch=1,
        ts=now,
        agent="edge-e2e",
        software_version="1.0",
        config_hash="abc",
    )
    opened = AlertPayload(
        schema_version=SCHEMA_VERSION,
        alert_id=alert_id,
        state=AlertState.OPENED,
        seq=0,
        type="noise_exceedance",
        severity=Severity.WARNING,
        site=SITE,
        device=DEVICE,
        started_at=now - timedelta(seconds=30),
        ts=now,
        measured={"laeq_db": 58.2},
        threshold=50.0,
        unit="dB(A)",
        summary="LAeq 58.2 > 50",
        evidence=(evidence.ref(),),
    )
    pub = _publisher(service.settings.broker_url)
    infos = [
        pub.publish(status_topic(SITE, DEVICE), birth.to_json(), qos=1, retain=True),
        pub.publish(alert_topic(SITE, DEVICE), opened.to_json(), qos=1),
        pub.publish(evidence_topic(SITE, DEVICE, alert_id), evidence.to_json(), qos=1),
    ]
    # three samples inside one 10-minute bucket (aligned to the epoch), whatever the clock
    sample_base = now.replace(minute=now.minute - now.minute % 10, second=30) - timedelta(
        minutes=10
    )
    for seq in range(3):
        sample = TelemetryPayload(
            schema_version=SCHEMA_VERSION,
            seq=seq,
            ts=sample_base + timedelta(seconds=seq),
            values={"laeq_db": 50.0 + seq},
        )
        infos.append(pub.publish(telemetry_topic(SITE, DEVICE, "noise"), sample.to_json(), qos=1))
    for info in infos:
        info.wait_for_publish(10)
    pub.disconnect()
    pub.loop_stop()

    page = _wait(lambda: api.get(f"/api/alerts?site={SITE}").json()["items"])
    assert [a["alert_id"] for a in page] == [str(alert_id)]
    detail = _wait(
        lambda: (d := api.get(f"/api/alerts/{alert_id}").json())["evidence"][0]["available"] and d
    )
    blob = api.get(detail["evidence"][0]["url"])
    assert blob.content == JPEG
    assert hashlib.sha256(blob.content).hexdigest() == detail["evidence"][0]["sha256"]
    devices = _wait(lambda: api.get(f"/api/devices?site={SITE}").json())
    assert devices[0]["state"] == "online"
    window: dict[str, str | int] = {
        "since": (sample_base - timedelta(minutes=5)).isoformat(),
        "until": (now + timedelta(minutes=5)).isoformat(),
        "step": 10,
    }

    def counted() -> int:
        series = api.get(f"/api/telemetry/{DEVICE}/noise", params=window).json()["series"]
        return sum(p["count"] for p in series[0]["points"]) if series else 0

    # the samples are stored one by one: wait for all three (a loaded machine once answered
    # between the first and the second)
    _wait(lambda: counted() >= 3)
    series = api.get(f"/api/telemetry/{DEVICE}/noise", params=window).json()["series"]
    [point] = series[0]["points"]
    assert point["count"] == 3
    assert point["min"] == 50.0 and point["max"] == 52.0

    # the SSE stream replays what happened since last_id: the device birth and the alert
    kinds: list[str] = []
    with httpx.stream(
        "GET",
        f"{server.url}/api/stream",
        headers={**headers, "Last-Event-ID": str(last_id)},
        timeout=10,
    ) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                kinds.append(event["kind"])
                if event["kind"] == "alert":
                    assert event["subject"] == str(alert_id)
                    break
    assert "alert" in kinds
