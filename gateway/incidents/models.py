"""Incident tables on the shared :class:`gateway.db.base.Base` (migration 0002_incidents).

- ``incidents``: one case (案件) from alerts of one type, site and zone, or from a complaint;
- ``incident_transitions``: every state change, who, when, note, optional photo;
- ``incident_alerts``: which alert episodes belong to an incident;
- ``incident_photos``: uploaded photos (files under ``data_dir/incident_photos``);
- ``complaints``: 12345 hotline / Open311 requests, matched to alerts or flagged as grid misses;
- ``department_assessments``: the streets' scores of departments (reverse assessment);
- ``notifications``: the outbox of robot/webhook messages (see :mod:`gateway.notify.outbox`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db.base import Base, BigIntKey, utcnow


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_group", "site", "type", "zone", "state"),
        Index("ix_incidents_department_state", "department", "state"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(64))
    site: Mapped[str] = mapped_column(String(64))
    #: "" when the alerts carry no zone (so grouping compares equal values).
    zone: Mapped[str] = mapped_column(String(64), default="")
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    #: "sensor" (from alerts) or "complaint" (a hotline request no alert saw).
    source: Mapped[str] = mapped_column(String(16), default="sensor")
    department: Mapped[str] = mapped_column(String(64))
    grid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    routing_rule: Mapped[str] = mapped_column(String(100), default="")
    summary: Mapped[str] = mapped_column(String(500), default="")
    #: SLA targets in seconds, frozen at routing time: {"accepted": s, "on_site": s, ...}.
    sla_s: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: When the SLA clock started (opened or last reopened).
    clock_start: Mapped[datetime]
    #: Work stages reached since clock_start: ["accepted", "on_site", ...].
    reached: Mapped[list[Any]] = mapped_column(JSON, default=list)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    reject_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    first_alert_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_alert_at: Mapped[datetime | None] = mapped_column(nullable=True)
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    complaint_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    #: The moment of resolution on the sensors' clock (see gateway/incidents/sensor_clock.py).
    resolved_sensor_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class IncidentTransition(Base):
    __tablename__ = "incident_transitions"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    photo_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IncidentAlert(Base):
    __tablename__ = "incident_alerts"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    alert_id: Mapped[str] = mapped_column(String(36), unique=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class IncidentPhoto(Base):
    __tablename__ = "incident_photos"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    #: Relative to data_dir.
    path: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_site_requested", "site", "requested_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    #: Hotline ticket number (CSV import) or an Open311 client token; unique when given.
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # open311 | csv
    service_code: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    site: Mapped[str | None] = mapped_column(String(64), nullable=True)
    zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    status_notes: Mapped[str] = mapped_column(Text, default="")
    media_url: Mapped[str] = mapped_column(String(500), default="")
    matched_alert_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    #: 网格应发现未发现: no alert saw what the citizen reported.
    grid_miss: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    #: The detector that should have seen it (a device id) or the alert type when unknown.
    miss_detector: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DepartmentAssessment(Base):
    """A street centre's score (0..100) of a department for a period (reverse assessment)."""

    __tablename__ = "department_assessments"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(16))  # e.g. 2026-11
    score: Mapped[float] = mapped_column(Float)
    assessor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """One message to one channel; kept until sent or given up (never lost with the process)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    severity: Mapped[str] = mapped_column(String(16), default="info")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: pending | sent | failed (gave up after max attempts)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
