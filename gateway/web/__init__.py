"""The gateway's web pages: market live view, patrol, centre, parks, devices, login.

Server-rendered Jinja2 templates with a little JavaScript (SSE from ``/api/stream``, charts
from the npm ``chart.js`` package served by the gateway itself; nothing loads from the
internet). Chinese first (zh-CN) with an English switch remembered in a cookie.

:func:`setup` appends the page router and the ``/web/api`` helper router to
``service.extra_routers``; ``gateway.api.app.create_app(service)`` includes them.
"""

from __future__ import annotations

from typing import Any


def setup(service: Any) -> None:
    """Register the pages (idempotent: a second call adds nothing)."""
    from gateway.web.data import router as data_router
    from gateway.web.pages import router as pages_router
    from gateway.web.static import router as static_router

    routers = getattr(service, "extra_routers", None)
    if routers is None:
        routers = []
        service.extra_routers = routers
    for router in (static_router, data_router, pages_router):
        if router not in routers:
            routers.append(router)
