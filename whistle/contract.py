"""The wire contract: every MQTT topic and payload that passes between edge agents and gateway.

Defined once, imported by both sides, described for humans in ``docs/asyncapi.yaml`` (a test
keeps the two in step).

Topic tree ``whistle/v1/{site}/{device}/{channel}[/{sub}]``; identifiers match ``[a-z0-9_-]+``.

=========================  =====  ========  ===============================================
channel                    QoS    retained  payload
=========================  =====  ========  ===============================================
``status``                 1      yes       :class:`StatusPayload` (birth, will, clean stop)
``telemetry/{stream}``     0/1    no        :class:`TelemetryPayload`
``alert``                  1      no        :class:`AlertPayload` (one message per episode
                                            state change; all share ``alert_id``)
``evidence/{alert_id}``    1      no        :class:`EvidencePayload` (size-capped blob)
``command``                1      no        :class:`CommandPayload` (gateway to agent)
=========================  =====  ========  ===============================================

Every payload is JSON with ``schema_version``. Fields added by newer firmware are ignored;
missing or ill-typed fields are rejected (:class:`ContractError`).

The edge agent is the MQTT client. It publishes a ``status`` for itself (its birth lists the
devices it serves, its last will marks it offline) and one for each device it serves. Boot
epochs order births and wills: a will or stop from an older boot epoch than the newest birth
seen is stale and must not mark a device offline (:func:`supersedes`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

SCHEMA_VERSION: Literal[1] = 1
TOPIC_ROOT = "whistle/v1"
#: What the gateway subscribes to.
SUBSCRIPTION = f"{TOPIC_ROOT}/#"
ID_RE = re.compile(r"^[a-z0-9_-]{1,64}$")

#: Largest accepted payload of any kind, in bytes (evidence is the large one).
MAX_PAYLOAD_BYTES = 512 * 1024
#: Largest evidence blob before base64 (a JPEG snapshot is capped at 100 KB by the detectors).
MAX_EVIDENCE_BYTES = 256 * 1024
#: Largest JSON ``details`` object of an alert, serialised.
MAX_DETAILS_BYTES = 16 * 1024
#: How far a device's ``ts`` may run ahead of the receiver's clock (:func:`check_clock`).
MAX_CLOCK_AHEAD = timedelta(hours=24)

WireId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class Channel(StrEnum):
    STATUS = "status"
    TELEMETRY = "telemetry"
    ALERT = "alert"
    EVIDENCE = "evidence"
    COMMAND = "command"


class DeviceState(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"  # the last will
    STOPPED = "stopped"  # a clean stop


class AlertState(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    CLOSED = "closed"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    MAJOR = "major"
    CRITICAL = "critical"


#: QoS of each telemetry stream; streams not listed use :data:`DEFAULT_TELEMETRY_QOS`.
TELEMETRY_QOS: dict[str, int] = {
    "noise": 0,
    "noise_1min": 1,  # the minute statistics (LAeq,1min, L10...) are the record: never thinned away
    "camera": 0,
    "health": 0,
    "counts": 1,
    "occupancy": 1,
    "carpark": 1,
}
DEFAULT_TELEMETRY_QOS = 0


class ContractError(ValueError):
    """A topic or payload does not follow the contract. ``reason`` is a short metric label."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


# ---------------------------------------------------------------------------------------------
# Topics


@dataclass(frozen=True)
class TopicAddress:
    """A parsed topic: who published it and on which channel."""

    site: str
    device: str
    channel: Channel
    sub: str | None = None  # the telemetry stream, or the evidence's alert id


def _check_id(kind: str, value: str) -> str:
    if not ID_RE.match(value):
        raise ContractError("bad_topic", f"{kind} {value!r} is not an id ([a-z0-9_-]{{1,64}})")
    return value


def status_topic(site: str, device: str) -> str:
    return f"{TOPIC_ROOT}/{_check_id('site', site)}/{_check_id('device', device)}/status"


def telemetry_topic(site: str, device: str, stream: str) -> str:
    return (
        f"{TOPIC_ROOT}/{_check_id('site', site)}/{_check_id('device', device)}"
        f"/telemetry/{_check_id('stream', stream)}"
    )


def alert_topic(site: str, device: str) -> str:
    return f"{TOPIC_ROOT}/{_check_id('site', site)}/{_check_id('device', device)}/alert"


def evidence_topic(site: str, device: str, alert_id: uuid.UUID) -> str:
    return (
        f"{TOPIC_ROOT}/{_check_id('site', site)}/{_check_id('device', device)}/evidence/{alert_id}"
    )


def command_topic(site: str, device: str) -> str:
    return f"{TOPIC_ROOT}/{_check_id('site', site)}/{_check_id('device', device)}/command"


