"""``/healthz`` (no auth) and ``/metrics`` (Prometheus text).

``/metrics`` needs authentication like every endpoint but health: an admin's bearer token or
session, or the static ``metrics_token`` from the settings (``Authorization: Bearer <token>``,
what Prometheus' ``authorization`` scrape option sends). A static token lets a scraper in
without a user account whose password would have to live in the Prometheus config.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from gateway.api.config import ApiConfig
from gateway.api.schemas import HealthOut
from gateway.auth.deps import current_principal
from gateway.auth.roles import ADMIN

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])

_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def mqtt_connected(service: Any) -> bool | None:
    """Whether the service's MQTT ingest is connected; None when it runs no ingest."""
    ingest = getattr(service, "ingest", None)
    if ingest is None:
        return None
    connected = getattr(ingest, "connected", None)  # every MQTT connection of the ingest
    if connected is None:
        connected = getattr(getattr(ingest, "transport", None), "connected", None)
    if callable(connected):
        connected = connected()
    return None if connected is None else bool(connected)


def _database_ok(service: Any) -> bool:
    try:
        with service.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception as exc:
        log.warning("health check: database unreachable: %s", exc)
        return False


@router.get(
    "/healthz",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "Database or broker unreachable"}},
)
async def healthz(request: Request) -> Response:
    """Liveness and readiness: the database answers and MQTT is connected (when ingesting)."""
    service = request.app.state.service
    db_ok = await run_in_threadpool(_database_ok, service)
    mqtt = mqtt_connected(service)
    healthy = db_ok and mqtt is not False
    body = HealthOut(status="ok" if healthy else "unavailable", database=db_ok, mqtt_connected=mqtt)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)


def _metrics_allowed(request: Request, bearer: str | None) -> None:
    config: ApiConfig = request.app.state.api_config
    if (
        bearer is not None
        and config.metrics_token
        and hmac.compare_digest(bearer.encode("utf-8"), config.metrics_token.encode("utf-8"))
    ):
        return
    with request.app.state.service.store.session() as session:
        principal = current_principal(request, session, bearer)
    if principal.role != ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "metrics are for admins and scrapers")


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}, 401: {}, 403: {}},
)
def metrics(request: Request, bearer: Annotated[str | None, Depends(_bearer)]) -> Response:
    """Prometheus exposition text of the gateway's metrics."""
    _metrics_allowed(request, bearer)
    service = request.app.state.service
    registry_owner = getattr(service, "metrics", None)
    if registry_owner is None:
        from gateway.metrics import default_metrics

        registry_owner = default_metrics()
    body, content_type = registry_owner.render()
    return Response(body, media_type=content_type)
