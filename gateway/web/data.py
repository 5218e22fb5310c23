"""``/web/api/...``: small JSON the pages need that the API does not offer (the site plan
with states and the noise limit in force, the officer's worklist with locations and pictures,
parks occupancy), plus the centre's incident list as CSV. Same auth as the API."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlalchemy import select

from gateway.api.config import ApiConfig
from gateway.api.routers.sites import load_site_files
from gateway.auth.deps import CurrentPrincipal, DbSession, Principal, require_roles
from gateway.auth.scope import can_see_site, scope_of
from gateway.db.models import Alert
from gateway.incidents.api_common import incident_json, incidents_json
from gateway.incidents.lifecycle import ACTIVE_STATES
from gateway.incidents.models import Incident, IncidentAlert
from gateway.web import queries
from gateway.web.incident_filters import IncidentFilters, filtered_incidents
from whistle.config.site import SiteConfig

router = APIRouter(prefix="/web/api", tags=["pages"], include_in_schema=False)

Officer = Annotated[Principal, Depends(require_roles("admin", "officer"))]


def sites_of(request: Request) -> list[SiteConfig]:
    config: ApiConfig = request.app.state.api_config
    return load_site_files(config.sites_dir)


def _site(request: Request, principal: Principal, site_id: str) -> SiteConfig:
    for site in sites_of(request):
        if site.id == site_id and can_see_site(principal, site_id):
            return site
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"no site {site_id}")


def noise_limit_now(site: SiteConfig, device: Any, now: datetime | None = None) -> dict[str, Any]:
    """The GB 3096-2008 limit (or stricter local one) in force now at ``device``."""
    from models.noise.limits import applied_limit

    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(site.timezone))
    limit = applied_limit(local, device.zone_class, device.rules)
    return {
        "laeq_db": limit.laeq_db,
        "lafmax_db": limit.lafmax_db,
        "period": limit.period,
        "zone_class": limit.zone_class,
        "why": limit.reason,
    }


def _zones(device: Any) -> list[dict[str, Any]]:
    return [
        {"id": z.id, "kind": z.kind, "polygon": [list(p) for p in z.polygon]}
        for z in getattr(device, "zones", [])
    ]


def _entrance(site: SiteConfig) -> dict[str, float] | None:
    """Where the entrance is drawn: at the camera watching a zone called ``entrance``."""
    for dev in site.devices:
        if dev.position is not None and any(z.id == "entrance" for z in getattr(dev, "zones", [])):
            return {"x": dev.position.x, "y": dev.position.y}
    return None


@router.get("/market/{site_id}")
def market(
    site_id: str, request: Request, principal: CurrentPrincipal, session: DbSession
) -> dict[str, Any]:
    """The site plan: devices with position, state, open alerts, zones, snapshot, limit."""
    site = _site(request, principal, site_id)
    scope = scope_of(request.app.state.service)
    states = queries.device_states(session, site.id)
    open_alerts = queries.open_alerts_by_device(session, principal, scope, site.id)
    snapshots = queries.latest_snapshots(session, principal, scope, site.id)
    devices = []
    for dev in site.devices:
        row = states.get(dev.id)
        item: dict[str, Any] = {
            "id": dev.id,
            "kind": dev.kind,
            "name": dev.name,
            "name_en": dev.name_en or dev.name,
            "position": dev.position.model_dump() if dev.position else None,
            "state": row.state if row is not None else "unknown",
            "last_seen": row.last_seen.isoformat() if row and row.last_seen else None,
            "open_alerts": open_alerts.get(dev.id, []),
        }
        if dev.kind == "camera":
            item["zones"] = _zones(dev)
            item["snapshot"] = snapshots.get(dev.id)
        if dev.kind == "microphone":
            item["limit"] = noise_limit_now(site, dev)
        devices.append(item)
    return {
        "id": site.id,
        "name": site.name,
        "name_en": site.name_en or site.name,
        "timezone": site.timezone,
        "entrance": _entrance(site),
        "devices": devices,
    }


def _locations(request: Request) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for site in sites_of(request):
        site_loc = site.location.model_dump() if site.location else None
        out[(site.id, "")] = {
            "site_name": site.name,
            "site_name_en": site.name_en or site.name,
            "geo": site_loc,
            "position": None,
            "device_name": "",
            "device_name_en": "",
        }
        for dev in site.devices:
            out[(site.id, dev.id)] = {
                "site_name": site.name,
                "site_name_en": site.name_en or site.name,
                "geo": dev.location.model_dump() if dev.location else site_loc,
                "position": dev.position.model_dump() if dev.position else None,
                "device_name": dev.name,
                "device_name_en": dev.name_en or dev.name,
            }
    return out


@router.get("/patrol")
def patrol(request: Request, principal: Officer, session: DbSession) -> dict[str, Any]:
    """What needs the officer now: their department's incidents still owing work, each with
    where it is, a picture and the next SLA deadline (sorting happens in the page, which may
    know the officer's position)."""
    query = select(Incident).where(Incident.state.in_([s.value for s in ACTIVE_STATES]))
    if principal.role == "officer":
        query = query.where(Incident.department == (principal.department or ""))
    incidents = list(session.scalars(query.order_by(Incident.created_at).limit(200)))
    links: dict[int, list[Alert]] = {}
    if incidents:
        rows = session.execute(
            select(IncidentAlert.incident_id, Alert)
            .join(Alert, Alert.alert_id == IncidentAlert.alert_id)
            .where(IncidentAlert.incident_id.in_([i.id for i in incidents]))
            .order_by(Alert.started_at)
        )
        for iid, alert in rows:
            links.setdefault(iid, []).append(alert)
    pictures = queries.snapshot_of_alerts(
        session, [a.alert_id for alerts in links.values() for a in alerts]
    )
    places = _locations(request)
    items = []
    for incident in incidents:
        alerts = links.get(incident.id, [])
        device = alerts[-1].device if alerts else ""
        place = places.get((incident.site, device)) or places.get((incident.site, "")) or {}
        picture = next(
            (pictures[a.alert_id] for a in reversed(alerts) if a.alert_id in pictures), None
        )
        body = incident_json(incident, alerts[0].summaries if alerts else None)
        body.update(
            device=device,
            place=place,
            picture=picture,
            alert_ids=[a.alert_id for a in alerts],
            measured=alerts[-1].measured if alerts else {},
            unit=alerts[-1].unit if alerts else "",
        )
        items.append(body)
    return {"items": items, "now": datetime.now(UTC).isoformat()}


@router.get("/parks")
def parks(request: Request, principal: CurrentPrincipal, session: DbSession) -> dict[str, Any]:
    """Each visible park: its counted areas (occupancy vs capacity, today's curve in 10-minute
    means) and its car parks (free spaces), from whatever the site files and telemetry say."""
    sites = [s for s in queries.visible_sites(sites_of(request), principal) if s.kind == "park"]
    now = datetime.now(UTC)
    out = []
    for site in sites:
        since = queries.local_midnight(site.timezone, now)
        latest = queries.latest_values(session, site.id, ("occupancy", "carpark"), since)
        names = {d.id: (d.name, d.name_en or d.name) for d in site.devices}
        capacities = {d.id: getattr(d, "capacity", None) for d in site.devices if d.kind == "area"}
        area_ids = sorted(
            set(capacities) | {dev for (_s, dev), v in latest.items() if "occupancy" in v}
        )
        areas = []
        for dev in area_ids:
            values = latest.get((site.id, dev), {}).get("occupancy", {})
            capacity = values.get("capacity") or capacities.get(dev) or site.capacity
            curve = queries.series(session, site.id, dev, "occupancy", "occupancy", since, 10)
            areas.append(
                {
                    "id": dev,
                    "name": names.get(dev, (dev, dev))[0],
                    "name_en": names.get(dev, (dev, dev))[1],
                    "occupancy": values.get("occupancy"),
                    "capacity": capacity,
                    "ratio": values.get("ratio"),
                    "curve": [{"t": t.isoformat(), "v": round(v, 1)} for t, v in curve],
                }
            )
        carparks = []
        for (_s, dev), v in sorted(latest.items()):
            if "carpark" in v:
                c = v["carpark"]
                carparks.append(
                    {
                        "id": dev,
                        "name": names.get(dev, (dev, dev))[0],
                        "name_en": names.get(dev, (dev, dev))[1],
                        "free": c.get("free"),
                        "occupied": c.get("occupied"),
                        "total": c.get("total"),
                    }
                )
        out.append(
            {
                "id": site.id,
                "name": site.name,
                "name_en": site.name_en or site.name,
                "capacity": site.capacity,
                "timezone": site.timezone,
                "areas": areas,
                "carparks": carparks,
            }
        )
    return {"parks": out, "now": now.isoformat()}


CSV_FIELDS = (
    "id",
    "type",
    "site",
    "zone",
    "severity",
    "state",
    "department",
    "grid",
    "escalation_level",
    "reopen_count",
    "alert_count",
    "complaint_count",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "summary",
    # the gateway's line per language from what the first alert measured (else as sent)
    "summary_zh",
    "summary_en",
)


@router.get("/incidents.csv")
def incidents_csv(
    principal: CurrentPrincipal,
    session: DbSession,
    filters: Annotated[IncidentFilters, Query()],
) -> Response:
    """The centre's incident list with the page's filters, as CSV (UTF-8 with BOM, so a
    spreadsheet opens the Chinese text right)."""
    rows = filtered_incidents(session, principal, filters, limit=10_000)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in incidents_json(session, rows):
        lines = row["summaries"]
        writer.writerow(row | {f"summary_{k}": lines.get(k, row["summary"]) for k in ("zh", "en")})
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'},
    )


def since_hours(hours: int) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)