def parse_topic(topic: str) -> TopicAddress:
    """Split a topic into its address; raise :class:`ContractError` (reason ``bad_topic``)."""
    parts = topic.split("/")
    if len(parts) < 5 or "/".join(parts[:2]) != TOPIC_ROOT:
        raise ContractError("bad_topic", f"topic {topic!r} is not under {TOPIC_ROOT}/")
    site, device, channel_name, *rest = parts[2:]
    _check_id("site", site)
    _check_id("device", device)
    try:
        channel = Channel(channel_name)
    except ValueError:
        raise ContractError("bad_topic", f"unknown channel {channel_name!r} in {topic!r}") from None
    needs_sub = channel in (Channel.TELEMETRY, Channel.EVIDENCE)
    if needs_sub != (len(rest) == 1) or len(rest) > 1:
        raise ContractError("bad_topic", f"topic {topic!r} has the wrong number of levels")
    sub = rest[0] if rest else None
    if channel is Channel.TELEMETRY:
        _check_id("stream", sub or "")
    if channel is Channel.EVIDENCE:
        try:
            uuid.UUID(sub or "")
        except ValueError:
            raise ContractError(
                "bad_topic", f"evidence topic {topic!r} needs an alert id"
            ) from None
    return TopicAddress(site, device, channel, sub)


def telemetry_qos(stream: str) -> int:
    return TELEMETRY_QOS.get(stream, DEFAULT_TELEMETRY_QOS)


# ---------------------------------------------------------------------------------------------
# Payloads


