"""Storage rules, on SQLite and on PostgreSQL: idempotent and ordered alerts, presence,
minute aggregates, dead letters, evidence, retention."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select

from gateway.db.base import utcnow
from gateway.db.models import (
    Alert,
    AlertMessage,
    DeadLetter,
    Device,
    Event,
    Evidence,
    TelemetryMinute,
)
from gateway.db.session import Store
from gateway.evidence import EvidenceError, EvidenceStore
from gateway.ingest.alerts import store_alert
from gateway.ingest.deadletter import DeadLetterBuffer
from gateway.presence import apply_status, check_stale, mark_seen
from gateway.telemetry.aggregate import MinuteAggregator, flush_minutes, purge_minutes
from tests.gateway.core.core_helpers import T0, alert, new_site, status
from whistle.contract import AlertState, DeviceState, EvidencePayload


def test_migration_creates_the_core_tables(store: Store) -> None:
    names = set(inspect(store.engine).get_table_names())
    assert {
        "alerts",
        "alert_messages",
        "devices",
        "events",
        "telemetry_minutes",
        "dead_letters",
        "evidence",
        "users",
        "alembic_version",
    } <= names


def test_redelivered_alert_changes_nothing(store: Store) -> None:
    site = new_site()
    calls: list[bool] = []
    listener = lambda s, a, p, new: calls.append(new)  # noqa: E731
    payload = alert(site)
    with store.session() as s:
        assert store_alert(s, payload, [listener]) == "stored"
    with store.session() as s:
        assert store_alert(s, payload, [listener]) == "duplicate"
    with store.session() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(AlertMessage)
                .where(AlertMessage.alert_id == str(payload.alert_id))
            )
            == 1
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.subject == str(payload.alert_id))
            )
            == 1
        )
    assert calls == [True]


@pytest.mark.parametrize(
    "order",
    [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [0, 2, 1, 3]],
    ids=["in-order", "reversed", "shuffled", "swap"],
)
def test_episode_applies_by_seq_and_closed_stays_closed(store: Store, order: list[int]) -> None:
    site = new_site()
    alert_id = uuid.uuid4()
    messages = {
        0: alert(site, alert_id=alert_id, state=AlertState.OPENED, seq=0),
        1: alert(site, alert_id=alert_id, state=AlertState.UPDATED, seq=1),
        2: alert(site, alert_id=alert_id, state=AlertState.UPDATED, seq=2, summary="newest update"),
        3: alert(site, alert_id=alert_id, state=AlertState.CLOSED, seq=3, summary="closed"),
    }
    for seq in order:
        with store.session() as s:
            store_alert(s, messages[seq])
    with store.session() as s:
        row = s.get(Alert, str(alert_id))
        assert row is not None
        assert (row.state, row.last_seq, row.summary) == ("closed", 3, "closed")
        assert row.ended_at is not None and row.ended_at.tzinfo is not None
        assert row.measured == {"laeq_db": 73.0}


def test_update_after_close_with_higher_seq_keeps_it_closed(store: Store) -> None:
    site = new_site()
    alert_id = uuid.uuid4()
    with store.session() as s:
        store_alert(s, alert(site, alert_id=alert_id, state=AlertState.CLOSED, seq=2))
    with store.session() as s:
        assert (
            store_alert(s, alert(site, alert_id=alert_id, state=AlertState.UPDATED, seq=5))
            == "stored"
        )
    with store.session() as s:
        row = s.get(Alert, str(alert_id))
        assert row is not None and (row.state, row.last_seq) == ("closed", 2)


def _device(store: Store, site: str, device: str) -> Device:
    with store.session() as s:
        row = s.scalar(select(Device).where(Device.site == site, Device.device_id == device))
        assert row is not None
        return row


def test_presence_follows_boot_epochs_and_agent_wills(store: Store) -> None:
    site = new_site()
    with store.session() as s:
        assert (
            apply_status(s, site, "agent1", status("agent1", boot_epoch=2000, devices=("mic1",)))
            == "stored"
        )
        assert apply_status(s, site, "mic1", status("agent1", boot_epoch=2000)) == "stored"
        # the same retained birth again (or via the plain and the shared subscription): no-op
        assert apply_status(s, site, "mic1", status("agent1", boot_epoch=2000)) == "duplicate"
        # a will from an older boot is stale
        assert (
            apply_status(s, site, "agent1", status("agent1", DeviceState.OFFLINE, boot_epoch=1000))
            == "duplicate"
        )
    assert _device(store, site, "mic1").state == "online"
    with store.session() as s:
        assert (
            apply_status(s, site, "agent1", status("agent1", DeviceState.OFFLINE, boot_epoch=2000))
            == "stored"
        )
    assert _device(store, site, "agent1").state == "offline"
    assert _device(store, site, "mic1").state == "offline"  # the agent's will covers its devices
    with store.session() as s:
        kinds = s.scalars(select(Event.data).where(Event.kind == "device").order_by(Event.id)).all()
    causes = [d["cause"] for d in kinds if d["site"] == site]
    assert causes == ["status:online", "status:online", "status:offline", "agent:offline"]


def test_silent_device_goes_stale_with_an_alert_closed_when_it_is_back(store: Store) -> None:
    site = new_site()
    now = utcnow()
    with store.session() as s:
        apply_status(
            s,
            site,
            "mic1",
            status("agent1", expected_interval_s=30),
            now=now - timedelta(seconds=45),
        )
        apply_status(
            s,
            site,
            "mic2",
            status("agent1", expected_interval_s=30),
            now=now - timedelta(seconds=10),
        )
    with store.session() as s:
        stale = check_stale(s, now=now)
    assert stale == [(site, "mic1")]
    with store.session() as s:
        assert check_stale(s, now=now) == []  # raised once only
    device = _device(store, site, "mic1")
    assert device.state == "stale" and device.offline_alert_id is not None
    with store.session() as s:
        offline = s.get(Alert, device.offline_alert_id)
        assert offline is not None and (offline.type, offline.state, offline.site) == (
            "device_offline",
            "opened",
            site,
        )
    with store.session() as s:
        mark_seen(s, {(site, "mic1"): now + timedelta(seconds=1)})
    assert _device(store, site, "mic1").state == "online"
    with store.session() as s:
        closed = s.get(Alert, device.offline_alert_id)
        assert closed is not None and closed.state == "closed" and closed.ended_at is not None


def test_minute_aggregates_merge_across_flushes_and_purge(store: Store) -> None:
    site = new_site()
    agg = MinuteAggregator()
    for i in range(30):
        agg.add(site, "mic1", "noise", None, T0 + timedelta(seconds=i), {"laeq": float(i)})
    with store.session() as s:
        assert flush_minutes(s, agg.drain()) == 1
    for i in range(30, 90):
        agg.add(site, "mic1", "noise", None, T0 + timedelta(seconds=i), {"laeq": float(i)})
    with store.session() as s:
        flush_minutes(s, agg.drain())
    with store.session() as s:
        rows = s.scalars(
            select(TelemetryMinute)
            .where(TelemetryMinute.site == site)
            .order_by(TelemetryMinute.minute)
        ).all()
        got = [(r.minute, r.count, r.mean, r.min, r.max, r.last) for r in rows]
    assert got == [
        (T0, 60, 29.5, 0.0, 59.0, 59.0),
        (T0 + timedelta(minutes=1), 30, 74.5, 60.0, 89.0, 89.0),
    ]
    with store.session() as s:
        assert purge_minutes(s, T0 + timedelta(minutes=1)) >= 1
    with store.session() as s:
        left = s.scalars(select(TelemetryMinute.minute).where(TelemetryMinute.site == site)).all()
    assert left == [T0 + timedelta(minutes=1)]


def test_dead_letters_keep_capped_payload_and_buffer_is_bounded(store: Store) -> None:
    topic = f"whistle/v1/{new_site()}/x/alert"
    buf = DeadLetterBuffer(limit=3)
    for i in range(5):
        buf.add(topic, "invalid", f"bad {i}", b"x" * 10_000)
    assert buf.dropped == 2
    with store.session() as s:
        assert buf.flush(s) == 3
    with store.session() as s:
        rows = s.scalars(select(DeadLetter).where(DeadLetter.topic == topic)).all()
    assert len(rows) == 3
    assert all(len(r.payload) == 4096 and r.payload_size == 10_000 for r in rows)


def test_evidence_is_checked_stored_once_and_purged(store: Store, tmp_path: Path) -> None:
    blobs = EvidenceStore(tmp_path / "evidence", max_bytes=1000)
    alert_id = uuid.uuid4()
    payload = EvidencePayload.build(
        alert_id=alert_id,
        evidence_id="snap1",
        kind="snapshot",
        content_type="image/jpeg",
        ts=T0,
        data=b"\xff\xd8jpeg",
    )
    with store.session() as s:
        assert blobs.save(s, payload) == "stored"
    with store.session() as s:
        assert blobs.save(s, payload) == "duplicate"
        row = s.scalar(select(Evidence).where(Evidence.alert_id == str(alert_id)))
        assert row is not None
        assert blobs.read(row) == b"\xff\xd8jpeg"
        blobs.path_of(row).write_bytes(b"tampered")
        with pytest.raises(EvidenceError):
            blobs.read(row)
    big = EvidencePayload.build(
        alert_id=alert_id,
        evidence_id="big",
        kind="snapshot",
        content_type="image/jpeg",
        ts=T0,
        data=b"x" * 2000,
    )
    with store.session() as s, pytest.raises(ValueError, match=r"\d+ bytes"):
        blobs.save(s, big)
    with store.session() as s:
        assert blobs.purge(s, utcnow() - timedelta(days=1)) == 0
    with store.session() as s:
        assert blobs.purge(s, utcnow() + timedelta(seconds=1)) >= 1
    with store.session() as s:
        assert (
            s.scalar(
                select(func.count()).select_from(Evidence).where(Evidence.alert_id == str(alert_id))
            )
            == 0
        )
    assert not any(p.is_file() for p in (tmp_path / "evidence").rglob("*"))


def test_times_come_back_aware_utc(store: Store) -> None:
    site = new_site()
    with store.session() as s:
        store_alert(s, alert(site))
    with store.session() as s:
        row = s.scalar(select(Alert).where(Alert.site == site))
        assert row is not None and row.started_at == T0 and row.started_at.tzinfo == UTC


def test_presence_records_the_kind_the_site_files_give(store: Store) -> None:
    site = new_site()
    with store.session() as s:
        apply_status(s, site, "mic1", status("agent1", boot_epoch=1), kind="microphone")
        apply_status(s, site, "mic1", status("agent1", boot_epoch=2))  # kind unknown: kept
    with store.session() as s:
        device = s.scalar(select(Device).where(Device.site == site, Device.device_id == "mic1"))
        assert device is not None and device.kind == "microphone"
