"""API reads use a read-only session that never waits for the ingest's write lock."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.db.models import DeadLetter
from gateway.db.session import Store


@pytest.mark.parametrize("store", ["sqlite", "postgresql"], indirect=True)
def test_a_read_session_refuses_to_write(store: Store) -> None:
    with pytest.raises(RuntimeError, match="read-only"), store.read_session() as session:
        session.add(DeadLetter(topic="t", reason="r", detail="", payload=b"", payload_size=0))
        session.flush()


def test_reads_do_not_queue_behind_a_writer(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'gw.db'}")
    store.migrate()
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with store.session() as session:  # BEGIN IMMEDIATE: holds the write lock
            session.add(
                DeadLetter(
                    topic=f"t/{uuid.uuid4()}", reason="r", detail="", payload=b"", payload_size=0
                )
            )
            session.flush()
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(10)
    try:
        # the reader finishes while the writer still holds the lock (a write session would
        # wait for it), and sees the last committed snapshot
        with store.read_session() as session:
            count = session.scalar(select(func.count()).select_from(DeadLetter))
        assert count == 0
        assert thread.is_alive()
    finally:
        release.set()
        thread.join()
    store.dispose()
