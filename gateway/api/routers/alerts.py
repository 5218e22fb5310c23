"""Alerts: a filtered, cursor-paginated list and one alert with its evidence links."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gateway.api.errors import validation_error
from gateway.api.pagination import MAX_CURSOR_CHARS, decode_cursor, encode_cursor
from gateway.api.params import UtcDatetime, WireIdStr
from gateway.api.schemas import AlertDetail, AlertOut, AlertPage, EvidenceLink
from gateway.auth.deps import CurrentPrincipal, DbSession, Principal
from gateway.auth.scope import alert_clause, can_see_alert, scope_of
from gateway.db.models import Alert, Evidence

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

MAX_PAGE = 500


def visible_alert(request: Request, session: Session, principal: Principal, alert_id: str) -> Alert:
    """The alert if it exists and the caller may see it; 404 otherwise (existence not told)."""
    alert = session.get(Alert, alert_id)
    if alert is None or not can_see_alert(principal, alert, scope_of(request.app.state.service)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    return alert


@router.get("", response_model=AlertPage)
def list_alerts(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    site: WireIdStr | None = None,
    device: WireIdStr | None = None,
    alert_type: Annotated[WireIdStr | None, Query(alias="type")] = None,
    alert_status: Annotated[
        Literal["open", "closed"] | None,
        Query(alias="status", description="open: not closed yet; closed: ended"),
    ] = None,
    state: Annotated[
        Literal["opened", "updated", "closed"] | None,
        Query(description="the alert's last state exactly"),
    ] = None,
    since: Annotated[
        UtcDatetime | None, Query(description="started at or after (ISO 8601; naive = UTC)")
    ] = None,
    until: Annotated[UtcDatetime | None, Query(description="started before")] = None,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_CHARS, description="next_cursor of a page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> AlertPage:
    """Alerts the caller may see, newest start first."""
    if since is not None and until is not None and until <= since:
        raise validation_error("query", "until", "until must be after since")
    where: list[Any] = [alert_clause(principal, scope_of(request.app.state.service))]
    if site is not None:
        where.append(Alert.site == site)
    if device is not None:
        where.append(Alert.device == device)
    if alert_type is not None:
        where.append(Alert.type == alert_type)
    if alert_status == "open":
        where.append(Alert.state != "closed")
    elif alert_status == "closed":
        where.append(Alert.state == "closed")
    if state is not None:
        where.append(Alert.state == state)
    if since is not None:
        where.append(Alert.started_at >= since)
    if until is not None:
        where.append(Alert.started_at < until)
    if cursor is not None:
        at, key = decode_cursor(cursor)
        where.append(or_(Alert.started_at < at, and_(Alert.started_at == at, Alert.alert_id < key)))
    rows = session.scalars(
        select(Alert)
        .where(*where)
        .order_by(Alert.started_at.desc(), Alert.alert_id.desc())
        .limit(limit + 1)
    ).all()
    items = [AlertOut.model_validate(a) for a in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.started_at, last.alert_id)
    return AlertPage(items=items, next_cursor=next_cursor)


def evidence_links(session: Session, alert: Alert) -> list[EvidenceLink]:
    """The alert's evidence refs and the blobs received for it, each with its URL."""
    stored = {
        e.evidence_id: e
        for e in session.scalars(select(Evidence).where(Evidence.alert_id == alert.alert_id))
    }
    links: list[EvidenceLink] = []
    seen: set[str] = set()
    refs = [r for r in (alert.evidence or []) if isinstance(r, dict) and "evidence_id" in r]
    for ref in refs:
        eid = str(ref["evidence_id"])
        if eid in seen:
            continue
        seen.add(eid)
        row = stored.get(eid)
        links.append(
            EvidenceLink(
                evidence_id=eid,
                kind=str(ref.get("kind", row.kind if row else "")),
                content_type=str(ref.get("content_type", row.content_type if row else "")),
                size_bytes=int(ref.get("size_bytes", row.size_bytes if row else 0)),
                sha256=str(ref.get("sha256", row.sha256 if row else "")),
                available=row is not None,
                url=f"/api/evidence/{eid}?alert_id={alert.alert_id}",
            )
        )
    for eid, row in sorted(stored.items()):
        if eid not in seen:
            links.append(
                EvidenceLink(
                    evidence_id=eid,
                    kind=row.kind,
                    content_type=row.content_type,
                    size_bytes=row.size_bytes,
                    sha256=row.sha256,
                    available=True,
                    url=f"/api/evidence/{eid}?alert_id={alert.alert_id}",
                )
            )
    return links


@router.get(
    "/{alert_id}", response_model=AlertDetail, responses={404: {"description": "No such alert"}}
)
def get_alert(
    request: Request, alert_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> AlertDetail:
    """One alert with its details and evidence links."""
    alert = visible_alert(request, session, principal, str(alert_id))
    base = AlertOut.model_validate(alert).model_dump()
    return AlertDetail(
        **base,
        details=alert.details or {},
        replay=bool(alert.replay),
        evidence=evidence_links(session, alert),
    )
