"""Fixtures of the gateway core tests: a Store on SQLite and on PostgreSQL, an in-process
gateway on its own Mosquitto."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.db.session import Store
from gateway.metrics import GatewayMetrics
from gateway.service import GatewayService
from gateway.settings import Settings

_PG_STORES: dict[str, Store] = {}


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated Store: a fresh SQLite file, or this session's PostgreSQL database (tests
    keep apart by using their own random site ids)."""
    if request.param == "sqlite":
        s = Store.from_url(f"sqlite:///{tmp_path / 'gw.db'}")
        s.migrate()
        yield s
        s.dispose()
        return
    url: str = request.getfixturevalue("postgres_url")
    if url not in _PG_STORES:
        s = Store.from_url(url)
        s.migrate()
        _PG_STORES[url] = s
    yield _PG_STORES[url]


@pytest.fixture
def pg_store(postgres_url: str) -> Store:
    if postgres_url not in _PG_STORES:
        s = Store.from_url(postgres_url)
        s.migrate()
        _PG_STORES[postgres_url] = s
    return _PG_STORES[postgres_url]


GatewayFactory = Callable[..., GatewayService]


@pytest.fixture
def gateway_factory(tmp_path: Path) -> Iterator[GatewayFactory]:
    """Start in-process gateways (ingest only, no HTTP); stopped at teardown."""
    started: list[GatewayService] = []

    def factory(broker_url: str, store: Store | None = None, **overrides: Any) -> GatewayService:
        data_dir = tmp_path / f"gw-{uuid.uuid4().hex[:6]}"
        values: dict[str, Any] = {
            "broker_url": broker_url,
            "data_dir": data_dir,
            "client_id": f"gw-{uuid.uuid4().hex[:8]}",
            "serve_http": False,
            "flush_interval_s": 0.2,
            "presence_check_interval_s": 3600,
            "demo": True,
            "demo_password": "x",
            "sites_dir": tmp_path / "no-sites",
        }
        values.update(overrides)
        settings = Settings(**values)
        service = GatewayService(settings, store=store, metrics=GatewayMetrics())
        service.start()
        started.append(service)
        assert service.ingest is not None
        assert service.ingest.wait_ready(15), "gateway did not subscribe"
        return service

    yield factory
    for service in started:
        service.stop()
