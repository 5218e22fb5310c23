"""The incident engine: alerts join or open incidents, transitions are checked and recorded,
every change goes to the event log and the notification outbox in the same transaction.

The engine keeps no state of its own besides its configuration and the injectable ``clock``
(tests drive time with it; production uses :func:`gateway.db.base.utcnow`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.db.events import record_event
from gateway.db.models import Alert
from gateway.incidents.lifecycle import (
    FINISHED_STATES,
    STAGES,
    SYSTEM,
    Actor,
    RejectReason,
    State,
    check_permission,
    check_transition,
)
from gateway.incidents.models import Incident, IncidentAlert, IncidentTransition
from gateway.incidents.routing import RouteDecision, RoutingConfig
from gateway.incidents.sensor_clock import incident_devices, sensor_now
from gateway.notify.outbox import Notifier
from gateway.notify.templates import MessageContext
from whistle.contract import AlertPayload

log = logging.getLogger(__name__)

SEVERITY_RANK = {"info": 0, "warning": 1, "major": 2, "critical": 3}
Clock = Callable[[], datetime]


class TransitionRequestError(ValueError):
    """The transition request itself is incomplete (e.g. a rejection without a reason)."""


@dataclass
class IncidentEngine:
    routing: RoutingConfig
    notifier: Notifier
    clock: Clock
    data_dir: Path
    public_url: str = ""

    # ------------------------------------------------------------------ alerts -> incidents

    def on_alert(
        self, session: Session, alert: Alert, payload: AlertPayload, is_new_state: bool
    ) -> Incident | None:
        """Alert listener: link the alert to an incident (joining or opening one)."""
        link = session.scalar(select(IncidentAlert).where(IncidentAlert.alert_id == alert.alert_id))
        ts = payload.ts
        if link is not None:
            incident = session.get(Incident, link.incident_id)
            if incident is not None:
                self._touch(incident, alert, ts)
            return incident
        if payload.state.value == "closed" and alert.last_seq == 0 and not is_new_state:
            return None
        incident = self._open_incident_for(session, alert)
        if incident is None:
            incident = self._create(session, alert, ts)  # linked before its first messages
        else:
            if incident.state == State.RESOLVED.value:
                self.transition(
                    session,
                    incident,
                    State.REOPENED.value,
                    SYSTEM,
                    note=f"new {alert.type} alert in {alert.zone or alert.site} while awaiting "
                    "verification / 待核验期间再次报警",
                )
            self._link(session, incident, alert)
        incident.alert_count += 1
        self._touch(incident, alert, ts)
        return incident

    def _link(self, session: Session, incident: Incident, alert: Alert) -> None:
        session.add(
            IncidentAlert(incident_id=incident.id, alert_id=alert.alert_id, linked_at=self.clock())
        )

    def _open_incident_for(self, session: Session, alert: Alert) -> Incident | None:
        window = timedelta(minutes=self.routing.group_window_min)
        candidates = session.scalars(
            select(Incident)
            .where(
                Incident.site == alert.site,
                Incident.type == alert.type,
                Incident.zone == (alert.zone or ""),
                Incident.state.not_in([s.value for s in FINISHED_STATES]),
            )
            .order_by(Incident.id.desc())
            .limit(5)
        )
        for incident in candidates:
            # an unfinished incident takes every later alert of its kind (the problem is not
            # solved yet), and earlier ones within the window (late or replayed messages)
            last = incident.last_alert_at or incident.created_at
            if alert.started_at >= last - window:
                return incident
        return None

    def _touch(self, incident: Incident, alert: Alert, ts: datetime) -> None:
        if SEVERITY_RANK.get(alert.severity, 0) > SEVERITY_RANK.get(incident.severity, 0):
            incident.severity = alert.severity
        if incident.last_alert_at is None or ts > incident.last_alert_at:
            incident.last_alert_at = ts
        incident.updated_at = self.clock()

    def _create(self, session: Session, alert: Alert, ts: datetime) -> Incident:
        now = self.clock()
        decision = self.routing.route(alert.type, alert.site, alert.zone, alert.started_at)
        incident = Incident(
            type=alert.type,
            site=alert.site,
            zone=alert.zone or "",
            severity=alert.severity,
            state=State.NEW.value,
            source="sensor",
            department=decision.department,
            grid=decision.grid,
            routing_rule=decision.rule,
            summary=alert.summary[:500],
            sla_s=decision.sla.seconds(),
            clock_start=now,
            reached=[],
            escalation_level=0,
            reopen_count=0,
            first_alert_at=alert.started_at,
            last_alert_at=ts,
            alert_count=0,
            complaint_count=0,
            created_at=now,
            updated_at=now,
        )
        return self._open_and_dispatch(
            session, incident, decision, f"rule {decision.rule}", alert=alert
        )

    def create_from_complaint(
        self,
        session: Session,
        *,
        incident_type: str,
        site: str,
        zone: str | None,
        when: datetime,
        summary: str,
    ) -> Incident:
        """An incident for a hotline complaint that no sensor alert saw."""
        now = self.clock()
        decision = self.routing.route(incident_type, site, zone, when)
        incident = Incident(
            type=incident_type,
            site=site,
            zone=zone or "",
            severity="warning",
            state=State.NEW.value,
            source="complaint",
            department=decision.department,
            grid=decision.grid,
            routing_rule=decision.rule,
            summary=summary[:500],
            sla_s=decision.sla.seconds(),
            clock_start=now,
            reached=[],
            escalation_level=0,
            reopen_count=0,
            alert_count=0,
            complaint_count=1,
            created_at=now,
            updated_at=now,
        )
        return self._open_and_dispatch(session, incident, decision, "12345 complaint")

    def _open_and_dispatch(
        self,
        session: Session,
        incident: Incident,
        decision: RouteDecision,
        why: str,
        alert: Alert | None = None,
    ) -> Incident:
        """Store a new incident (linked to the ``alert`` that opened it, so that its messages
        can describe it), record and notify its opening, dispatch it as routed."""
        session.add(incident)
        session.flush()
        if alert is not None:
            self._link(session, incident, alert)
        self._record(session, incident, None, State.NEW.value, SYSTEM, why)
        self.notify(session, incident, "incident_opened")
        self.transition(
            session,
            incident,
            State.DISPATCHED.value,
            SYSTEM,
            note=f"routed to {decision.department} by rule {decision.rule!r}",
            notify=False,
        )
        return incident

    # ------------------------------------------------------------------ transitions

    def transition(
        self,
        session: Session,
        incident: Incident,
        target: str,
        actor: Actor,
        *,
        note: str = "",
        photo_id: int | None = None,
        reason: str | None = None,
        department: str | None = None,
        data: dict[str, Any] | None = None,
        notify: bool = True,
    ) -> IncidentTransition:
        """Check and apply one transition; raises TransitionError / PermissionDenied /
        TransitionRequestError without changing anything."""
        current = State(incident.state)
        reached = frozenset(State(s) for s in incident.reached)
        new_state = check_transition(current, target, reached)
        check_permission(actor, new_state, incident.department)
        extra = dict(data or {})
        if new_state is State.REJECTED:
            if reason is None:
                raise TransitionRequestError(
                    f"a rejection needs a reason: one of {', '.join(r.value for r in RejectReason)}"
                )
            try:
                incident.reject_reason = RejectReason(reason).value
            except ValueError:
                raise TransitionRequestError(
                    f"unknown rejection reason {reason!r}; one of "
                    f"{', '.join(r.value for r in RejectReason)}"
                ) from None
            extra["reason"] = incident.reject_reason
        if department is not None:
            if new_state is not State.DISPATCHED:
                raise TransitionRequestError("a department can be given only when dispatching")
            from gateway.incidents.routing import DEPARTMENTS

            if department not in DEPARTMENTS:
                raise TransitionRequestError(f"unknown department {department!r}")
            extra["from_department"] = incident.department
            incident.department = department
        now = self.clock()
        if new_state in STAGES:
            incident.reached = [*incident.reached, new_state.value]
        if new_state is State.RESOLVED:
            incident.resolved_at = now
            incident.resolved_sensor_at = sensor_now(
                session, incident.site, incident_devices(session, incident.id)
            )
        if new_state is State.CLOSED:
            incident.closed_at = now
        if new_state is State.REOPENED:
            incident.clock_start = now
            incident.reached = []
            incident.escalation_level = 0
            incident.reopen_count += 1
            incident.resolved_at = None
            incident.resolved_sensor_at = None
            incident.closed_at = None
            incident.reject_reason = None
        if new_state is State.ESCALATED:
            incident.escalation_level = int(extra.get("level", incident.escalation_level + 1))
            extra["level"] = incident.escalation_level
        incident.state = new_state.value
        incident.updated_at = now
        row = self._record(
            session, incident, current.value, new_state.value, actor, note, photo_id, extra
        )
        if notify:
            event = {
                State.ESCALATED: "incident_escalated",
                State.REOPENED: "incident_reopened",
                State.VERIFIED: "incident_verified",
            }.get(new_state, "incident_transition")
            self.notify(session, incident, event, note=note)
        return row

    def _record(
        self,
        session: Session,
        incident: Incident,
        from_state: str | None,
        to_state: str,
        actor: Actor,
        note: str,
        photo_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> IncidentTransition:
        now = self.clock()
        row = IncidentTransition(
            incident_id=incident.id,
            from_state=from_state,
            to_state=to_state,
            actor=actor.name,
            actor_role=actor.role,
            note=note,
            photo_id=photo_id,
            at=now,
            data=data or {},
        )
        session.add(row)
        record_event(
            session,
            "incident",
            str(incident.id),
            {
                "incident_id": incident.id,
                "from": from_state,
                "to": to_state,
                "actor": actor.name,
                "site": incident.site,
                "department": incident.department,
                "type": incident.type,
                "at": now.isoformat(),
            },
        )
        return row

    def notify(self, session: Session, incident: Incident, event: str, note: str = "") -> None:
        deadline = None
        if incident.state not in (State.RESOLVED.value, State.VERIFIED.value, State.CLOSED.value):
            from gateway.incidents.lifecycle import next_stage

            stage = next_stage(frozenset(State(s) for s in incident.reached))
            target = incident.sla_s.get(stage.value)
            if target is not None:
                deadline = incident.clock_start + timedelta(seconds=float(target))
        link = f"{self.public_url.rstrip('/')}/incidents/{incident.id}" if self.public_url else ""
        ctx = MessageContext(
            event=event,
            incident_id=incident.id,
            alert_type=incident.type,
            site=incident.site,
            zone=incident.zone or None,
            department=incident.department,
            grid=incident.grid,
            severity=incident.severity,
            state=incident.state,
            at=self.clock(),
            summary=incident.summary,
            summaries=first_alert_summaries(session, [incident.id]).get(incident.id, {}),
            note=note,
            escalation_level=incident.escalation_level,
            deadline=deadline,
            link=link,
        )
        self.notifier.enqueue(session, ctx)


def first_alert_summaries(session: Session, incident_ids: list[int]) -> dict[int, dict[str, str]]:
    """Incident id -> the summary per language (``zh``, ``en``) of its first linked alert, for
    the given incidents in one query; a complaint's incident has none."""
    if not incident_ids:
        return {}
    # only each incident's first link: a noise incident may hold hundreds of alerts
    first_links = (
        select(func.min(IncidentAlert.id))
        .where(IncidentAlert.incident_id.in_(incident_ids))
        .group_by(IncidentAlert.incident_id)
    )
    rows = session.execute(
        select(IncidentAlert.incident_id, Alert)
        .join(Alert, IncidentAlert.alert_id == Alert.alert_id)
        .where(IncidentAlert.id.in_(first_links))
    )
    return {incident_id: alert.summaries for incident_id, alert in rows}
