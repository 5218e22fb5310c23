"""``create_app(service)``: the gateway's FastAPI application.

The service (``gateway.service.GatewayService`` or anything with ``settings`` and ``store``)
is kept in ``app.state.service``; routers reach the database through it
(:data:`gateway.auth.deps.DbSession`). Routers of other parts (incidents) come in through
``service.extra_routers``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from gateway.api.config import ApiConfig
from gateway.api.errors import install_error_handlers
from gateway.api.middleware import BodyLimitMiddleware, SecurityHeadersMiddleware
from gateway.api.routers import alerts, auth, devices, evidence, health, sites, stream, telemetry

log = logging.getLogger(__name__)

DESCRIPTION = """\
Whistle gateway API: alerts, evidence, devices, sites, telemetry aggregates and a live event
stream from the edge agents.

Authenticate with the OAuth2 password flow (`POST /api/auth/token`, then
`Authorization: Bearer <token>`) or, for pages, a cookie session (`POST /api/auth/login`).
Roles: **admin** and **viewer** see everything (only admin administers), a **manager** sees one
site, an **officer** sees the alerts routed to their department. Errors are JSON
`{"detail": ...}`; a bad parameter gives 422 whose `detail[].loc` names it.
"""


def _bootstrap_users(app: FastAPI) -> None:
    """Demo users (demo mode) and the configured admin; another instance starting at the same
    moment may insert them first, so a unique-key clash is retried once."""
    from sqlalchemy.exc import IntegrityError

    from gateway.auth.users import ensure_admin, ensure_demo_users

    config: ApiConfig = app.state.api_config
    if not config.bootstrap_users:
        return
    for attempt in (1, 2):
        try:
            with app.state.service.store.session() as session:
                if config.demo and config.demo_password:
                    ensure_demo_users(session, config.demo_password)
                if config.admin_password:
                    ensure_admin(session, config.admin_password)
            return
        except IntegrityError:
            if attempt == 2:
                raise
            log.warning("users were created concurrently by another instance; checking again")


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    await run_in_threadpool(_bootstrap_users, app)
    yield


def create_app(service: Any, config: ApiConfig | None = None) -> FastAPI:
    """The API for ``service``; ``config`` defaults to what ``service.settings`` says."""
    config = config or ApiConfig.from_settings(getattr(service, "settings", None))
    app = FastAPI(
        title="Whistle gateway",
        version="1",
        description=DESCRIPTION,
        lifespan=_lifespan,
    )
    app.state.service = service
    app.state.api_config = config
    app.state.secret_key = config.secret_key
    app.state.internal_errors = []
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    for module in (auth, alerts, evidence, devices, sites, telemetry, stream, health):
        app.include_router(module.router)
    for router in getattr(service, "extra_routers", None) or ():
        app.include_router(router)
    return app