class WirePayload(BaseModel):
    """Base of every payload: extra fields ignored, values immutable, version checked."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: Literal[1]

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode("utf-8")


class StatusPayload(WirePayload):
    """Retained presence of an agent or a device: birth (online), will (offline), stop."""

    state: DeviceState
    #: Milliseconds since the Unix epoch at agent start; orders births and wills.
    boot_epoch: Annotated[int, Field(ge=0)]
    ts: AwareDatetime
    #: The agent that publishes this status (equal to the topic's device for the agent itself).
    agent: WireId
    software_version: str = ""
    config_hash: str = ""
    capabilities: tuple[WireId, ...] = ()
    #: For an agent's own status: the devices it serves.
    devices: tuple[WireId, ...] = ()
    #: Longest expected silence in seconds before the gateway marks the device stale.
    expected_interval_s: Annotated[float, Field(gt=0, le=86400, allow_inf_nan=False)] = 60.0

    @model_validator(mode="after")
    def _birth_is_complete(self) -> StatusPayload:
        if self.state is DeviceState.ONLINE and not (self.software_version and self.config_hash):
            raise ValueError("an online birth needs software_version and config_hash")
        return self


class TelemetryPayload(WirePayload):
    """A periodic measurement of one stream. ``seq`` counts per device, across streams."""

    seq: Annotated[int, Field(ge=0)]
    ts: AwareDatetime
    zone: WireId | None = None
    values: dict[WireId, FiniteFloat]
    flags: tuple[WireId, ...] = ()
    #: True when the message comes from the outbox backlog rather than live.
    replay: bool = False

    @field_validator("values")
    @classmethod
    def _some_values(cls, v: dict[str, float]) -> dict[str, float]:
        if not v:
            raise ValueError("telemetry needs at least one value")
        if len(v) > 64:
            raise ValueError("telemetry carries at most 64 values")
        return v


class EvidenceRef(BaseModel):
    """What an alert says about one evidence blob published on ``evidence/{alert_id}``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    evidence_id: WireId
    kind: WireId
    content_type: Annotated[str, StringConstraints(max_length=100)]
    size_bytes: Annotated[int, Field(ge=0, le=MAX_EVIDENCE_BYTES)]
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class AlertPayload(WirePayload):
    """One state change of an alert episode; all messages of an episode share ``alert_id``."""

    alert_id: uuid.UUID
    state: AlertState
    #: Order of the episode's messages: 0 for ``opened``, then 1, 2, ...
    seq: Annotated[int, Field(ge=0)]
    type: WireId
    severity: Severity
    site: WireId
    device: WireId
    zone: WireId | None = None
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    ts: AwareDatetime
    measured: dict[WireId, FiniteFloat] = Field(default_factory=dict)
    threshold: FiniteFloat | None = None
    unit: Annotated[str, StringConstraints(max_length=20)] = ""
    summary: Annotated[str, StringConstraints(max_length=500)] = ""
    details: dict[str, Any] = Field(default_factory=dict)
    evidence: tuple[EvidenceRef, ...] = ()
    replay: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> AlertPayload:
        if self.state is AlertState.OPENED and self.seq != 0:
            raise ValueError("an opened message has seq 0")
        if self.state is AlertState.CLOSED and self.ended_at is None:
            raise ValueError("a closed message needs ended_at")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        try:
            size = len(json.dumps(self.details, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"details is not plain finite JSON: {exc}") from exc
        if size > MAX_DETAILS_BYTES:
            raise ValueError(f"details is {size} bytes, more than {MAX_DETAILS_BYTES}")
        return self


class EvidencePayload(WirePayload):
    """One evidence blob of an alert, base64 in JSON, at most :data:`MAX_EVIDENCE_BYTES`."""

    alert_id: uuid.UUID
    evidence_id: WireId
    kind: WireId
    content_type: Annotated[str, StringConstraints(max_length=100)]
    ts: AwareDatetime
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    data_b64: str

    @model_validator(mode="after")
    def _data_matches(self) -> EvidencePayload:
        data = self.data()
        if len(data) > MAX_EVIDENCE_BYTES:
            raise ValueError(f"evidence is {len(data)} bytes, more than {MAX_EVIDENCE_BYTES}")
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise ValueError("evidence data does not match its sha256")
        return self

    def data(self) -> bytes:
        try:
            return base64.b64decode(self.data_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"data_b64 is not base64: {exc}") from exc

    @classmethod
    def build(
        cls,
        *,
        alert_id: uuid.UUID,
        evidence_id: str,
        kind: str,
        content_type: str,
        ts: datetime,
        data: bytes,
    ) -> EvidencePayload:
        return cls(
            schema_version=SCHEMA_VERSION,
            alert_id=alert_id,
            evidence_id=evidence_id,
            kind=kind,
            content_type=content_type,
            ts=ts,
            sha256=hashlib.sha256(data).hexdigest(),
            data_b64=base64.b64encode(data).decode("ascii"),
        )

    def ref(self) -> EvidenceRef:
        return EvidenceRef(
            evidence_id=self.evidence_id,
            kind=self.kind,
            content_type=self.content_type,
            size_bytes=len(self.data()),
            sha256=self.sha256,
        )


class CommandPayload(WirePayload):
    """A request from the gateway to an agent. ``rebirth``: publish the births again."""

    command: Literal["rebirth"]
    ts: AwareDatetime
    request_id: uuid.UUID


Payload = StatusPayload | TelemetryPayload | AlertPayload | EvidencePayload | CommandPayload

PAYLOAD_BY_CHANNEL: dict[Channel, type[WirePayload]] = {
    Channel.STATUS: StatusPayload,
    Channel.TELEMETRY: TelemetryPayload,
    Channel.ALERT: AlertPayload,
    Channel.EVIDENCE: EvidencePayload,
    Channel.COMMAND: CommandPayload,
}


@dataclass(frozen=True)
class Message:
    """A validated message: where it came from and what it says."""

    address: TopicAddress
    payload: WirePayload


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def check_clock(payload: WirePayload, now: datetime) -> None:
    """Refuse a payload stamped more than :data:`MAX_CLOCK_AHEAD` after ``now`` (aware UTC).

    A device clock that far ahead has gone wrong, and its data would sort after everything
    real. Old times are fine: an outbox may deliver days of backlog. The margin is a day, not
    minutes, because simulated devices run a sped-up clock that starts in the past.
    """
    ts = getattr(payload, "ts", None)
    if isinstance(ts, datetime) and ts - now > MAX_CLOCK_AHEAD:
        raise ContractError(
            "bad_timestamp",
            f"ts {ts.isoformat()} is more than {MAX_CLOCK_AHEAD} ahead of the receiver's clock",
        )


def decode(topic: str, raw: bytes, now: datetime | None = None) -> Message:
    """Validate a received message against the contract.

    Raises :class:`ContractError` whose ``reason`` is one of ``bad_topic``, ``too_large``,
    ``bad_json``, ``bad_schema_version``, ``invalid``, ``wrong_device`` (an alert or evidence
    naming another site/device than its topic), or, when the receiver's clock ``now`` is given,
    ``bad_timestamp`` (:func:`check_clock`).
    """
    address = parse_topic(topic)
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise ContractError("too_large", f"{len(raw)} bytes, more than {MAX_PAYLOAD_BYTES}")
    try:
        document = json.loads(raw, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ContractError("bad_json", f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ContractError("bad_json", "payload is not a JSON object")
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ContractError(
            "bad_schema_version",
            f"schema_version {document.get('schema_version')!r} is not {SCHEMA_VERSION}",
        )
    model = PAYLOAD_BY_CHANNEL[address.channel]
    try:
        payload = model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(payload)"
        raise ContractError("invalid", f"{model.__name__}.{where}: {first['msg']}") from exc
    if isinstance(payload, AlertPayload) and (
        payload.site != address.site or payload.device != address.device
    ):
        raise ContractError(
            "wrong_device",
            f"alert names {payload.site}/{payload.device} but came on {topic!r}",
        )
    if isinstance(payload, EvidencePayload) and str(payload.alert_id) != address.sub:
        raise ContractError("wrong_device", f"evidence for {payload.alert_id} came on {topic!r}")
    if now is not None:
        check_clock(payload, now)
    return Message(address, payload)


def supersedes(current_epoch: int | None, incoming: StatusPayload) -> bool:
    """Whether ``incoming`` may replace the presence recorded for a device.

    A birth wins if its boot epoch is not older than the newest seen; a will or a stop wins
    only if it belongs to the newest boot (a stale will from an older boot is ignored).
    """
    if current_epoch is None:
        return True
    if incoming.state is DeviceState.ONLINE:
        return incoming.boot_epoch >= current_epoch
    return incoming.boot_epoch == current_epoch
