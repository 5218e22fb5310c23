"""The core periodic tasks: stale-device detection and retention purges."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from gateway.db.base import utcnow
from gateway.db.models import DeadLetter, Event
from gateway.presence import check_stale
from gateway.telemetry.aggregate import purge_minutes

if TYPE_CHECKING:
    from gateway.service import GatewayService

log = logging.getLogger(__name__)

PURGE_INTERVAL_S = 3600.0


def check_presence(service: GatewayService) -> list[tuple[str, str]]:
    with service.store.session() as session:
        stale = check_stale(
            session,
            listeners=service.alert_listeners,
            slack_s=service.settings.flush_interval_s,
        )
    if stale:
        service.metrics.devices_stale.inc(len(stale))
    return stale


def purge(service: GatewayService) -> dict[str, int]:
    """Delete what is older than its retention: minute aggregates, evidence (files too), dead
    letters and events. Returns the counts deleted."""
    s = service.settings
    now = utcnow()
    counts: dict[str, int] = {}
    with service.store.session() as session:
        counts["telemetry_minutes"] = purge_minutes(
            session, now - timedelta(days=s.telemetry_retention_days)
        )
        counts["evidence"] = service.evidence.purge(
            session, now - timedelta(days=s.evidence_retention_days)
        )
        cutoff = now - timedelta(days=s.dead_letter_retention_days)
        result = session.execute(delete(DeadLetter).where(DeadLetter.received_at < cutoff))
        counts["dead_letters"] = int(getattr(result, "rowcount", 0) or 0)
        cutoff = now - timedelta(days=s.event_retention_days)
        result = session.execute(delete(Event).where(Event.created_at < cutoff))
        counts["events"] = int(getattr(result, "rowcount", 0) or 0)
    if any(counts.values()):
        log.info("retention purge: %s", counts)
    return counts


def register(service: GatewayService) -> None:
    service.add_periodic(
        "presence", service.settings.presence_check_interval_s, lambda: check_presence(service)
    )
    service.add_periodic("purge", PURGE_INTERVAL_S, lambda: purge(service))
