"""Telemetry series from the minute aggregates (``TelemetryMinute``), re-bucketed by ``step``.

Buckets are aligned to multiples of ``step`` minutes since the Unix epoch (UTC), so
``step=60`` gives clock hours and ``step=1440`` UTC days. Per bucket: ``count`` is the number
of samples, ``mean`` the count-weighted mean of the minute means, ``min``/``max`` the extremes
and ``last`` the last minute's last value.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from sqlalchemy import BigInteger, Integer, and_, cast, func, select
from sqlalchemy.orm import Session

from gateway.api.errors import validation_error
from gateway.api.params import UtcDatetime, WireIdStr
from gateway.api.schemas import TelemetryOut, TelemetryPoint, TelemetrySeries
from gateway.auth.deps import CurrentPrincipal, DbSession, Principal
from gateway.auth.scope import can_see_site
from gateway.db.models import Device, TelemetryMinute

router = APIRouter(prefix="/api/telemetry", tags=["telemetry"])

#: Most buckets one request may ask for (per field and zone).
MAX_BUCKETS = 10_080
#: Longest window one request may cover.
MAX_WINDOW = timedelta(days=400)
DEFAULT_WINDOW = timedelta(hours=24)


def _bucket_expr(session: Session, step_s: int) -> Any:
    """SQL for ``floor(epoch seconds of minute / step_s)`` on the session's backend."""
    T = TelemetryMinute
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", T.minute), Integer) // step_s
    return cast(func.floor(func.extract("epoch", T.minute) / step_s), BigInteger)


def _resolve_site(
    session: Session, principal: Principal, device: str, stream: str, site: str | None
) -> str:
    if site is not None:
        if not can_see_site(principal, site):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {site}/{device}")
        return site
    T = TelemetryMinute
    candidates = set(
        session.scalars(
            select(T.site).where(T.device == device, T.stream == stream).distinct().limit(50)
        )
    )
    candidates |= set(session.scalars(select(Device.site).where(Device.device_id == device)))
    visible = sorted(s for s in candidates if can_see_site(principal, s))
    if not visible:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device}")
    if len(visible) > 1:
        raise validation_error(
            "query", "site", f"device {device!r} exists at {', '.join(visible)}: give site"
        )
    return visible[0]


@router.get(
    "/{device}/{stream}",
    response_model=TelemetryOut,
    responses={404: {"description": "No such device visible to the caller"}},
)
def get_telemetry(
    request: Request,
    device: Annotated[WireIdStr, PathParam()],
    stream: Annotated[WireIdStr, PathParam()],
    principal: CurrentPrincipal,
    session: DbSession,
    site: Annotated[
        WireIdStr | None, Query(description="needed when the device id exists at several sites")
    ] = None,
    since: Annotated[UtcDatetime | None, Query(description="default: until - 24 h")] = None,
    until: Annotated[UtcDatetime | None, Query(description="default: now")] = None,
    step: Annotated[
        int,
        Query(ge=1, le=MAX_WINDOW // timedelta(minutes=1), description="bucket length, minutes"),
    ] = 1,
    zone: WireIdStr | None = None,
    field: WireIdStr | None = None,
) -> TelemetryOut:
    """Bucketed series of one stream of one device, per field and zone, in ``[since, until)``."""
    until = until or datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    since = since or until - DEFAULT_WINDOW
    if until <= since:
        raise validation_error("query", "until", "until must be after since")
    if until - since > MAX_WINDOW:
        raise validation_error(
            "query", "since", f"the window may not exceed {MAX_WINDOW.days} days"
        )
    if (until - since) / timedelta(minutes=step) > MAX_BUCKETS:
        raise validation_error(
            "query", "step", f"more than {MAX_BUCKETS} buckets: use a larger step"
        )
    site_id = _resolve_site(session, principal, device, stream, site)
    T = TelemetryMinute
    step_s = step * 60
    where = [
        T.site == site_id,
        T.device == device,
        T.stream == stream,
        T.minute >= since,
        T.minute < until,
    ]
    if zone is not None:
        where.append(T.zone == zone)
    if field is not None:
        where.append(T.field == field)
    bucket = _bucket_expr(session, step_s).label("bucket")
    grouped = (
        select(
            T.zone.label("zone"),
            T.field.label("field"),
            bucket,
            func.sum(T.count).label("n"),
            func.sum(T.mean * T.count).label("weighted"),
            func.min(T.min).label("lo"),
            func.max(T.max).label("hi"),
            func.max(T.minute).label("last_minute"),
        )
        .where(*where)
        .group_by(T.zone, T.field, bucket)
        .subquery()
    )
    rows = session.execute(
        select(grouped, T.last, T.mean)
        .join(
            T,
            and_(
                T.site == site_id,
                T.device == device,
                T.stream == stream,
                T.zone == grouped.c.zone,
                T.field == grouped.c.field,
                T.minute == grouped.c.last_minute,
            ),
        )
        .order_by(grouped.c.field, grouped.c.zone, grouped.c.bucket)
    ).all()
    series: dict[tuple[str, str], list[TelemetryPoint]] = defaultdict(list)
    for r in rows:
        n = int(r.n or 0)
        mean = float(r.weighted) / n if n > 0 else float(r.mean)
        series[(r.field, r.zone)].append(
            TelemetryPoint(
                t=datetime.fromtimestamp(int(r.bucket) * step_s, UTC),
                count=n,
                mean=mean,
                min=float(r.lo),
                max=float(r.hi),
                last=float(r.last),
            )
        )
    return TelemetryOut(
        site=site_id,
        device=device,
        stream=stream,
        since=since,
        until=until,
        step_minutes=step,
        series=[
            TelemetrySeries(field=f, zone=z or None, points=pts)
            for (f, z), pts in sorted(series.items())
        ],
    )
