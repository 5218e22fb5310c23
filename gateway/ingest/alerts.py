"""Idempotent, order-tolerant storage of alert messages.

* A re-delivered message (same ``alert_id``, ``seq``, ``state``) changes nothing: the
  ``alert_messages`` unique key says it was seen ("duplicate").
* Messages of an episode may arrive out of order: the alert row takes a message's state only
  if its ``seq`` is newer than the stored ``last_seq``, and a closed alert stays closed.
* Every stored message writes an ``alert`` Event and calls the alert listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db.base import utcnow
from gateway.db.events import record_event
from gateway.db.models import Alert, AlertMessage
from whistle.contract import AlertPayload, AlertState

if TYPE_CHECKING:
    from gateway.service import AlertListener

log = logging.getLogger(__name__)

STORED = "stored"
DUPLICATE = "duplicate"


def _apply(alert: Alert, payload: AlertPayload, now: datetime) -> None:
    alert.state = payload.state.value
    alert.last_seq = payload.seq
    alert.severity = payload.severity.value
    alert.zone = payload.zone
    alert.started_at = payload.started_at
    alert.ended_at = payload.ended_at
    alert.measured = dict(payload.measured)
    alert.threshold = payload.threshold
    alert.unit = payload.unit
    alert.summary = payload.summary
    alert.details = dict(payload.details)
    alert.replay = payload.replay
    alert.updated_at = now


def _merge_evidence(alert: Alert, payload: AlertPayload) -> None:
    if not payload.evidence:
        return
    refs: list[Any] = list(alert.evidence or [])
    known = {r.get("evidence_id") for r in refs if isinstance(r, dict)}
    added = [r.model_dump() for r in payload.evidence if r.evidence_id not in known]
    if added:
        alert.evidence = refs + added  # a new list, so SQLAlchemy sees the change


def store_alert(
    session: Session,
    payload: AlertPayload,
    listeners: Sequence[AlertListener] = (),
) -> str:
    """Store one alert message in ``session``; returns "stored" or "duplicate"."""
    alert_id = str(payload.alert_id)
    seen = session.scalar(
        select(AlertMessage.id).where(
            AlertMessage.alert_id == alert_id,
            AlertMessage.seq == payload.seq,
            AlertMessage.state == payload.state.value,
        )
    )
    if seen is not None:
        return DUPLICATE
    now = utcnow()
    alert = session.get(Alert, alert_id, with_for_update=True)
    is_new_state = False
    if alert is None:
        alert = Alert(
            alert_id=alert_id,
            type=payload.type,
            site=payload.site,
            device=payload.device,
            received_at=now,
            evidence=[],
        )
        _apply(alert, payload, now)
        session.add(alert)
        session.flush()
        is_new_state = True
    elif payload.seq > alert.last_seq and alert.state != AlertState.CLOSED.value:
        _apply(alert, payload, now)
        is_new_state = True
    _merge_evidence(alert, payload)
    session.add(
        AlertMessage(
            alert_id=alert_id,
            seq=payload.seq,
            state=payload.state.value,
            ts=payload.ts,
            received_at=now,
            payload=payload.model_dump(mode="json"),
        )
    )
    record_event(
        session,
        "alert",
        alert_id,
        {
            "alert_id": alert_id,
            "message_state": payload.state.value,
            "seq": payload.seq,
            "state": alert.state,
            "is_new_state": is_new_state,
            "type": alert.type,
            "severity": alert.severity,
            "site": alert.site,
            "device": alert.device,
            "zone": alert.zone,
            "summary": alert.summary,
            "summaries": alert.summaries,
            "ts": payload.ts.isoformat(),
        },
    )
    for listener in listeners:
        try:
            listener(session, alert, payload, is_new_state)
        except Exception:
            log.exception("alert listener %r failed for %s", listener, alert_id)
    return STORED
