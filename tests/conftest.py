"""Fixtures shared by the whole suite: free ports, our own Mosquitto processes, PostgreSQL.

Tests talk to real servers. The machine's Mosquitto runs on 127.0.0.1:1883; a test that needs
its own configuration (passwords, ACLs, restarts) asks ``mosquitto_factory`` for a broker on a
free port started from a config file the test writes (or one of the project's).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data" / "real"
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s} s")


@dataclass
class MosquittoProcess:
    """A mosquitto we started: ``stop()``/``start()`` simulate a broker outage."""

    config_path: Path
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        if shutil.which("mosquitto") is None:
            pytest.fail("mosquitto is not installed (make test installs it)")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.config_path)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(self.port)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"mosquitto did not start: {self.log_path.read_text()}") from None

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


MosquittoFactory = Callable[..., MosquittoProcess]


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[MosquittoFactory]:
    """Start mosquitto processes from a config text; ``{port}`` and ``{dir}`` are filled in.

    The default config allows anonymous clients, keeps messages in a persistent store and
    lifts the per-client queue limits a collector needs.
    """
    started: list[MosquittoProcess] = []

    def factory(config: str | None = None, port: int | None = None) -> MosquittoProcess:
        port = port or free_port()
        workdir = tmp_path / f"mosquitto-{port}"
        workdir.mkdir(exist_ok=True)
        text = config or (
            "listener {port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            "persistence_location {dir}/\n"
            "max_queued_messages 0\n"
            "max_inflight_messages 100\n"
            "set_tcp_nodelay true\n"
        )
        if os.geteuid() == 0 and "\nuser " not in text:
            # as root, mosquitto switches to a user that cannot read pytest's tmp_path
            text += "user root\n"
        conf = workdir / "mosquitto.conf"
        conf.write_text(text.format(port=port, dir=workdir))
        broker = MosquittoProcess(conf, port, workdir / "mosquitto.log")
        broker.start()
        started.append(broker)
        return broker

    yield factory
    for broker in started:
        broker.stop(kill=True)


@pytest.fixture(scope="session")
def system_mosquitto_url() -> str:
    """The Mosquitto this machine runs on 127.0.0.1:1883 (anonymous, loopback)."""
    try:
        wait_for_port(1883, timeout_s=2)
    except TimeoutError:
        pytest.fail("no Mosquitto on 127.0.0.1:1883 (.ci/run starts it)")
    return "mqtt://127.0.0.1:1883"


PostgresFactory = Callable[[str], str]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresFactory]:
    """Make fresh PostgreSQL databases (``factory(label) -> url``); all dropped at the end."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    names: list[str] = []

    def factory(label: str = "test") -> str:
        name = f"whistle_{label}_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as conn:
                conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is not usable: {exc}")
        names.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    yield factory
    with admin.connect() as conn:
        for name in names:
            conn.execute(
                sqlalchemy.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_database: PostgresFactory) -> str:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    return postgres_database("test")


@pytest.fixture
def real_data_dir() -> Path:
    """The real footage shared with the project (never shipped in the package)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real footage folder {SHARED_DATA} is absent on this machine")
    return SHARED_DATA
