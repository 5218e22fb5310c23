"""The centre page's incident filters, shared by the page and its CSV export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import false, select, true
from sqlalchemy.orm import Session

from gateway.auth.deps import Principal
from gateway.incidents.lifecycle import ACTIVE_STATES, State
from gateway.incidents.models import Incident
from gateway.web.access import is_centre

STATES: tuple[str, ...] = tuple(s.value for s in State)


class IncidentFilters(BaseModel):
    model_config = ConfigDict(extra="ignore")

    #: "active" (still owing work), "all", or one state.
    state: str = Field(default="active", max_length=20)
    department: str = Field(default="", max_length=64)
    site: str = Field(default="", max_length=64)
    type: str = Field(default="", max_length=64)
    escalated: Literal["", "1"] = ""
    #: Created in the last this many days (0: any time).
    days: int = Field(default=7, ge=0, le=3660)


def scope_clause(principal: Principal) -> Any:
    if is_centre(principal) or principal.role in ("admin", "viewer"):
        return true()
    if principal.role == "manager":
        return Incident.site == principal.site if principal.site else false()
    if principal.role == "officer":
        return Incident.department == principal.department if principal.department else false()
    return false()


def filtered_incidents(
    session: Session, principal: Principal, f: IncidentFilters, limit: int = 500
) -> list[Incident]:
    query = select(Incident).where(scope_clause(principal))
    if f.state == "active":
        query = query.where(Incident.state.in_([s.value for s in ACTIVE_STATES]))
    elif f.state in STATES:
        query = query.where(Incident.state == f.state)
    if f.department:
        query = query.where(Incident.department == f.department)
    if f.site:
        query = query.where(Incident.site == f.site)
    if f.type:
        query = query.where(Incident.type == f.type)
    if f.escalated:
        query = query.where(Incident.escalation_level > 0)
    if f.days:
        query = query.where(Incident.created_at >= datetime.now(UTC) - timedelta(days=f.days))
    return list(session.scalars(query.order_by(Incident.id.desc()).limit(limit)))
