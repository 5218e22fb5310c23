"""Device presence: births and wills (ordered by boot epoch), last seen, stale detection.

* A status message replaces a device's presence only if :func:`whistle.contract.supersedes`
  allows it, so a stale will from an older boot cannot mark a re-connected device offline; a
  repeated status (retained, or seen on both the shared and the plain subscription) is a no-op.
* An agent's will (or stop) marks the devices it serves offline (stopped) too.
* A device silent longer than its ``expected_interval_s`` is marked ``stale`` and gets a
  ``device_offline`` alert, stored like any alert; the alert closes when the device is heard
  from again.

Every state change writes a ``device`` Event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from gateway.db.base import utcnow
from gateway.db.events import record_event
from gateway.db.models import Alert, Device
from gateway.ingest.alerts import DUPLICATE, STORED, store_alert
from whistle.contract import (
    SCHEMA_VERSION,
    AlertPayload,
    AlertState,
    DeviceState,
    Severity,
    StatusPayload,
    supersedes,
)

if TYPE_CHECKING:
    from gateway.service import AlertListener

log = logging.getLogger(__name__)

STALE = "stale"
OFFLINE_ALERT_TYPE = "device_offline"


def _device_event(session: Session, device: Device, previous: str, cause: str) -> None:
    record_event(
        session,
        "device",
        f"{device.site}/{device.device_id}",
        {
            "site": device.site,
            "device": device.device_id,
            "state": device.state,
            "previous": previous,
            "cause": cause,
            "agent": device.agent,
            "boot_epoch": device.boot_epoch,
            "last_seen": device.last_seen.isoformat() if device.last_seen else None,
        },
    )


def _get_device(session: Session, site: str, device_id: str) -> Device | None:
    return session.scalar(
        select(Device).where(Device.site == site, Device.device_id == device_id).with_for_update()
    )


def apply_status(
    session: Session,
    site: str,
    device_id: str,
    payload: StatusPayload,
    listeners: Sequence[AlertListener] = (),
    now: datetime | None = None,
    kind: str = "",
) -> str:
    """Apply a status message; "stored" if presence changed, else "duplicate".

    ``kind`` is what the site files say the device is ("camera", "microphone", "agent"...).
    """
    now = now or utcnow()
    device = _get_device(session, site, device_id)
    if device is not None and kind and device.kind != kind:
        device.kind = kind
    if device is None:
        device = Device(
            site=site,
            device_id=device_id,
            kind=kind,
            state=DeviceState.OFFLINE.value,
            agent=payload.agent,
            is_agent=device_id == payload.agent,
            capabilities=[],
            served_devices=[],
            health={},
            updated_at=now,
        )
        session.add(device)
        session.flush()
    if not supersedes(device.boot_epoch, payload):
        return DUPLICATE
    same = (
        device.state == payload.state.value
        and device.boot_epoch == payload.boot_epoch
        and device.software_version == payload.software_version
        and device.config_hash == payload.config_hash
        and list(device.capabilities or []) == list(payload.capabilities)
        and list(device.served_devices or []) == list(payload.devices)
        and device.expected_interval_s == payload.expected_interval_s
    )
    if same:
        return DUPLICATE
    previous = device.state
    device.state = payload.state.value
    device.boot_epoch = payload.boot_epoch
    device.agent = payload.agent
    device.is_agent = device_id == payload.agent
    device.updated_at = now
    if payload.state is DeviceState.ONLINE:
        device.software_version = payload.software_version
        device.config_hash = payload.config_hash
        device.capabilities = list(payload.capabilities)
        device.served_devices = list(payload.devices)
        device.expected_interval_s = payload.expected_interval_s
        device.last_seen = now
        _close_offline_alert(session, device, now, listeners)
    _device_event(session, device, previous, f"status:{payload.state.value}")
    if device.is_agent and payload.state is not DeviceState.ONLINE:
        _cascade_agent_down(session, device, payload, now)
    return STORED


def _cascade_agent_down(
    session: Session, agent: Device, payload: StatusPayload, now: datetime
) -> None:
    """An agent's will or stop: its devices go offline (stopped) with it."""
    served = set(agent.served_devices or [])
    rows = session.scalars(
        select(Device).where(Device.site == agent.site, Device.is_agent.is_(False))
    ).all()
    for device in rows:
        if device.agent != agent.device_id and device.device_id not in served:
            continue
        if device.state in (DeviceState.OFFLINE.value, DeviceState.STOPPED.value):
            continue
        if not supersedes(device.boot_epoch, payload):
            continue
        previous = device.state
        device.state = payload.state.value
        device.updated_at = now
        _device_event(session, device, previous, f"agent:{payload.state.value}")


