"""Escalation (吹哨): an incident that misses its SLA is escalated to the street centre, and
to the district centre when it is still overdue ``district_after_min`` later; each step is a
recorded transition with notifications. Run by a periodic task."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.incidents.engine import IncidentEngine
from gateway.incidents.lifecycle import ACTIVE_STATES, SYSTEM, State
from gateway.incidents.models import Incident
from gateway.incidents.sla import sla_status

log = logging.getLogger(__name__)


def escalate_overdue(engine: IncidentEngine, session: Session) -> list[int]:
    """Escalate every active incident whose SLA status needs a higher whistle level; returns
    the ids escalated."""
    now = engine.clock()
    district_after_s = engine.routing.escalation.district_after_min * 60
    escalated: list[int] = []
    rows = session.scalars(
        select(Incident).where(Incident.state.in_([s.value for s in ACTIVE_STATES]))
    )
    for incident in rows:
        status = sla_status(
            State(incident.state),
            frozenset(State(s) for s in incident.reached),
            incident.clock_start,
            {k: float(v) for k, v in incident.sla_s.items()},
            now,
            district_after_s,
        )
        if status is None or status.level_needed <= incident.escalation_level:
            continue
        centre = (
            engine.routing.escalation.street
            if status.level_needed == 1
            else engine.routing.escalation.district
        )
        minutes = status.overdue_s / 60
        engine.transition(
            session,
            incident,
            State.ESCALATED.value,
            SYSTEM,
            note=(
                f"SLA missed: not {status.stage.value} by {status.deadline.isoformat()} "
                f"({minutes:.0f} min late); whistle to {centre} / 超时未{_zh(status.stage)},"
                f"吹哨至{'街道' if status.level_needed == 1 else '区'}指挥中心"
            ),
            data={"level": status.level_needed, "stage": status.stage.value, "centre": centre},
        )
        escalated.append(incident.id)
        log.info("incident %s escalated to level %s", incident.id, status.level_needed)
    return escalated


def _zh(stage: State) -> str:
    return {State.ACCEPTED: "接单", State.ON_SITE: "到场", State.RESOLVED: "处置"}.get(stage, "")
