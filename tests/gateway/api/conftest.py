"""Fixtures: the seeded API world on SQLite and on a fresh PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from gateway.auth.users import use_hasher
from tests.gateway.api.helpers import POSTGRES_ADMIN_URL, World, make_world


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
def api_postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database of our own (other suites may share ``postgres_url``)."""
    import sqlalchemy

    name = f"whistle_api_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is not usable: {exc}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(
            sqlalchemy.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ),
            {"n": name},
        )
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


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
