"""The event log: one row per stored alert message, device state change or incident change.

The API's SSE stream polls it (``id > last seen id``), which works across gateway instances.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.db.base import utcnow
from gateway.db.models import Event


def record_event(session: Session, kind: str, subject: str, data: dict[str, Any]) -> Event:
    """Add an :class:`Event` (``kind`` is "alert", "device" or "incident") to ``session``."""
    if kind not in ("alert", "device", "incident"):
        raise ValueError(f"unknown event kind {kind!r}")
    event = Event(kind=kind, subject=subject, data=data, created_at=utcnow())
    session.add(event)
    return event
