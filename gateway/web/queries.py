"""Database reads behind the pages: site plans, latest snapshots, device health, parks."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from gateway.auth.deps import Principal
from gateway.auth.scope import AlertScope, alert_clause, can_see_site
from gateway.db.models import Alert, Device, Evidence, TelemetryMinute
from whistle.config.site import SiteConfig

#: Streams whose latest values the devices page shows.
HEALTH_STREAMS = ("health", "camera")


def visible_sites(sites: list[SiteConfig], principal: Principal) -> list[SiteConfig]:
    return [s for s in sites if can_see_site(principal, s.id)]


def device_states(session: Session, site: str) -> dict[str, Device]:
    return {d.device_id: d for d in session.scalars(select(Device).where(Device.site == site))}


def open_alerts_by_device(
    session: Session, principal: Principal, scope: AlertScope, site: str
) -> dict[str, list[str]]:
    """Device id -> types of its open alerts the caller may see."""
    out: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(
        select(Alert.device, Alert.type).where(
            Alert.site == site, Alert.state != "closed", alert_clause(principal, scope)
        )
    )
    for device, type_ in rows:
        out[device].append(type_)
    return dict(out)


def latest_snapshots(
    session: Session, principal: Principal, scope: AlertScope, site: str
) -> dict[str, dict[str, Any]]:
    """Camera id -> its newest snapshot evidence the caller may see ({url, at, alert_id})."""
    newest = (
        select(Alert.device, func.max(Evidence.received_at).label("at"))
        .join(Alert, Alert.alert_id == Evidence.alert_id)
        .where(Alert.site == site, Evidence.kind == "snapshot", alert_clause(principal, scope))
        .group_by(Alert.device)
        .subquery()
    )
    rows = session.execute(
        select(Alert.device, Evidence.evidence_id, Evidence.alert_id, Evidence.received_at)
        .join(Alert, Alert.alert_id == Evidence.alert_id)
        .join(
            newest,
            and_(newest.c.device == Alert.device, newest.c.at == Evidence.received_at),
        )
        .where(Alert.site == site, Evidence.kind == "snapshot")
    )
    out: dict[str, dict[str, Any]] = {}
    for device, eid, aid, at in rows:
        out[device] = {
            "url": f"/api/evidence/{eid}?alert_id={aid}",
            "at": at.isoformat(),
            "alert_id": aid,
        }
    return out


def snapshot_of_alerts(session: Session, alert_ids: list[str]) -> dict[str, str]:
    """Alert id -> URL of its newest snapshot (callers checked visibility)."""
    if not alert_ids:
        return {}
    out: dict[str, str] = {}
    rows = session.execute(
        select(Evidence.alert_id, Evidence.evidence_id)
        .where(Evidence.alert_id.in_(alert_ids), Evidence.kind == "snapshot")
        .order_by(Evidence.received_at)
    )
    for aid, eid in rows:
        out[aid] = f"/api/evidence/{eid}?alert_id={aid}"
    return out


def latest_values(
    session: Session,
    site: str | None,
    streams: tuple[str, ...],
    since: datetime,
    devices: list[str] | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """(site, device) -> {stream: {field: last value}, "_at": newest minute} since ``since``."""
    T = TelemetryMinute
    where = [T.stream.in_(streams), T.minute >= since]
    if site is not None:
        where.append(T.site == site)
    if devices is not None:
        where.append(T.device.in_(devices))
    newest = (
        select(T.site, T.device, T.stream, T.field, func.max(T.minute).label("m"))
        .where(*where)
        .group_by(T.site, T.device, T.stream, T.field)
        .subquery()
    )
    rows = session.execute(
        select(T.site, T.device, T.stream, T.field, T.last, T.minute).join(
            newest,
            and_(
                newest.c.site == T.site,
                newest.c.device == T.device,
                newest.c.stream == T.stream,
                newest.c.field == T.field,
                newest.c.m == T.minute,
            ),
        )
    )
    out: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    for s, device, stream, field, last, minute in rows:
        entry = out[(s, device)]
        entry.setdefault(stream, {})[field] = last
        if "_at" not in entry or minute > entry["_at"]:
            entry["_at"] = minute
    return dict(out)


def series(
    session: Session,
    site: str,
    device: str,
    stream: str,
    field: str,
    since: datetime,
    step_min: int,
) -> list[tuple[datetime, float]]:
    """Mean of ``field`` per ``step_min`` bucket since ``since`` (bucketed in Python: a day
    of minutes is small)."""
    T = TelemetryMinute
    rows = session.execute(
        select(T.minute, T.mean, T.count)
        .where(
            T.site == site,
            T.device == device,
            T.stream == stream,
            T.field == field,
            T.minute >= since,
        )
        .order_by(T.minute)
    )
    buckets: dict[datetime, list[float]] = {}
    step = timedelta(minutes=step_min)
    for minute, mean, count in rows:
        start = since + ((minute - since) // step) * step
        acc = buckets.setdefault(start, [0.0, 0.0])
        n = max(int(count), 1)
        acc[0] += float(mean) * n
        acc[1] += n
    return [(t, acc[0] / acc[1]) for t, acc in sorted(buckets.items()) if acc[1] > 0]


def local_midnight(tz: str, now: datetime | None = None) -> datetime:
    zone = ZoneInfo(tz)
    local = (now or datetime.now(UTC)).astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
