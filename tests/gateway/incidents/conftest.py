"""Fixtures: the incidents world on SQLite and on a fresh PostgreSQL database.

One world per backend per test session; each test works in zones of its own (grouping and
matching are per zone), so tests do not see each other's incidents.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import PostgresFactory
from tests.gateway.incidents.helpers import T0, FakeClock, World, make_world


@pytest.fixture(scope="session")
def incidents_sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("incidents-sqlite")
    yield from make_world("sqlite", f"sqlite:///{tmp / 'whistle.db'}", tmp)


@pytest.fixture(scope="session")
def incidents_postgres_url(postgres_database: PostgresFactory) -> str:
    return postgres_database("incidents")


@pytest.fixture(scope="session")
def incidents_postgresql_world(
    tmp_path_factory: pytest.TempPathFactory, incidents_postgres_url: str
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("incidents-postgresql")
    yield from make_world("postgresql", incidents_postgres_url, tmp)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    """The world on each backend, its clock reset to T0 and its receiver emptied; the
    outbox is drained first so a test sees only its own notifications."""
    w: World = request.getfixturevalue(f"incidents_{request.param}_world")
    w.clock.now = T0
    w.runtime.set_clock(w.clock)
    w.receiver.fail_next = 0
    from sqlalchemy import update

    from gateway.incidents.models import Notification

    with w.store.session() as s:  # earlier tests' messages are not this test's business
        s.execute(
            update(Notification)
            .where(Notification.status == "pending")
            .values(status="failed", last_error="dropped by the test fixture")
        )
        s.execute(update(Notification).values(sent_at=None))
    w.receiver.clear()
    yield w


@pytest.fixture
def zone() -> str:
    """A zone of the test's own."""
    return f"z{uuid.uuid4().hex[:8]}"


__all__ = ["FakeClock"]
