"""End-to-end ingest through a real Mosquitto into the Store (in-process gateway)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from tests.gateway.core.core_helpers import T0, Publisher, alert, new_site, status, telemetry, wait_until
from sqlalchemy import func, select

from gateway.db.models import Alert, AlertMessage, DeadLetter, Device, Event, TelemetryMinute
from whistle.contract import MAX_PAYLOAD_BYTES, AlertState, DeviceState


def _count(store, model, *where) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_alerts_status_and_telemetry_are_stored(mosquitto_factory, gateway_factory) -> None:
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
    assert wait_until(lambda: _count(store, AlertMessage, AlertMessage.alert_id == str(opened.alert_id)) == 1)
    assert wait_until(
        lambda: sum(
            r for r in [
                _sum_counts(store, site)
            ]
        ) == 120
    )
    with store.session() as s:
        rows = s.scalars(
            select(TelemetryMinute).where(TelemetryMinute.site == site).order_by(TelemetryMinute.minute)
        ).all()
        assert [(r.count, r.min, r.max) for r in rows] == [(60, 50.0, 109.0), (60, 110.0, 169.0)]
        agent = s.scalar(select(Device).where(Device.site == site, Device.device_id == "agent1"))
        assert agent is not None and agent.state == "online" and agent.served_devices == ["cam1"]
        assert s.scalar(select(func.count()).select_from(Event).where(Event.subject == str(opened.alert_id))) == 1
    assert gw.metrics.value("stored", "alert") == 1
    assert wait_until(lambda: gw.metrics.value("stored", "telemetry") == 120)
    pub.close()


def _sum_counts(store, site: str) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return int(
            s.scalar(select(func.coalesce(func.sum(TelemetryMinute.count), 0)).where(TelemetryMinute.site == site))
            or 0
        )
