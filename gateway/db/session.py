"""The Store: one SQLAlchemy engine and session factory, SQLite (WAL) or PostgreSQL by URL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: How long a SQLite writer waits for the lock before failing, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE instead of pysqlite's deferred
    # BEGIN: a deferred transaction that reads and then writes fails at once with "database
    # is locked" when another writer committed in between; IMMEDIATE waits (busy_timeout).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_read(connection: Any) -> None:
    # A reader in WAL mode sees a snapshot and neither waits for nor blocks the writer.
    connection.exec_driver_sql("BEGIN")


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    raise RuntimeError("a read-only session tried to write (use Store.session for writes)")


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (the only PostgreSQL driver installed)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Store:
    """Engine plus ``sessionmaker``; ``with store.session() as s:`` commits on success."""

    def __init__(self, engine: Engine, read_engine: Engine | None = None) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker(engine, expire_on_commit=False)
        #: SQLite: a second engine whose transactions start deferred, for reads (the main
        #: engine's BEGIN IMMEDIATE would queue every API read behind ingest's writes).
        self.read_engine = read_engine or engine
        self.read_sessionmaker = sessionmaker(self.read_engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, **engine_kwargs: Any) -> Store:
        url = normalise_url(url)
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, **engine_kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
            if path == ":memory:" or not path:
                return cls(engine)  # one in-memory database: no second engine can see it
            read_engine = create_engine(url, **engine_kwargs)
            event.listen(read_engine, "connect", _sqlite_pragmas)
            event.listen(read_engine, "begin", _sqlite_begin_read)
            return cls(engine, read_engine)
        engine_kwargs.setdefault("pool_pre_ping", True)
        engine_kwargs.setdefault("pool_size", 10)
        return cls(create_engine(url, **engine_kwargs))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back otherwise."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only: it never takes SQLite's write lock and refuses to flush."""
        session = self.read_sessionmaker()
        event.listen(session, "before_flush", _refuse_writes)
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def migrate(self, revision: str = "head") -> None:
        """Run the Alembic migrations (gateway/db/migrations) up to ``revision``."""
        from alembic import command
        from alembic.config import Config

        logging.getLogger("alembic").setLevel(logging.WARNING)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        log.info("database migrated to %s", revision)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()
