"""Gateway ingest speed: telemetry drained from Mosquitto into the store by one gateway
process, next to a bare paho subscriber that only counts the same messages (same run, same
broker); then alert latency (publish to stored Event row) under telemetry load.

Method: the consumer connects once (persistent MQTT 5 session), disconnects; a publisher
process queues N QoS 1 telemetry messages on the broker; the consumer reconnects and the
clock runs from its subscription until it has all N (the gateway: all N folded into its
minute aggregates, then checked in the database after a flush: zero loss). Alert latency:
a publisher process sends telemetry at a steady rate plus alerts whose ``ts`` is the publish
time; latency = Event.created_at - ts.

Prints JSON lines. ``--quick`` runs in a few seconds (CI smoke run).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MOSQUITTO_CONF = """listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 1000
set_tcp_nodelay true
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_mosquitto(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    conf = workdir / "mosquitto.conf"
    text = MOSQUITTO_CONF.format(port=port) + ("user root\n" if os.geteuid() == 0 else "")
    conf.write_text(text)
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("mosquitto did not start")


def _client(port: int, client_id: str, persistent: bool = False) -> Any:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    props = None
    if persistent:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        props.ReceiveMaximum = 1000
    client.connect("127.0.0.1", port, clean_start=not persistent, properties=props)
    return client


def publish_backlog(port: int, site: str, n: int, devices: int) -> None:
    """Publisher process: n QoS 1 telemetry messages, as fast as the broker takes them."""
    from whistle.contract import SCHEMA_VERSION, TelemetryPayload, telemetry_topic

    client = _client(port, f"pub-{uuid.uuid4().hex[:6]}")
    client.loop_start()
    t0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC).timestamp()
    infos = []
    for i in range(n):
        device = f"c{i % devices}"
        payload = TelemetryPayload(
            schema_version=SCHEMA_VERSION,
            seq=i // devices,
            ts=datetime.fromtimestamp(t0 + i // devices, UTC),
            values={"people": float(i % 7), "occupancy": 0.5},
        )
        infos.append(
            client.publish(telemetry_topic(site, device, "counts"), payload.to_json(), qos=1)
        )
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


def publish_live(port: int, site: str, rate: float, seconds: float, alerts_per_s: float) -> None:
    """Publisher process: telemetry at ``rate`` msgs/s plus alerts stamped at publish time."""
    from whistle.contract import (
        SCHEMA_VERSION,
        AlertPayload,
        AlertState,
        Severity,
        TelemetryPayload,
        alert_topic,
        telemetry_topic,
    )

    client = _client(port, f"live-{uuid.uuid4().hex[:6]}")
    client.loop_start()
    start = time.monotonic()
    sent = alerts = 0
    alert_every = max(1, int(rate / alerts_per_s))
    while time.monotonic() - start < seconds:
        target = int((time.monotonic() - start) * rate)
        while sent < target:
            now = datetime.now(UTC)
            payload = TelemetryPayload(
                schema_version=SCHEMA_VERSION, seq=sent, ts=now, values={"laeq": 60.0}
            )
            client.publish(telemetry_topic(site, f"m{sent % 8}", "noise"), payload.to_json(), qos=0)
            if sent % alert_every == 0:
                now = datetime.now(UTC)
                alert = AlertPayload(
                    schema_version=SCHEMA_VERSION,
                    alert_id=uuid.uuid4(),
                    state=AlertState.OPENED,
                    seq=0,
                    type="noise_exceedance",
                    severity=Severity.WARNING,
                    site=site,
                    device="cam1",
                    started_at=now,
                    ts=now,
                    summary="bench",
                )
                client.publish(alert_topic(site, "cam1"), alert.to_json(), qos=1)
                alerts += 1
            sent += 1
        time.sleep(0.002)
    time.sleep(0.5)
    client.disconnect()
    client.loop_stop()


def bare_rate(port: int, site: str, n: int, devices: int) -> float:
    client = _client(port, "bare-counter", persistent=True)
    count = 0
    done = threading.Event()

    def on_message(*_: Any) -> None:
        nonlocal count
        count += 1
        if count >= n:
            done.set()

    subscribed = threading.Event()
    client.on_message = on_message
    client.on_subscribe = lambda *_: subscribed.set()
    client.subscribe("whistle/v1/#", qos=1)
    client.loop_start()
    subscribed.wait(10)
    client.disconnect()
    client.loop_stop()
    run(publish_backlog, port, site, n, devices)
    client = _client(port, "bare-counter", persistent=True)
    client.on_message = on_message
    t0 = time.perf_counter()
    client.loop_start()
    if not done.wait(600):
        raise RuntimeError(f"bare subscriber got {count}/{n}")
    elapsed = time.perf_counter() - t0
    client.disconnect()
    client.loop_stop()
    return n / elapsed


def run(target: Any, *args: Any) -> None:
    proc = mp.get_context("spawn").Process(target=target, args=args)
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"{target.__name__} failed with {proc.exitcode}")


