"""Helpers the incidents routers share: the engine from the app, the caller as an Actor, the
incident the caller may see (404 otherwise, so existence does not leak), serialisation."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, Request, status
from sqlalchemy.orm import Session

from gateway.auth.deps import Principal
from gateway.incidents.engine import IncidentEngine, first_alert_summaries
from gateway.incidents.lifecycle import Actor, State, allowed_transitions, can_see, next_stage
from gateway.incidents.models import Incident, IncidentTransition
from gateway.incidents.runtime import IncidentsRuntime

#: Database ids are 64-bit (SQLite INTEGER, PostgreSQL BIGINT): a larger number is a 422.
MAX_DB_ID = 2**63 - 1
IncidentId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="incident id")]
PhotoId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="photo id")]
RequestId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="service request id")]
BeforeId = Annotated[int | None, Query(ge=1, le=MAX_DB_ID, description="page: ids below this")]


def runtime_of(request: Request) -> IncidentsRuntime:
    runtime = getattr(request.app.state.service, "incidents", None)
    if runtime is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "incidents are not set up")
    return runtime


def engine_of(request: Request) -> IncidentEngine:
    return runtime_of(request).engine


def actor_of(principal: Principal) -> Actor:
    return Actor(
        name=principal.username,
        role=principal.role,
        site=principal.site,
        department=principal.department,
    )


def visible_incident(session: Session, principal: Principal, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None or not can_see(actor_of(principal), incident.site, incident.department):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"incident {incident_id} not found")
    return incident


def incidents_json(session: Session, incidents: list[Incident]) -> list[dict[str, Any]]:
    """:func:`incident_json` of each, with its first alert's summaries (one query for all)."""
    summaries = first_alert_summaries(session, [i.id for i in incidents])
    return [incident_json(i, summaries.get(i.id)) for i in incidents]


def incident_json(incident: Incident, summaries: dict[str, str] | None = None) -> dict[str, Any]:
    """The incident as the API shows it; ``summaries`` are its first alert's summary per
    language (``first_alert_summaries``), empty for a complaint's incident."""
    reached = frozenset(State(s) for s in incident.reached)
    state = State(incident.state)
    deadline = None
    if state in (
        State.NEW,
        State.DISPATCHED,
        State.ACCEPTED,
        State.ON_SITE,
        State.REOPENED,
        State.ESCALATED,
    ):
        stage = next_stage(reached)
        target = incident.sla_s.get(stage.value)
        if target is not None:
            deadline = {
                "stage": stage.value,
                "at": (incident.clock_start + timedelta(seconds=float(target))).isoformat(),
            }
    return {
        "id": incident.id,
        "type": incident.type,
        "site": incident.site,
        "zone": incident.zone or None,
        "severity": incident.severity,
        "state": incident.state,
        "source": incident.source,
        "department": incident.department,
        "grid": incident.grid,
        "routing_rule": incident.routing_rule,
        "summary": incident.summary,
        "summaries": summaries or {},
        "sla_s": incident.sla_s,
        "next_deadline": deadline,
        "escalation_level": incident.escalation_level,
        "reopen_count": incident.reopen_count,
        "reject_reason": incident.reject_reason,
        "alert_count": incident.alert_count,
        "complaint_count": incident.complaint_count,
        "first_alert_at": _iso(incident.first_alert_at),
        "last_alert_at": _iso(incident.last_alert_at),
        "created_at": _iso(incident.created_at),
        "updated_at": _iso(incident.updated_at),
        "resolved_at": _iso(incident.resolved_at),
        "closed_at": _iso(incident.closed_at),
        "allowed_transitions": allowed_transitions(state, reached),
    }


def transition_json(t: IncidentTransition) -> dict[str, Any]:
    return {
        "id": t.id,
        "from": t.from_state,
        "to": t.to_state,
        "actor": t.actor,
        "actor_role": t.actor_role,
        "note": t.note,
        "photo_id": t.photo_id,
        "at": _iso(t.at),
        "data": t.data,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
