"""Reading the event log for the SSE stream: in id order, scoped to the caller, gap-safe.

Event ids come from an auto-increment; on PostgreSQL two transactions can commit out of id
order, so a reader that saw id 12 might never see 11 if it simply asked for ``id > 12`` next.
:func:`read_events` therefore stops at a gap and waits up to :data:`GAP_GRACE` (measured on
the event after the gap) for it to fill; an id that never commits (a rolled back insert) is
skipped after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.auth.deps import Principal
from gateway.auth.roles import ADMIN, MANAGER, OFFICER, VIEWER
from gateway.auth.scope import AlertScope, can_see_alert, can_see_site
from gateway.db.models import Alert, Event

GAP_GRACE = timedelta(seconds=5)
BATCH = 200


@dataclass(frozen=True)
class StreamItem:
    id: int
    kind: str
    subject: str
    data: dict[str, Any]
    created_at: datetime


def latest_event_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Event.id))) or 0)


def _event_site(event: Event) -> str | None:
    data = event.data if isinstance(event.data, dict) else {}
    site = data.get("site")
    if isinstance(site, str):
        return site
    if "/" in event.subject:
        return event.subject.split("/", 1)[0]
    return None


def _visible(
    session: Session,
    principal: Principal,
    scope: AlertScope,
    event: Event,
    alerts: dict[str, Alert],
) -> bool:
    if principal.role in (ADMIN, VIEWER):
        return True
    if event.kind == "alert":
        alert = alerts.get(event.subject)
        return alert is not None and can_see_alert(principal, alert, scope)
    if event.kind == "device":
        site = _event_site(event)
        return site is not None and can_see_site(principal, site)
    # incidents: a manager by site, an officer by the department(s) the event names
    data = event.data if isinstance(event.data, dict) else {}
    if principal.role == MANAGER:
        return principal.site is not None and _event_site(event) == principal.site
    if principal.role == OFFICER:
        departments = data.get("departments") or [data.get("department")]
        return principal.department in departments
    return False


def read_events(
    session: Session,
    principal: Principal,
    scope: AlertScope,
    after_id: int,
    now: datetime | None = None,
) -> tuple[list[StreamItem], int]:
    """Events after ``after_id`` the caller may see, and the id to continue after."""
    now = now or datetime.now(UTC)
    rows = session.scalars(
        select(Event).where(Event.id > after_id).order_by(Event.id).limit(BATCH)
    ).all()
    taken: list[Event] = []
    cursor = after_id
    for row in rows:
        if row.id != cursor + 1 and now - row.created_at < GAP_GRACE:
            break  # an earlier id may still commit: wait for it
        taken.append(row)
        cursor = row.id
    alert_ids = [e.subject for e in taken if e.kind == "alert"]
    alerts = (
        {a.alert_id: a for a in session.scalars(select(Alert).where(Alert.alert_id.in_(alert_ids)))}
        if alert_ids
        else {}
    )
    items = [
        StreamItem(
            e.id, e.kind, e.subject, e.data if isinstance(e.data, dict) else {}, e.created_at
        )
        for e in taken
        if _visible(session, principal, scope, e, alerts)
    ]
    return items, cursor