def gateway_settings(port: int, data_dir: Path) -> Any:
    from gateway.settings import Settings

    return Settings(
        broker_url=f"mqtt://127.0.0.1:{port}",
        data_dir=data_dir,
        client_id="gw-bench",
        serve_http=False,
        demo=True,
        demo_password="x",
        flush_interval_s=1.0,
        sites_dir=data_dir / "none",
        presence_check_interval_s=3600,
        mqtt_protocol="5",
    )


def gateway_rate(port: int, site: str, n: int, devices: int, data_dir: Path) -> tuple[float, int]:
    from sqlalchemy import func, select

    from gateway.db.models import TelemetryMinute
    from gateway.metrics import GatewayMetrics
    from gateway.service import GatewayService

    settings = gateway_settings(port, data_dir)
    service = GatewayService(settings, metrics=GatewayMetrics())
    service.start()
    assert service.ingest is not None and service.ingest.wait_ready(20)
    service.stop()
    run(publish_backlog, port, site, n, devices)
    metrics = GatewayMetrics()
    service = GatewayService(settings, metrics=metrics)
    service.start()
    assert service.ingest is not None
    t0 = time.perf_counter()
    while metrics.value("stored", "telemetry") + metrics.value("duplicate", "telemetry") < n:
        if time.perf_counter() - t0 > 600:
            raise RuntimeError(f"gateway stored {metrics.value('stored', 'telemetry')}/{n}")
        time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    service.stop()
    with service.store.session() as s:
        stored = s.scalar(
            select(func.coalesce(func.sum(TelemetryMinute.count), 0)).where(
                TelemetryMinute.site == site, TelemetryMinute.field == "people"
            )
        )
    service.store.dispose()
    return n / elapsed, n - int(stored or 0)


def alert_latency(port: int, site: str, rate: float, seconds: float, data_dir: Path) -> dict:
    from sqlalchemy import select

    from gateway.db.models import Event
    from gateway.metrics import GatewayMetrics
    from gateway.service import GatewayService

    settings = gateway_settings(port, data_dir)
    service = GatewayService(settings, metrics=GatewayMetrics())
    service.start()
    assert service.ingest is not None and service.ingest.wait_ready(20)
    run(publish_live, port, site, rate, seconds, 20.0)
    time.sleep(1.0)
    stored_tele = service.metrics.value("stored", "telemetry")
    reg = service.metrics.registry
    n_obs = reg.get_sample_value("whistle_alert_store_seconds_count") or 0
    within = {
        b: reg.get_sample_value("whistle_alert_store_seconds_bucket", {"le": b}) or 0
        for b in ("0.05", "0.1", "0.2")
    }
    in_gateway = {
        f"receipt_to_commit_within_{b}s": round(v / n_obs, 3) if n_obs else None
        for b, v in within.items()
    }
    dropped = service.metrics.value("dropped", "queue_full")
    service.stop()
    with service.store.session() as s:
        events = s.scalars(select(Event).where(Event.kind == "alert")).all()
        lat = sorted(
            (e.created_at - datetime.fromisoformat(e.data["ts"])).total_seconds() * 1000
            for e in events
            if e.data.get("site") == site
        )
    service.store.dispose()

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p / 100 * len(lat)))], 1) if lat else float("nan")

    return {
        "alerts": len(lat),
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": round(lat[-1], 1) if lat else None,
        "telemetry_stored": int(stored_tele),
        "telemetry_dropped": int(dropped),
        **in_gateway,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short run for CI")
    ap.add_argument("--messages", type=int, default=60_000, help="telemetry backlog size")
    ap.add_argument("--seconds", type=float, default=20.0, help="alert latency run length")
    args = ap.parse_args()
    if shutil.which("mosquitto") is None:
        sys.exit("mosquitto is not installed")
    n = 3000 if args.quick else args.messages
    seconds = 3.0 if args.quick else args.seconds
    devices = 50
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        broker, port = start_mosquitto(workdir)
        try:
            bare = bare_rate(port, "bare", n, devices)
            gw, lost = gateway_rate(port, "gwrate", n, devices, workdir / "gw")
            print(
                json.dumps(
                    {
                        "name": "ingest_telemetry_rate",
                        "messages": n,
                        "unit": "msgs/s",
                        "gateway": round(gw),
                        "bare_paho_subscriber": round(bare),
                        "ratio": round(gw / bare, 2),
                        "goal_ratio": 0.6,
                        "lost": lost,
                        "store": "sqlite",
                    }
                ),
                flush=True,
            )
            load = round(0.5 * bare, -1)  # half of what a bare subscriber drains
            result = alert_latency(port, "lat", load, seconds, workdir / "gw")
            print(
                json.dumps(
                    {
                        "name": "alert_latency_under_load",
                        "telemetry_load_msgs_per_s": load,
                        "seconds": seconds,
                        **result,
                        "goal_p99_ms": 200,
                        "reference": "p99 goal",
                        "ratio": round(result["p99_ms"] / 200, 2),
                    }
                ),
                flush=True,
            )
        finally:
            broker.terminate()
            broker.wait(10)


if __name__ == "__main__":
    main()
