"""The page routes: sign-in, language switch, and one page per job (market, patrol, centre,
parks, devices). A page the caller's role may not open is a 403 page and not linked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from gateway.auth.deps import SESSION_COOKIE, Principal
from gateway.auth.roles import DEPARTMENTS, MANAGER
from gateway.auth.scope import alert_clause, scope_of
from gateway.db.models import Alert, Device
from gateway.web import queries
from gateway.web.access import home, may_open
from gateway.web.data import sites_of
from gateway.web.i18n import LANG_COOKIE, LANGS
from gateway.web.incident_filters import STATES, IncidentFilters, filtered_incidents
from gateway.web.render import login_redirect, page_principal, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _gate(request: Request, page: str) -> Principal | Response:
    principal = page_principal(request)
    if principal is None:
        return login_redirect(request)
    if not may_open(principal, page):
        return render(request, "forbidden.html", principal, status_code=403, page=page)
    return principal


@router.get("/")
def index(request: Request) -> Response:
    principal = page_principal(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(home(principal), status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", None, next=_safe_next(next) or "", error=False)


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    from gateway.auth.signin import SignInRefused, set_session_cookie, sign_in

    with request.app.state.service.store.session() as session:
        try:
            if not (username and password):
                raise SignInRefused(401, "username and password are required")
            user = sign_in(request, session, username, password)
        except SignInRefused as refused:
            page = render(
                request,
                "login.html",
                None,
                status_code=refused.status_code,
                next=_safe_next(next) or "",
                error=True,
                username=username,
            )
            if refused.retry_after_s:
                page.headers["Retry-After"] = str(refused.retry_after_s)
            return page
        principal = Principal(user.username, user.role, user.site, user.department)
        response = RedirectResponse(_safe_next(next) or home(principal), status_code=303)
        set_session_cookie(response, request, user)
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/lang/{code}")
def set_language(code: str, next: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(next) or "/", status_code=303)
    if code in LANGS:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/market")
def market_page(request: Request, site: str | None = None) -> Response:
    gate = _gate(request, "market")
    if not isinstance(gate, Principal):
        return gate
    markets = [s for s in queries.visible_sites(sites_of(request), gate) if s.kind == "market"]
    if gate.role == MANAGER:
        markets = [s for s in markets if s.id == gate.site]
    chosen = next((s for s in markets if s.id == site), markets[0] if markets else None)
    return render(request, "market.html", gate, page="market", sites=markets, site=chosen)


@router.get("/patrol")
def patrol_page(request: Request) -> Response:
    gate = _gate(request, "patrol")
    if not isinstance(gate, Principal):
        return gate
    return render(request, "patrol.html", gate, page="patrol")


@router.get("/centre")
def centre_page(request: Request, filters: Annotated[IncidentFilters, Query()]) -> Response:
    gate = _gate(request, "centre")
    if not isinstance(gate, Principal):
        return gate
    with request.app.state.service.store.session() as session:
        incidents = filtered_incidents(session, gate, filters)
        from gateway.incidents.api_common import incident_json

        rows = [incident_json(i) for i in incidents]
    sites = queries.visible_sites(sites_of(request), gate)
    query = request.url.query
    return render(
        request,
        "centre.html",
        gate,
        page="centre",
        incidents=rows,
        escalated=[r for r in rows if r["escalation_level"] > 0],
        filters=filters,
        states=STATES,
        departments=DEPARTMENTS,
        sites=sites,
        csv_url="/web/api/incidents.csv" + (f"?{query}" if query else ""),
        since=(datetime.now(UTC) - timedelta(days=filters.days or 3660)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        quote=quote,
    )


@router.get("/parks")
def parks_page(request: Request) -> Response:
    gate = _gate(request, "parks")
    if not isinstance(gate, Principal):
        return gate
    return render(request, "parks.html", gate, page="parks")


def _device_rows(request: Request, principal: Principal) -> list[dict[str, Any]]:
    with request.app.state.service.store.session() as session:
        query = select(Device)
        if principal.role == MANAGER:
            query = query.where(Device.site == (principal.site or ""))
        devices = list(session.scalars(query.order_by(Device.site, Device.device_id)))
        since = datetime.now(UTC) - timedelta(hours=24)
        latest = queries.latest_values(
            session, None, queries.HEALTH_STREAMS, since, [d.device_id for d in devices]
        )
        open_alerts: dict[tuple[str, str], list[str]] = {}
        for site, dev, type_ in session.execute(
            select(Alert.site, Alert.device, Alert.type).where(
                Alert.state != "closed",
                alert_clause(principal, scope_of(request.app.state.service)),
            )
        ):
            open_alerts.setdefault((site, dev), []).append(type_)
    rows = []
    for d in devices:
        values = latest.get((d.site, d.device_id), {})
        health: dict[str, Any] = {
            **values.get("health", {}),
            **values.get("camera", {}),
            **(d.health or {}),
        }
        alerts = sorted(set(open_alerts.get((d.site, d.device_id), [])))
        kind = d.kind or ("agent" if d.is_agent else "")
        faults = [k for k in ("stalled", "frozen", "garbage") if health.get(k)]
        faults += [a for a in alerts if "fault" in a or "tamper" in a or "offline" in a]
        if kind == "counter":
            faults += [
                k
                for k, v in health.items()
                if v
                and any(
                    w in k
                    for w in (
                        "reset",
                        "wrap",
                        "stuck",
                        "reorder",
                        "repeat",
                        "offline",
                        "rejected",
                        "unknown",
                    )
                )
            ]
        rows.append(
            {
                "site": d.site,
                "id": d.device_id,
                "kind": kind,
                "agent": d.agent,
                "state": d.state,
                "last_seen": d.last_seen,
                "version": d.software_version,
                "config_hash": d.config_hash,
                "fps": health.get("fps"),
                "stalled": bool(health.get("stalled")),
                "mic_valid": None if kind != "microphone" else "microphone_fault" not in alerts,
                "faults": sorted(set(faults)),
                "health": {k: v for k, v in sorted(health.items())[:12]},
            }
        )
    return rows


@router.get("/devices")
def devices_page(request: Request) -> Response:
    gate = _gate(request, "devices")
    if not isinstance(gate, Principal):
        return gate
    rows = _device_rows(request, gate)
    return render(
        request,
        "devices.html",
        gate,
        page="devices",
        devices=rows,
        online=sum(r["state"] == "online" for r in rows),
    )


def forbidden_html(request: Request, principal: Principal, page: str) -> HTMLResponse:
    return render(request, "forbidden.html", principal, status_code=403, page=page)
