"""Response models of the API (what the OpenAPI document promises)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EvidenceLink(Out):
    evidence_id: str
    kind: str
    content_type: str
    size_bytes: int
    sha256: str
    #: Whether the gateway holds the blob (it may arrive after the alert, or be expired).
    available: bool
    #: Where to fetch the blob (only the roles allowed to see the alert may).
    url: str


class AlertOut(Out):
    alert_id: str
    type: str
    severity: str
    site: str
    device: str
    zone: str | None
    state: str
    last_seq: int
    started_at: datetime
    ended_at: datetime | None
    updated_at: datetime
    measured: dict[str, Any]
    threshold: float | None
    unit: str
    #: The edge's own words (English).
    summary: str
    #: The summary in the reader's language: ``zh`` and ``en``.
    summaries: dict[str, str]


class AlertDetail(AlertOut):
    details: dict[str, Any]
    replay: bool
    evidence: list[EvidenceLink]


class AlertPage(BaseModel):
    items: list[AlertOut]
    #: Pass as ``cursor`` to get the next page; null on the last page.
    next_cursor: str | None


class DeviceOut(Out):
    site: str
    device_id: str
    kind: str
    agent: str
    is_agent: bool
    state: str
    last_seen: datetime | None
    software_version: str
    config_hash: str
    capabilities: list[Any]
    expected_interval_s: float
    health: dict[str, Any]
    updated_at: datetime


class SiteDevice(BaseModel):
    id: str
    kind: str
    agent: str | None
    #: Presence reported by the gateway: online, offline, stopped, stale, or unknown (never
    #: heard of).
    state: str
    last_seen: datetime | None


class SiteOut(BaseModel):
    id: str
    name: str
    name_en: str
    kind: str
    timezone: str
    grid: str | None
    capacity: int | None
    location: dict[str, float] | None
    devices: list[SiteDevice]
    devices_online: int
    open_alerts: int


class TelemetryPoint(BaseModel):
    #: Start of the bucket (UTC).
    t: datetime
    count: int
    mean: float
    min: float
    max: float
    last: float


class TelemetrySeries(BaseModel):
    field: str
    zone: str | None
    points: list[TelemetryPoint]


class TelemetryOut(BaseModel):
    site: str
    device: str
    stream: str
    since: datetime
    until: datetime
    step_minutes: int
    series: list[TelemetrySeries]


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


class MeOut(BaseModel):
    username: str
    role: str
    site: str | None
    department: str | None
    display_name: str


class HealthOut(BaseModel):
    status: str
    database: bool
    mqtt_connected: bool | None
