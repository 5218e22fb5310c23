"""Open311 GeoReport v2 endpoints for 12345 hotline complaints.

- ``GET  /open311/v2/services.json``: the complaint categories (public);
- ``POST /open311/v2/requests.json``: a new request, form-encoded as GeoReport v2 specifies
  (``service_code``, ``description``, ``lat``, ``long``, ``address_string``, ``media_url``,
  ``requested_datetime``; Whistle's ``attribute[site]`` / ``attribute[zone]`` place it exactly)
  or the same fields as JSON; answers ``[{"service_request_id": ..., "service_notice": ...}]``;
- ``GET  /open311/v2/requests.json`` (``service_request_id``, ``service_code``, ``start_date``,
  ``end_date``, ``status``) and ``GET /open311/v2/requests/{id}.json``.
Requests need a bearer token (the hotline system's account) instead of GeoReport's api_key.
Besides the standard fields each request carries Whistle's ``incident_id``, ``grid_miss`` and
``matched_alert_id``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.auth.deps import CurrentPrincipal, DbSession, Principal
from gateway.incidents.api_common import MAX_DB_ID, RequestId, actor_of, engine_of
from gateway.incidents.complaints import ComplaintError, ComplaintInput, register_complaint
from gateway.incidents.lifecycle import can_see
from gateway.incidents.models import Complaint, Incident
from gateway.incidents.routing import DEPARTMENTS

router = APIRouter(prefix="/open311/v2", tags=["open311"])

CLOSED_INCIDENT_STATES = frozenset({"verified", "closed", "rejected"})


@router.get("/services.json", summary="Complaint categories (GeoReport v2 services)")
def services(request: Request) -> list[dict[str, Any]]:
    routing = engine_of(request).routing
    return [
        {
            "service_code": s.code,
            "service_name": s.name,
            "description": s.description or s.name_en,
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(s.alert_types),
            "group": s.name_en or s.code,
        }
        for s in routing.services
    ]


def _parse_time(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"{field}: not an ISO 8601 time: {value!r}"
        ) from None
    if parsed.tzinfo is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{field}: needs a time zone offset")
    return parsed


def _parse_float(value: Any, field: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"{field}: not a number") from None


async def _fields(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            doc = await request.json()
        except ValueError:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "body is not JSON") from None
        if not isinstance(doc, dict):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, "body is not a JSON object")
        return doc
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def request_json(
    c: Complaint, incident: Incident | None, routing_services: dict[str, str]
) -> dict[str, Any]:
    closed = incident is not None and incident.state in CLOSED_INCIDENT_STATES
    agency = DEPARTMENTS.get(incident.department, ("", ""))[0] if incident else ""
    return {
        "service_request_id": str(c.id),
        "status": "closed" if closed or c.status == "closed" else "open",
        "status_notes": c.status_notes,
        "service_name": routing_services.get(c.service_code, c.service_code),
        "service_code": c.service_code,
        "description": c.description,
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": c.requested_at.isoformat(),
        "updated_datetime": (incident.updated_at if incident else c.updated_at).isoformat(),
        "expected_datetime": None,
        "address": c.address,
        "address_id": None,
        "zipcode": None,
        "lat": c.lat,
        "long": c.lon,
        "media_url": c.media_url,
        "incident_id": c.incident_id,
        "grid_miss": c.grid_miss,
        "matched_alert_id": c.matched_alert_id,
        "site": c.site,
        "zone": c.zone,
    }


@router.post("/requests.json", summary="File a complaint", status_code=status.HTTP_201_CREATED)
async def post_request(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    if principal.role not in ("admin", "manager", "officer"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "viewers may not file complaints")
    fields = await _fields(request)
    engine = engine_of(request)
    code = fields.get("service_code")
    if not code:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "service_code is required")
    when = _parse_time(fields.get("requested_datetime"), "requested_datetime") or engine.clock()
    lat = _parse_float(fields.get("lat"), "lat")
    lon = _parse_float(fields.get("long"), "long")
    address = str(fields.get("address_string") or fields.get("address") or "")
    if (lat is None or lon is None) and not address and not fields.get("attribute[site]"):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            "a location is required: lat and long, address_string, or attribute[site]",
        )
    item = ComplaintInput(
        service_code=str(code),
        requested_at=when,
        description=str(fields.get("description") or "")[:4000],
        address=address[:300],
        lat=lat,
        lon=lon,
        site=fields.get("attribute[site]") or fields.get("site") or None,
        zone=fields.get("attribute[zone]") or fields.get("zone") or None,
        external_id=fields.get("external_id") or fields.get("token") or None,
        media_url=str(fields.get("media_url") or "")[:500],
        channel="open311",
    )
    try:
        complaint = register_complaint(engine, session, item)
    except ComplaintError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    notice = (
        "已转办 / routed" if not complaint.grid_miss else "网格应发现未发现 / missed by the grid"
    )
    return [
        {
            "service_request_id": str(complaint.id),
            "service_notice": notice,
            "account_id": None,
        }
    ]


def _visible(session: Session, principal: Principal, c: Complaint) -> tuple[bool, Incident | None]:
    incident = session.get(Incident, c.incident_id) if c.incident_id else None
    actor = actor_of(principal)
    if incident is not None:
        return can_see(actor, incident.site, incident.department), incident
    return can_see(actor, c.site or "", ""), None


def _request_ids(text: str) -> list[int]:
    """The ids of a comma list (``service_request_id``); 400 naming the first part that is
    not a database id (1..MAX_DB_ID: a larger number overflows the query)."""
    ids = []
    for part in text.split(","):
        try:
            value = int(part)
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_DB_ID:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, f"service_request_id {part!r} is not an id"
            )
        ids.append(value)
    return ids


@router.get("/requests.json", summary="Complaints (GeoReport v2 service requests)")
def list_requests(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status_: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    engine = engine_of(request)
    query = select(Complaint)
    if service_request_id:
        query = query.where(Complaint.id.in_(_request_ids(service_request_id)))
    if service_code:
        query = query.where(Complaint.service_code.in_(service_code.split(",")))
    start = _parse_time(start_date, "start_date")
    end = _parse_time(end_date, "end_date")
    if start:
        query = query.where(Complaint.requested_at >= start)
    if end:
        query = query.where(Complaint.requested_at < end)
    names = {s.code: s.name for s in engine.routing.services}
    out = []
    for c in session.scalars(query.order_by(Complaint.requested_at.desc()).limit(limit)):
        visible, incident = _visible(session, principal, c)
        if not visible:
            continue
        row = request_json(c, incident, names)
        if status_ and row["status"] != status_:
            continue
        out.append(row)
    return out


@router.get("/requests/{request_id}.json", summary="One complaint")
def get_request(
    request_id: RequestId, request: Request, session: DbSession, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    c = session.get(Complaint, request_id)
    if c is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"request {request_id} not found")
    visible, incident = _visible(session, principal, c)
    if not visible:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"request {request_id} not found")
    names = {s.code: s.name for s in engine_of(request).routing.services}
    return [request_json(c, incident, names)]
