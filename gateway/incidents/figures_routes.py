"""``/api/figures/...``: the centres' figures as JSON or CSV (``?format=csv``).

Managers get their site's figures, officers their department's; admins, viewers and centre
staff everything. ``POST /api/figures/assessments`` records a street centre's score of a
department (the reverse assessment).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.params import UtcDatetime
from gateway.auth.deps import CurrentPrincipal, DbSession
from gateway.incidents import figures
from gateway.incidents.api_common import actor_of, engine_of
from gateway.incidents.models import DepartmentAssessment
from gateway.incidents.routing import DEPARTMENTS

router = APIRouter(prefix="/api/figures", tags=["figures"])

NAMES = (
    "summary",
    "times",
    "sla",
    "escalations",
    "assessment",
    "misses",
    "complaints",
    "false_alarms",
)


@router.get("/{name}", summary="One table of figures (JSON rows, or CSV with ?format=csv)")
def get_figures(
    name: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
    site: str | None = None,
    department: str | None = None,
    period: Annotated[str | None, Query(description="assessment period, e.g. 2026-11")] = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    if name.endswith(".csv"):
        name, format = name[: -len(".csv")], "csv"
    if name not in NAMES:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"unknown figures {name!r}; known: {', '.join(NAMES)}"
        )
    actor = actor_of(principal)
    if not actor.is_centre and principal.role not in ("viewer",):
        if principal.role == "manager":
            site = principal.site or "\x00"
        elif principal.role == "officer":
            department = principal.department or "\x00"
    engine = engine_of(request)
    f = figures.Filters(since=since, until=until, site=site, department=department)
    rows: list[dict[str, Any]]
    if name == "summary":
        rows = figures.summary(session, f)
    elif name == "times":
        rows = figures.times(session, f)
    elif name == "sla":
        rows = figures.sla(session, f)
    elif name == "escalations":
        rows = figures.escalations(session, f)
    elif name == "assessment":
        rows = figures.assessment(session, f, engine.routing.assessment, period)
    elif name == "misses":
        rows = figures.misses(session, f)
    elif name == "complaints":
        rows = figures.complaints_trend(session, f, engine.routing.timezone)
    else:
        rows = figures.false_alarms(session, f)
    if format == "csv":
        return Response(
            figures.to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return {"name": name, "rows": rows}


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    department: str
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    score: float = Field(ge=0, le=100)
    note: str = Field(default="", max_length=2000)


@router.post("/assessments", status_code=status.HTTP_201_CREATED, summary="A street's score")
def post_assessment(
    body: AssessmentIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    if not actor_of(principal).is_centre:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only centre staff or admins assess")
    if body.department not in DEPARTMENTS:
        raise HTTPException(422, "unknown department")
    row = DepartmentAssessment(
        department=body.department,
        period=body.period,
        score=body.score,
        assessor=principal.username,
        note=body.note,
        created_at=engine_of(request).clock(),
    )
    session.add(row)
    session.flush()
    return {"id": row.id, "department": row.department, "period": row.period, "score": row.score}
