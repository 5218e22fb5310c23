"""Fixtures: the seeded API world on SQLite and on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from gateway.auth.users import use_hasher
from tests.conftest import PostgresFactory
from tests.gateway.api.helpers import World, make_world


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with small memory and time costs: the tests hash and verify a lot."""
    previous = use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    use_hasher(previous)


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The SQLite world; tests of HTTP parsing (not SQL) use only this one."""
    tmp = tmp_path_factory.mktemp("api-sqlite")
    yield from make_world("sqlite", f"sqlite:///{tmp / 'whistle.db'}", tmp)


@pytest.fixture(scope="session")
def api_postgres_url(postgres_database: PostgresFactory) -> str:
    """A fresh PostgreSQL database of our own (other suites may share ``postgres_url``)."""
    return postgres_database("api")


@pytest.fixture(scope="session")
def postgresql_world(
    tmp_path_factory: pytest.TempPathFactory, api_postgres_url: str
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("api-postgresql")
    yield from make_world("postgresql", api_postgres_url, tmp)


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest) -> World:
    """The world on each backend."""
    return request.getfixturevalue(f"{request.param}_world")
