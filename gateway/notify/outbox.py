"""The notification outbox: messages are rows written in the same transaction as the incident
change that caused them, then delivered by a periodic task with rate limits, quiet hours and
retries with exponential backoff. A failed delivery never loses the incident (or the message:
it stays in the table, ``failed`` after the last attempt, for an admin to retry)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.incidents.models import Notification
from gateway.notify.channels import HttpRequest, build_payload, build_request, response_ok
from gateway.notify.config import SEVERITY_ORDER, Channel, NotifyConfig, Rule
from gateway.notify.templates import MessageContext, render

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: Sends one request; returns (HTTP status, response text); raises OSError-like on failure.
Sender = Callable[[HttpRequest, float], tuple[int, str]]


def httpx_sender(request: HttpRequest, timeout_s: float) -> tuple[int, str]:
    import httpx

    response = httpx.post(
        request.url, content=request.body, headers=request.headers, timeout=timeout_s
    )
    return response.status_code, response.text


def rule_matches(rule: Rule, ctx: MessageContext) -> bool:
    if ctx.event not in rule.events:
        return False
    if rule.sites and ctx.site not in rule.sites:
        return False
    if rule.grids and ctx.grid not in rule.grids:
        return False
    if rule.departments:
        targets = {ctx.department}
        if ctx.escalation_level >= 1:
            targets.add("street_centre")
        if ctx.escalation_level >= 2:
            targets.add("district_centre")
        if not targets & set(rule.departments):
            return False
    return SEVERITY_ORDER.get(ctx.severity, 0) >= SEVERITY_ORDER[rule.min_severity]


def quiet_until(config: NotifyConfig, severity: str, now: datetime) -> datetime | None:
    """End of the quiet hours if ``now`` falls in them and ``severity`` does not bypass them."""
    quiet = config.quiet_hours
    if quiet is None or SEVERITY_ORDER.get(severity, 0) >= SEVERITY_ORDER[quiet.bypass_severity]:
        return None
    tz = ZoneInfo(config.timezone)
    local = now.astimezone(tz)
    if not quiet.window.contains(local.time()):
        return None
    end = local.replace(
        hour=quiet.window.end.hour, minute=quiet.window.end.minute, second=0, microsecond=0
    )
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)


class Notifier:
    """Turns incident events into outbox rows (one per matching rule)."""

    def __init__(self, config: NotifyConfig | None, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def enqueue(self, session: Session, ctx: MessageContext) -> list[Notification]:
        config = self.config
        if config is None:
            return []
        rows: list[Notification] = []
        now = self.clock()
        for rule in config.rules:
            if not rule_matches(rule, ctx):
                continue
            channel = config.channel(rule.channel)
            assert channel is not None  # checked by NotifyConfig
            title, body = render(
                ctx, config.language, config.timezone, markdown=channel.format == "markdown"
            )
            event = {
                "event": ctx.event,
                "incident_id": ctx.incident_id,
                "type": ctx.alert_type,
                "site": ctx.site,
                "zone": ctx.zone,
                "department": ctx.department,
                "grid": ctx.grid,
                "severity": ctx.severity,
                "state": ctx.state,
                "escalation_level": ctx.escalation_level,
                "at": ctx.at.isoformat(),
                "audience": rule.audience,
            }
            payload = build_payload(channel, title, body, rule.mention_mobiles, event)
            due = quiet_until(config, ctx.severity, now) or now
            row = Notification(
                channel=channel.id,
                event=ctx.event,
                incident_id=ctx.incident_id,
                severity=ctx.severity,
                payload=payload,
                status="pending",
                attempts=0,
                next_attempt_at=due,
                last_error="",
                created_at=now,
            )
            session.add(row)
            rows.append(row)
        return rows


@dataclass
class DeliveryStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    deferred: int = 0
    errors: list[str] = field(default_factory=list)


def backoff_s(config: NotifyConfig, attempts: int) -> float:
    """Delay before attempt ``attempts + 1``: base * 2**(attempts-1), capped."""
    return float(min(config.retry.max_backoff_s, config.retry.base_s * 2 ** max(0, attempts - 1)))


class Dispatcher:
    """Delivers due outbox rows; call :meth:`deliver_due` from a periodic task."""

    def __init__(self, config: NotifyConfig | None, clock: Clock, sender: Sender = httpx_sender):
        self.config = config
        self.clock = clock
        self.sender = sender

    def _sent_last_minute(self, session: Session, channel: str, now: datetime) -> int:
        count = session.scalar(
            select(func.count(Notification.id)).where(
                Notification.channel == channel,
                Notification.sent_at.is_not(None),
                Notification.sent_at > now - timedelta(seconds=60),
                Notification.sent_at <= now,
            )
        )
        return int(count or 0)

    def deliver_due(self, store: Any, limit: int = 200) -> DeliveryStats:
        stats = DeliveryStats()
        config = self.config
        if config is None:
            return stats
        now = self.clock()
        with store.session() as session:
            ids = list(
                session.scalars(
                    select(Notification.id)
                    .where(Notification.status == "pending", Notification.next_attempt_at <= now)
                    .order_by(Notification.next_attempt_at, Notification.id)
                    .limit(limit)
                )
            )
        budget: dict[str, int] = {}
        for notification_id in ids:
            with store.session() as session:
                row = session.get(
                    Notification, notification_id, with_for_update={"skip_locked": True}
                )
                if row is None or row.status != "pending":
                    continue
                channel = config.channel(row.channel)
                if channel is None:
                    row.status = "failed"
                    row.last_error = f"channel {row.channel!r} is no longer configured"
                    stats.failed += 1
                    continue
                if channel.id not in budget:
                    budget[channel.id] = channel.rate_per_min - self._sent_last_minute(
                        session, channel.id, now
                    )
                if budget[channel.id] <= 0:
                    stats.deferred += 1
                    continue  # stays due; the next tick tries again
                budget[channel.id] -= 1
                self._attempt(channel, row, now, stats)
        return stats

    def _attempt(
        self, channel: Channel, row: Notification, now: datetime, stats: DeliveryStats
    ) -> None:
        assert self.config is not None
        request = build_request(channel, row.payload, int(now.timestamp() * 1000))
        row.attempts += 1
        try:
            status, text = self.sender(request, channel.timeout_s)
            ok, error = response_ok(channel, status, text)
        except Exception as exc:  # a network failure of any kind is retried
            ok, error = False, f"{type(exc).__name__}: {exc}"
        if ok:
            row.status = "sent"
            row.sent_at = now
            row.last_error = ""
            stats.sent += 1
            return
        row.last_error = error[:1000]
        stats.errors.append(f"notification {row.id} to {channel.id}: {error}")
        if row.attempts >= self.config.retry.max_attempts:
            row.status = "failed"
            stats.failed += 1
            log.warning("notification %s to %s gave up: %s", row.id, channel.id, error)
        else:
            row.next_attempt_at = now + timedelta(seconds=backoff_s(self.config, row.attempts))
            stats.retried += 1
            log.info("notification %s to %s will retry: %s", row.id, channel.id, error)