def _close_offline_alert(
    session: Session, device: Device, now: datetime, listeners: Sequence[AlertListener]
) -> None:
    if device.offline_alert_id is None:
        return
    alert = session.get(Alert, device.offline_alert_id)
    device.offline_alert_id = None
    if alert is None or alert.state == AlertState.CLOSED.value:
        return
    payload = AlertPayload(
        schema_version=SCHEMA_VERSION,
        alert_id=uuid.UUID(alert.alert_id),
        state=AlertState.CLOSED,
        seq=alert.last_seq + 1,
        type=OFFLINE_ALERT_TYPE,
        severity=Severity(alert.severity),
        site=device.site,
        device=device.device_id,
        started_at=alert.started_at,
        ended_at=max(now, alert.started_at),
        ts=now,
        summary=f"{device.device_id} is reporting again",
        details=dict(alert.details or {}),
    )
    store_alert(session, payload, listeners)


def mark_seen(
    session: Session,
    seen: Mapping[tuple[str, str], datetime],
    listeners: Sequence[AlertListener] = (),
) -> int:
    """Record when devices were last heard from (telemetry, alerts); a stale device is back
    online. Devices never seen before get a row. Returns how many rows changed."""
    if not seen:
        return 0
    keys = list(seen)
    rows = session.scalars(
        select(Device).where(tuple_(Device.site, Device.device_id).in_(keys))
    ).all()
    by_key = {(d.site, d.device_id): d for d in rows}
    changed = 0
    for key, when in seen.items():
        device = by_key.get(key)
        if device is None:
            device = Device(
                site=key[0],
                device_id=key[1],
                state=DeviceState.ONLINE.value,
                last_seen=when,
                capabilities=[],
                served_devices=[],
                health={},
                updated_at=when,
            )
            session.add(device)
            session.flush()
            _device_event(session, device, "unknown", "first_seen")
            changed += 1
            continue
        if device.last_seen is None or device.last_seen < when:
            device.last_seen = when
            changed += 1
        if device.state == STALE:
            device.state = DeviceState.ONLINE.value
            device.updated_at = when
            _close_offline_alert(session, device, when, listeners)
            _device_event(session, device, STALE, "heard_again")
    return changed


def check_stale(
    session: Session,
    now: datetime | None = None,
    listeners: Sequence[AlertListener] = (),
    slack_s: float = 0.0,
) -> list[tuple[str, str]]:
    """Mark online devices silent past ``expected_interval_s`` (+ ``slack_s``) stale and open a
    ``device_offline`` alert for each. Safe with several gateway instances (a conditional
    update decides which instance raises the alert). Agents are left to their wills."""
    now = now or utcnow()
    candidates = session.execute(
        select(Device.id, Device.last_seen, Device.expected_interval_s).where(
            Device.state == DeviceState.ONLINE.value,
            Device.is_agent.is_(False),
            Device.last_seen.is_not(None),
        )
    ).all()
    went_stale: list[tuple[str, str]] = []
    for row_id, last_seen, interval in candidates:
        if last_seen is None or last_seen + timedelta(seconds=interval + slack_s) >= now:
            continue
        result: Any = session.execute(
            update(Device)
            .where(
                Device.id == row_id,
                Device.state == DeviceState.ONLINE.value,
                Device.last_seen == last_seen,
            )
            .values(state=STALE, updated_at=now)
        )
        if result.rowcount != 1:
            continue  # another instance got there first, or the device spoke meanwhile
        device = session.get(Device, row_id, populate_existing=True)
        assert device is not None
        alert_id = uuid.uuid4()
        payload = AlertPayload(
            schema_version=SCHEMA_VERSION,
            alert_id=alert_id,
            state=AlertState.OPENED,
            seq=0,
            type=OFFLINE_ALERT_TYPE,
            severity=Severity.MAJOR,
            site=device.site,
            device=device.device_id,
            started_at=last_seen,
            ts=now,
            summary=f"{device.device_id} silent since {last_seen:%Y-%m-%d %H:%M:%S} UTC "
            f"(expected every {interval:g} s)",
            details={"last_seen": last_seen.isoformat(), "expected_interval_s": interval},
        )
        store_alert(session, payload, listeners)
        device.offline_alert_id = str(alert_id)
        _device_event(session, device, DeviceState.ONLINE.value, "silent")
        went_stale.append((device.site, device.device_id))
    if went_stale:
        log.info("devices stale: %s", ", ".join(f"{s}/{d}" for s, d in went_stale))
    return went_stale
