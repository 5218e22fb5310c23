"""Incident API: list, detail (with transitions and linked alerts), transitions, photos.

Officers see and act on their department's incidents only; an incident they may not see is a
404 (not 403), so its existence does not leak. Invalid transitions are 409 naming the allowed
ones; a transition the caller's role may not make is 403.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import false, select, true

from gateway.api.params import UtcDatetime
from gateway.auth.deps import CurrentPrincipal, DbSession, Principal
from gateway.db.models import Alert
from gateway.incidents.api_common import (
    BeforeId,
    IncidentId,
    PhotoId,
    actor_of,
    engine_of,
    incidents_json,
    transition_json,
    visible_incident,
)
from gateway.incidents.engine import TransitionRequestError
from gateway.incidents.lifecycle import PermissionDenied, TransitionError
from gateway.incidents.models import Incident, IncidentAlert, IncidentPhoto, IncidentTransition
from gateway.incidents.photos import PhotoError, store_photo

router = APIRouter(prefix="/api/incidents", tags=["incidents"])


def routers() -> list[APIRouter]:
    from gateway.incidents.figures_routes import router as figures_router
    from gateway.incidents.open311 import router as open311_router

    return [router, open311_router, figures_router]


def _scope_clause(principal: Principal) -> Any:
    actor = actor_of(principal)
    if actor.is_centre or principal.role == "viewer":
        return true()
    if principal.role == "manager":
        return Incident.site == principal.site if principal.site else false()
    if principal.role == "officer":
        return Incident.department == principal.department if principal.department else false()
    return false()


@router.get("", summary="Incidents the caller may see, newest first")
def list_incidents(
    session: DbSession,
    principal: CurrentPrincipal,
    state: Annotated[list[str] | None, Query(description="one or more states")] = None,
    site: str | None = None,
    department: str | None = None,
    type: Annotated[str | None, Query(description="alert type")] = None,
    zone: str | None = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
    before_id: BeforeId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    query = select(Incident).where(_scope_clause(principal))
    if state:
        query = query.where(Incident.state.in_(state))
    if site:
        query = query.where(Incident.site == site)
    if department:
        query = query.where(Incident.department == department)
    if type:
        query = query.where(Incident.type == type)
    if zone:
        query = query.where(Incident.zone == zone)
    if since:
        query = query.where(Incident.created_at >= since)
    if until:
        query = query.where(Incident.created_at < until)
    if before_id:
        query = query.where(Incident.id < before_id)
    rows = list(session.scalars(query.order_by(Incident.id.desc()).limit(limit + 1)))
    items = incidents_json(session, rows[:limit])
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return {"items": items, "next_before_id": next_before}


@router.get("/{incident_id}", summary="One incident with its transitions and linked alerts")
def get_incident(
    incident_id: IncidentId, session: DbSession, principal: CurrentPrincipal
) -> dict[str, Any]:
    incident = visible_incident(session, principal, incident_id)
    transitions = session.scalars(
        select(IncidentTransition)
        .where(IncidentTransition.incident_id == incident.id)
        .order_by(IncidentTransition.id)
    )
    alerts = session.scalars(
        select(Alert)
        .join(IncidentAlert, IncidentAlert.alert_id == Alert.alert_id)
        .where(IncidentAlert.incident_id == incident.id)
        .order_by(Alert.started_at)
    )
    photos = session.scalars(
        select(IncidentPhoto)
        .where(IncidentPhoto.incident_id == incident.id)
        .order_by(IncidentPhoto.id)
    )
    [body] = incidents_json(session, [incident])
    body["transitions"] = [transition_json(t) for t in transitions]
    body["alerts"] = [
        {
            "alert_id": a.alert_id,
            "type": a.type,
            "severity": a.severity,
            "device": a.device,
            "zone": a.zone,
            "state": a.state,
            "started_at": a.started_at.isoformat(),
            "ended_at": a.ended_at.isoformat() if a.ended_at else None,
            "measured": a.measured,
            "threshold": a.threshold,
            "unit": a.unit,
            "summary": a.summary,
            "summaries": a.summaries,
            "evidence": a.evidence,
        }
        for a in alerts
    ]
    body["photos"] = [
        {
            "id": p.id,
            "content_type": p.content_type,
            "size_bytes": p.size_bytes,
            "uploaded_by": p.uploaded_by,
            "uploaded_at": p.uploaded_at.isoformat(),
            "url": f"/api/incidents/{incident.id}/photos/{p.id}",
        }
        for p in photos
    ]
    return body


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="target state, e.g. accepted")
    note: str = Field(default="", max_length=2000)
    #: For rejected: false_alarm | duplicate | not_our_remit | other.
    reason: str | None = None
    #: For dispatched: send to another department.
    department: str | None = None
    #: A photo uploaded before with POST /photos.
    photo_id: int | None = None


@router.post(
    "/{incident_id}/transitions",
    summary="Move an incident (409 names the allowed transitions)",
    status_code=status.HTTP_201_CREATED,
)
def post_transition(
    incident_id: IncidentId,
    body: TransitionRequest,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> Any:
    incident = visible_incident(session, principal, incident_id)
    if body.photo_id is not None:
        photo = session.get(IncidentPhoto, body.photo_id)
        if photo is None or photo.incident_id != incident.id:
            raise HTTPException(422, "unknown photo_id")
    engine = engine_of(request)
    try:
        row = engine.transition(
            session,
            incident,
            body.to,
            actor_of(principal),
            note=body.note,
            photo_id=body.photo_id,
            reason=body.reason,
            department=body.department,
        )
    except TransitionError as exc:
        return JSONResponse(
            {"detail": str(exc), "current": exc.current.value, "allowed": exc.allowed},
            status_code=status.HTTP_409_CONFLICT,
        )
    except PermissionDenied as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except TransitionRequestError as exc:
        raise HTTPException(422, str(exc)) from None
    session.flush()
    [shown] = incidents_json(session, [incident])
    return {"transition": transition_json(row), "incident": shown}


@router.post(
    "/{incident_id}/photos",
    summary="Upload a photo (JPEG, PNG or WebP, checked by its bytes)",
    status_code=status.HTTP_201_CREATED,
)
async def post_photo(
    incident_id: IncidentId,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File(description="the photo")],
    transition_id: Annotated[int | None, Form()] = None,
) -> dict[str, Any]:
    incident = visible_incident(session, principal, incident_id)
    if principal.role == "viewer":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "viewers may not upload photos")
    data = await file.read()
    engine = engine_of(request)
    try:
        stored = store_photo(engine.data_dir, incident.id, data)
    except PhotoError as exc:
        code = 413 if "more than" in str(exc) else status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
        raise HTTPException(code, str(exc)) from None
    photo = IncidentPhoto(
        incident_id=incident.id,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        path=stored.relative_path,
        uploaded_by=principal.username,
        uploaded_at=engine.clock(),
    )
    session.add(photo)
    session.flush()
    if transition_id is not None:
        row = session.get(IncidentTransition, transition_id)
        if row is None or row.incident_id != incident.id:
            raise HTTPException(422, "unknown transition_id")
        row.photo_id = photo.id
    return {
        "id": photo.id,
        "content_type": photo.content_type,
        "size_bytes": photo.size_bytes,
        "sha256": photo.sha256,
        "url": f"/api/incidents/{incident.id}/photos/{photo.id}",
    }


@router.get("/{incident_id}/photos/{photo_id}", summary="A photo, as an image, never as HTML")
def get_photo(
    incident_id: IncidentId,
    photo_id: PhotoId,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> FileResponse:
    incident = visible_incident(session, principal, incident_id)
    photo = session.get(IncidentPhoto, photo_id)
    if photo is None or photo.incident_id != incident.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"photo {photo_id} not found")
    path = engine_of(request).data_dir / photo.path
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"photo {photo_id} file is gone")
    return FileResponse(
        path,
        media_type=photo.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": f'inline; filename="incident-{incident.id}-{photo.id}.'
            f'{path.suffix.lstrip(".")}"',
            "Cache-Control": "private, max-age=3600",
        },
    )
