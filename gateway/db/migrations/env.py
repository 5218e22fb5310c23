"""Alembic environment: the connection comes from Store.migrate (config.attributes)."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import create_engine

from gateway.db.base import Base

# Import every module that adds tables to Base, so autogenerate sees them all.
for _name in ("gateway.db.models", "gateway.incidents.models"):
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not _name.startswith(exc.name):
            raise

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no connection given and no sqlalchemy.url configured")
        engine = create_engine(url)
        with engine.begin() as conn:
            context.configure(
                connection=conn, target_metadata=target_metadata, render_as_batch=True
            )
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
