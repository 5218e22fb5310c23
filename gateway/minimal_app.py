"""A minimal HTTP app (/healthz, /metrics) used until gateway.api provides create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI, Response

if TYPE_CHECKING:
    from gateway.service import GatewayService


def create_minimal_app(service: GatewayService) -> FastAPI:
    app = FastAPI(title="Whistle gateway (minimal)")
    app.state.service = service

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        ingest = service.ingest
        return {"ok": True, "mqtt_connected": bool(ingest and ingest.transport.connected)}

    @app.get("/metrics")
    def metrics() -> Response:
        body, content_type = service.metrics.render()
        return Response(body, media_type=content_type)

    for router in service.extra_routers:
        app.include_router(router)
    return app
