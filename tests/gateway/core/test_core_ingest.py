"""End-to-end ingest through a real Mosquitto into the Store (in-process gateway)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select

from gateway.db.base import Base
from gateway.db.models import Alert, AlertMessage, DeadLetter, Device, Event, TelemetryMinute
from gateway.db.session import Store
from tests.conftest import MosquittoFactory
from tests.gateway.core.core_helpers import (
    T0,
    Publisher,
    alert,
    new_site,
    status,
    telemetry,
    wait_until,
)
from whistle.contract import MAX_PAYLOAD_BYTES, AlertState

if TYPE_CHECKING:  # a conftest is pytest's to import; only its type alias is needed here
    from tests.gateway.core.conftest import GatewayFactory


def _count(store: Store, model: type[Base], *where: ColumnElement[bool]) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_alerts_status_and_telemetry_are_stored(
    mosquitto_factory: MosquittoFactory, gateway_factory: GatewayFactory
) -> None:
    broker = mosquitto_factory()
    gw = gateway_factory(broker.url)
    site = new_site()
    pub = Publisher(broker.url)
    pub.status(site, "agent1", status("agent1", devices=("cam1",)))
    opened = alert(site)
    pub.alert(opened)
    for i in range(120):
        pub.telemetry(site, "mic1", "noise", telemetry(i, T0 + timedelta(seconds=i), laeq=50.0 + i))
    pub.wait()
    store = gw.store
    assert wait_until(
        lambda: _count(store, AlertMessage, AlertMessage.alert_id == str(opened.alert_id)) == 1
    )
    assert wait_until(lambda: sum(r for r in [_sum_counts(store, site)]) == 120)
    with store.session() as s:
        rows = s.scalars(
            select(TelemetryMinute)
            .where(TelemetryMinute.site == site)
            .order_by(TelemetryMinute.minute)
        ).all()
        assert [(r.count, r.min, r.max) for r in rows] == [(60, 50.0, 109.0), (60, 110.0, 169.0)]
        agent = s.scalar(select(Device).where(Device.site == site, Device.device_id == "agent1"))
        assert agent is not None and agent.state == "online" and agent.served_devices == ["cam1"]
        assert (
            s.scalar(
                select(func.count()).select_from(Event).where(Event.subject == str(opened.alert_id))
            )
            == 1
        )
    assert gw.metrics.value("stored", "alert") == 1
    assert wait_until(lambda: gw.metrics.value("stored", "telemetry") == 120)
    pub.close()


def _sum_counts(store, site: str) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return int(
            s.scalar(
                select(func.coalesce(func.sum(TelemetryMinute.count), 0)).where(
                    TelemetryMinute.site == site
                )
            )
            or 0
        )


BAD_MESSAGES = [
    ("bad_json", "{site}/cam1/alert", b"{not json"),
    ("too_large", "{site}/mic1/telemetry/noise", b"x" * (MAX_PAYLOAD_BYTES + 1)),
    ("bad_schema_version", "{site}/cam1/alert", json.dumps({"schema_version": 9}).encode()),
    ("invalid", "{site}/cam1/alert", json.dumps({"schema_version": 1, "state": "opened"}).encode()),
    (
        "invalid",
        "{site}/mic1/telemetry/noise",
        json.dumps(
            {"schema_version": 1, "seq": 1, "ts": "2026-05-01T08:00:00Z", "values": {}}
        ).encode(),
    ),
    ("bad_topic", "{site}/cam1/gossip", b"{}"),
    ("bad_topic", "{site}/Not An Id/alert", b"{}"),
    ("wrong_device", "{site}/cam2/alert", None),  # an alert naming cam1 on cam2's topic
]


def test_bad_messages_are_rejected_counted_and_kept_while_good_traffic_flows(
    mosquitto_factory: MosquittoFactory, gateway_factory: GatewayFactory
) -> None:
    broker = mosquitto_factory()
    gw = gateway_factory(broker.url)
    site = new_site()
    pub = Publisher(broker.url)
    good = []
    for _reason, topic, raw in BAD_MESSAGES:
        if raw is None:
            raw = alert(site, "cam1").to_json()
        pub.raw("whistle/v1/" + topic.format(site=site), raw)
        payload = alert(site, "cam1")
        good.append(payload)
        pub.alert(payload)
    pub.wait()
    store = gw.store
    assert wait_until(
        lambda: (
            _count(store, AlertMessage, AlertMessage.alert_id.in_([str(p.alert_id) for p in good]))
            == len(good)
        )
    )
    assert wait_until(
        lambda: _count(store, DeadLetter, DeadLetter.topic.like(f"%{site}%")) == len(BAD_MESSAGES)
    )
    expected: dict[str, int] = {}
    for reason, _t, _r in BAD_MESSAGES:
        expected[reason] = expected.get(reason, 0) + 1
    got = {reason: gw.metrics.value("rejected", reason) for reason in expected}
    assert got == expected
    with store.session() as s:
        reasons = sorted(
            s.scalars(select(DeadLetter.reason).where(DeadLetter.topic.like(f"%{site}%"))).all()
        )
        big = s.scalar(
            select(DeadLetter).where(
                DeadLetter.reason == "too_large", DeadLetter.topic.like(f"%{site}%")
            )
        )
    assert reasons == sorted(r for r, _t, _x in BAD_MESSAGES)
    assert (
        big is not None and big.payload_size == MAX_PAYLOAD_BYTES + 1 and len(big.payload) == 4096
    )
    pub.close()


def test_full_telemetry_queue_drops_and_counts_telemetry_but_never_alerts(tmp_path: Path) -> None:
    from gateway.ingest.pipeline import IngestPipeline
    from gateway.metrics import GatewayMetrics
    from gateway.service import GatewayService
    from gateway.settings import Settings
    from gateway.transport import Received

    settings = Settings(
        broker_url="mqtt://127.0.0.1:9",
        data_dir=tmp_path,
        demo=True,
        demo_password="x",
        telemetry_queue_size=10,
    )
    pipeline = IngestPipeline(GatewayService(settings, metrics=GatewayMetrics()))
    for i in range(25):
        pipeline._on_message(Received("whistle/v1/s/mic1/telemetry/noise", b"{}", 0, i, 0, 0.0))
    for i in range(25):
        pipeline._on_message(Received("whistle/v1/s/cam1/alert", b"{}", 1, 100 + i, 0, 0.0))
    assert pipeline.telemetry.qsize() == 10
    assert pipeline.control.qsize() == 25
    assert pipeline.metrics.value("dropped", "queue_full") == 15


def test_replayed_telemetry_is_not_double_counted(
    mosquitto_factory: MosquittoFactory, gateway_factory: GatewayFactory
) -> None:
    broker = mosquitto_factory()
    gw = gateway_factory(broker.url)
    site = new_site()
    pub = Publisher(broker.url)
    batch = [telemetry(i, T0 + timedelta(seconds=i), laeq=60.0) for i in range(30)]
    for payload in batch + batch[:20]:  # 20 re-sent
        pub.telemetry(site, "mic1", "noise", payload)
    pub.wait()
    assert wait_until(lambda: gw.metrics.value("duplicate", "telemetry") == 20)
    assert wait_until(lambda: _sum_counts(gw.store, site) == 30)
    pub.close()


def test_alert_listeners_run_in_the_storing_transaction(
    mosquitto_factory: MosquittoFactory, gateway_factory: GatewayFactory
) -> None:
    broker = mosquitto_factory()
    seen: list[tuple[str, bool]] = []

    def listener(session, alert_row, payload, is_new_state) -> None:  # type: ignore[no-untyped-def]
        assert session.get(Alert, alert_row.alert_id) is alert_row
        seen.append((payload.state.value, is_new_state))

    def broken(session, alert_row, payload, is_new_state) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("listener bug")

    gw = gateway_factory(broker.url)
    gw.add_alert_listener(broken)
    gw.add_alert_listener(listener)
    site = new_site()
    opened = alert(site)
    closed = alert(site, alert_id=opened.alert_id, state=AlertState.CLOSED, seq=1)
    pub = Publisher(broker.url)
    for payload in (opened, opened, closed):
        pub.alert(payload)
    pub.wait()
    assert wait_until(lambda: len(seen) == 2)
    assert seen == [("opened", True), ("closed", True)]
    with gw.store.session() as s:
        row = s.get(Alert, str(opened.alert_id))
        assert row is not None and row.state == "closed"
    pub.close()


def test_falls_back_to_mqtt_311_on_the_embedded_broker(
    gateway_factory: GatewayFactory, tmp_path: Path
) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from tests.conftest import free_port
    from whistle.broker import EmbeddedBroker
    from whistle.contract import status_topic

    broker = EmbeddedBroker(free_port())
    broker.start()
    try:
        site = new_site()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        # amqtt 0.12 sends a connecting client the retained messages matching *anyone's*
        # subscriptions: with a status watcher subscribed and a retained status waiting, the
        # gateway's telemetry connection gets that status. It must be dropped as not ours,
        # not decoded as telemetry (it was: a traceback and a reject per status, every demo).
        client.subscribe("whistle/v1/+/+/status", 1)
        client.publish(
            status_topic(site, "agent1"), status("agent1").to_json(), qos=1, retain=True
        ).wait_for_publish(10)
        gw = gateway_factory(broker.url, shared_group="ignored-on-311")
        assert gw.ingest is not None and gw.ingest.transport.negotiated == "3.1.1"
        assert wait_until(lambda: _count(gw.store, Device, Device.site == site) == 1)
        telemetry_link = gw.ingest.telemetry_transport
        assert wait_until(lambda: telemetry_link.unsubscribed_dropped >= 1, 5.0)
        assert gw.metrics.value("rejected", "invalid") == 0
        payload = alert(site)
        client.publish(f"whistle/v1/{site}/cam1/alert", payload.to_json(), qos=1).wait_for_publish(
            10
        )
        assert wait_until(lambda: _count(gw.store, Alert, Alert.site == site) == 1)
        client.disconnect()
        client.loop_stop()
    finally:
        broker.stop()
