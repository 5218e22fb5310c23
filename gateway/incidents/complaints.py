"""12345 hotline complaints: locate them, match them to sensor alerts by place, type and time,
and trace back the ones no sensor saw (网格事件倒查: 网格应发现未发现).

A matched complaint is linked to its alert's incident. An unmatched one opens an incident of
its own (routed like an alert) and is flagged as a miss by the grid, counted per zone and
detector, and warned to the grid owner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gateway.db.models import Alert
from gateway.incidents.engine import IncidentEngine
from gateway.incidents.models import Complaint, Incident, IncidentAlert
from gateway.incidents.routing import RoutingConfig

EARTH_RADIUS_M = 6_371_000.0


class ComplaintError(ValueError):
    """A complaint that cannot be taken (unknown service, no place); the text says why."""


@dataclass(frozen=True)
class ComplaintInput:
    service_code: str
    requested_at: datetime
    description: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    site: str | None = None
    zone: str | None = None
    external_id: str | None = None
    media_url: str = ""
    channel: str = "open311"


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine, spherical Earth of radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def locate(routing: RoutingConfig, item: ComplaintInput) -> tuple[str | None, str | None]:
    """(site, zone) of a complaint: given ids first, then address keywords, then the nearest
    site whose radius holds the coordinates."""
    site, zone = item.site, item.zone
    if site is None and item.address:
        for site_id, place in routing.sites.items():
            if any(k and k in item.address for k in place.address_keywords):
                site = site_id
                break
    if site is None and item.lat is not None and item.lon is not None:
        best: tuple[float, str] | None = None
        for site_id, place in routing.sites.items():
            if place.location is None:
                continue
            d = haversine_m(item.lat, item.lon, place.location.lat, place.location.lon)
            if d <= place.radius_m and (best is None or d < best[0]):
                best = (d, site_id)
        site = best[1] if best else None
    if site is not None and zone is None and item.address and site in routing.sites:
        for zone_id, words in routing.sites[site].zone_keywords.items():
            if any(w and w in item.address for w in words):
                zone = zone_id
                break
    return site, zone


def find_matching_alert(
    session: Session,
    routing: RoutingConfig,
    alert_types: list[str],
    site: str,
    zone: str | None,
    requested_at: datetime,
) -> Alert | None:
    """The alert of one of ``alert_types`` at ``site`` (and ``zone`` when known) that was
    active between ``lookback_min`` before and ``lookahead_min`` after the complaint."""
    if not alert_types:
        return None
    lookback = timedelta(minutes=routing.matching.lookback_min)
    lookahead = timedelta(minutes=routing.matching.lookahead_min)
    query = select(Alert).where(
        Alert.site == site,
        Alert.type.in_(alert_types),
        Alert.started_at <= requested_at + lookahead,
        or_(Alert.ended_at.is_(None), Alert.ended_at >= requested_at - lookback),
    )
    if zone is not None:
        query = query.where(Alert.zone == zone)
    candidates = list(session.scalars(query.limit(50)))
    if not candidates:
        return None
    return min(candidates, key=lambda a: abs((a.started_at - requested_at).total_seconds()))


def detector_for(
    session: Session, alert_types: list[str], site: str, zone: str | None
) -> str | None:
    """The device that has raised these alert types here before (the detector that should
    have seen the complaint), or None when no detector covers the place."""
    if not alert_types:
        return None
    query = select(Alert.device).where(Alert.site == site, Alert.type.in_(alert_types))
    if zone is not None:
        query = query.where(Alert.zone == zone)
    return session.scalar(query.order_by(Alert.started_at.desc()).limit(1))


def register_complaint(engine: IncidentEngine, session: Session, item: ComplaintInput) -> Complaint:
    """Store, locate and match one complaint; returns the stored row (``grid_miss`` set when
    no alert saw it)."""
    routing = engine.routing
    service = routing.service(item.service_code)
    if service is None:
        known = ", ".join(s.code for s in routing.services)
        raise ComplaintError(f"unknown service_code {item.service_code!r}; known: {known}")
    if item.requested_at.tzinfo is None:
        raise ComplaintError("requested_datetime needs a time zone (ISO 8601 with offset)")
    if item.external_id is not None:
        existing = session.scalar(
            select(Complaint).where(Complaint.external_id == item.external_id)
        )
        if existing is not None:
            return existing  # the same hotline ticket imported twice
    site, zone = locate(routing, item)
    if site is None:
        raise ComplaintError(
            "cannot place the complaint: give a site, an address naming a known site, or "
            "lat/long within a site's radius"
        )
    now = engine.clock()
    complaint = Complaint(
        external_id=item.external_id,
        channel=item.channel,
        service_code=service.code,
        description=item.description,
        address=item.address,
        lat=item.lat,
        lon=item.lon,
        site=site,
        zone=zone,
        requested_at=item.requested_at,
        status="open",
        status_notes="",
        media_url=item.media_url,
        grid_miss=False,
        created_at=now,
        updated_at=now,
    )
    session.add(complaint)
    alert = find_matching_alert(
        session, routing, service.alert_types, site, zone, item.requested_at
    )
    if alert is not None:
        complaint.matched_alert_id = alert.alert_id
        link = session.scalar(select(IncidentAlert).where(IncidentAlert.alert_id == alert.alert_id))
        if link is not None:
            incident = session.get(Incident, link.incident_id)
            if incident is not None:
                complaint.incident_id = incident.id
                incident.complaint_count += 1
                complaint.status_notes = f"matched sensor alert; incident #{incident.id}"
        session.flush()
        return complaint
    incident = engine.create_from_complaint(
        session,
        incident_type=service.incident_type,
        site=site,
        zone=zone,
        when=item.requested_at,
        summary=f"12345: {item.description}"[:500],
    )
    complaint.incident_id = incident.id
    complaint.grid_miss = True
    complaint.miss_detector = detector_for(session, service.alert_types, site, zone)
    complaint.status_notes = (
        f"no sensor alert matched: missed by the grid (网格应发现未发现); incident #{incident.id}"
    )
    session.flush()
    engine.notify(session, incident, "grid_miss", note=complaint.status_notes)
    return complaint
