"""Core tables: devices, alerts and their messages, evidence, telemetry aggregates, dead
letters, the event log and users. Other helpers add their tables on the same :class:`Base`.

Conventions: ids from the wire are ``String(64)``; alert ids are UUID strings (36); times are
aware UTC (:class:`gateway.db.base.UTCDateTime`); ``zone`` in telemetry keys is ``""`` when the
message has none (NULLs would defeat the unique key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway import alert_text
from gateway.db.base import Base, BigIntKey, utcnow

#: Largest dead-letter payload kept, in bytes (the rest is cut; ``payload_size`` has the total).
DEAD_LETTER_PAYLOAD_CAP = 4096


class Device(Base):
    """Presence of an agent or a device, from births, wills and silence.

    ``state``: online, offline (a will), stopped (a clean stop), stale (silent past its
    ``expected_interval_s``). ``is_agent`` marks an agent's own row; ``served_devices`` is the
    list of devices its last birth named.
    """

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("site", "device_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32), default="")
    agent: Mapped[str] = mapped_column(String(64), default="")
    is_agent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="offline", index=True)
    boot_epoch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_seen: Mapped[datetime | None] = mapped_column(nullable=True)
    software_version: Mapped[str] = mapped_column(String(100), default="")
    config_hash: Mapped[str] = mapped_column(String(100), default="")
    capabilities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    served_devices: Mapped[list[Any]] = mapped_column(JSON, default=list)
    expected_interval_s: Mapped[float] = mapped_column(Float, default=60.0)
    health: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The open ``device_offline`` alert raised when the device went stale, if any.
    offline_alert_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """The current state of one alert episode (all its messages share ``alert_id``)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_site_state", "site", "state"),
        Index("ix_alerts_updated_at", "updated_at"),
    )

    alert_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    site: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    last_seq: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    measured: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    unit: Mapped[str] = mapped_column(String(20), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Evidence refs (contract.EvidenceRef as dicts), the union over the episode's messages.
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    replay: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def summaries(self) -> dict[str, str]:
        """The summary in Chinese and English (``zh``, ``en``; see gateway.alert_text)."""
        return alert_text.summaries(
            alert_text.AlertFacts(
                type=self.type,
                state=self.state,
                measured=self.measured or {},
                threshold=self.threshold,
                details=self.details or {},
                summary=self.summary,
            )
        )


class AlertMessage(Base):
    """Each distinct alert message received; the unique key makes re-deliveries no-ops."""

    __tablename__ = "alert_messages"
    __table_args__ = (UniqueConstraint("alert_id", "seq", "state"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(String(36), ForeignKey("alerts.alert_id"))
    seq: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Evidence(Base):
    """An evidence blob stored on disk under ``data_dir/evidence`` (``path`` is relative)."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("alert_id", "evidence_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    evidence_id: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class TelemetryMinute(Base):
    """One field of one telemetry stream over one minute: count, mean, min, max, last."""

    __tablename__ = "telemetry_minutes"
    __table_args__ = (
        UniqueConstraint("site", "device", "stream", "zone", "minute", "field"),
        Index("ix_telemetry_minutes_minute", "minute"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    stream: Mapped[str] = mapped_column(String(64))
    zone: Mapped[str] = mapped_column(String(64), default="")
    #: Start of the minute (UTC, seconds and below zero).
    minute: Mapped[datetime]
    field: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Float)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)
    last: Mapped[float] = mapped_column(Float)


class DeadLetter(Base):
    """A rejected message kept for inspection (payload capped at DEAD_LETTER_PAYLOAD_CAP)."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(512))
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    payload_size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Event(Base):
    """The event log the SSE stream reads: kind "alert" | "device" | "incident"."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class User(Base):
    """A person who signs in: role admin | manager | officer | viewer."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    site: Mapped[str | None] = mapped_column(String(64), nullable=True)
    department: Mapped[str | None] = mapped_column(String(64), nullable=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
