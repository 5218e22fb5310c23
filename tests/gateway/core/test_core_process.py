"""The gateway as processes against real Mosquitto and PostgreSQL: kill -9 mid-stream,
two instances sharing the load, and the production-mode guard."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.db.models import Alert, AlertMessage, Event, TelemetryMinute
from gateway.db.session import Store
from tests.conftest import MosquittoFactory
from tests.gateway.core.core_helpers import T0, Publisher, alert, new_site, telemetry, wait_until
from tests.reliability.procs import GatewayProcess
from whistle.cli import main

#: ``spawn(broker_url, db_url, client_id, *extra_args, wait=True)`` starts a gateway process.
Spawn = Callable[..., GatewayProcess]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    procs: list[GatewayProcess] = []

    def start(
        broker_url: str, db_url: str, client_id: str, *extra: str, wait: bool = True
    ) -> GatewayProcess:
        proc = GatewayProcess(
            broker_url=broker_url,
            data_dir=tmp_path / client_id,
            client_id=client_id,
            db_url=db_url,
            sites_dir=tmp_path / "none",
            extra_args=extra,
        )
        procs.append(proc)
        if wait:
            proc.wait_ready()
        return proc

    yield start
    for proc in procs:
        proc.terminate()


def _alerts_stored(store: Store, site: str) -> tuple[int, int, int]:
    with store.session() as s:
        alerts = s.scalar(select(func.count()).select_from(Alert).where(Alert.site == site))
        messages = s.scalar(
            select(func.count()).select_from(AlertMessage).join(Alert).where(Alert.site == site)
        )
        events = s.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.kind == "alert", Event.data["site"].as_string() == site)
        )
    return int(alerts or 0), int(messages or 0), int(events or 0)


def test_kill_9_while_alerts_flow_loses_and_doubles_nothing(
    mosquitto_factory: MosquittoFactory, postgres_url: str, pg_store: Store, spawn: Spawn
) -> None:
    broker = mosquitto_factory()
    site = new_site()
    total = 400
    gw = spawn(broker.url, postgres_url, "gw-kill")
    pub = Publisher(broker.url)
    sent = threading.Event()
    killed = threading.Event()

    def publish() -> None:
        for i in range(total):
            pub.alert(alert(site, f"cam{i % 4}", summary=f"alert {i}"))
            if i == total // 4:
                killed.wait(10)  # kill lands while the first quarter is being stored
            time.sleep(0.002)
        pub.wait()
        sent.set()

    thread = threading.Thread(target=publish)
    thread.start()
    wait_until(lambda: _alerts_stored(pg_store, site)[0] > 20, timeout_s=30)
    gw.kill9()
    killed.set()
    stored_at_kill = _alerts_stored(pg_store, site)[0]
    assert 0 < stored_at_kill < total
    thread.join(30)
    assert sent.is_set()
    spawn(broker.url, postgres_url, "gw-kill")  # same client id: the broker kept the session
    assert wait_until(lambda: _alerts_stored(pg_store, site)[0] >= total, timeout_s=60)
    time.sleep(0.5)  # re-deliveries of unacked messages land now; they must change nothing
    assert _alerts_stored(pg_store, site) == (total, total, total)
    pub.close()


def test_two_instances_share_the_load_and_store_everything_once(
    mosquitto_factory: MosquittoFactory, postgres_url: str, pg_store: Store, spawn: Spawn
) -> None:
    broker = mosquitto_factory()
    site = new_site()
    group = f"g{uuid.uuid4().hex[:6]}"
    logs = [
        spawn(broker.url, postgres_url, f"gw-share-{n}", "--shared-group", group, wait=False)
        for n in range(2)
    ]
    assert all(proc.ready.wait(60) for proc in logs)
    pub = Publisher(broker.url)
    n_alerts, n_tele = 300, 600
    for i in range(max(n_alerts, n_tele)):
        if i < n_alerts:
            pub.alert(alert(site, f"cam{i % 3}"))
        if i < n_tele:
            pub.telemetry(
                site, f"mic{i % 2}", "counts", telemetry(i, T0 + timedelta(seconds=i), people=1.0)
            )
    pub.wait()

    def telemetry_count() -> int:
        with pg_store.session() as s:
            return int(
                s.scalar(
                    select(func.coalesce(func.sum(TelemetryMinute.count), 0)).where(
                        TelemetryMinute.site == site
                    )
                )
                or 0
            )

    assert wait_until(lambda: _alerts_stored(pg_store, site)[0] >= n_alerts, timeout_s=60)
    assert wait_until(lambda: telemetry_count() >= n_tele, timeout_s=30)
    time.sleep(0.5)
    assert _alerts_stored(pg_store, site) == (n_alerts, n_alerts, n_alerts)
    assert telemetry_count() == n_tele
    for proc in logs:
        proc.terminate()
    # each instance logs what it stored when it stops
    shares = [_stored_share(proc.log_path) for proc in logs]
    assert all(share > 0 for share in shares), shares
    assert sum(shares) == n_alerts + n_tele


def _stored_share(log_path: Path) -> int:
    for line in reversed(log_path.read_text().splitlines()):
        if "ingest stopped:" in line:
            counts = dict(part.split("=") for part in line.split("ingest stopped:")[1].split())
            return int(counts["alert"]) + int(counts["telemetry"])
    raise AssertionError(f"no final counts in {log_path}")


def test_production_mode_refuses_to_start_without_secrets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WHISTLE_SECRET_KEY", "WHISTLE_ADMIN_PASSWORD", "WHISTLE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    status = main(["gateway", "--data-dir", str(tmp_path), "--no-http"])
    out = capsys.readouterr().out
    assert status == 2
    assert "secret_key" in out and "admin_password" in out and "--demo" in out


def test_demo_gateway_serves_http_and_stops_cleanly_on_sigterm(
    mosquitto_factory: MosquittoFactory, tmp_path: Path
) -> None:

    from tests.conftest import free_port

    broker = mosquitto_factory()
    port = free_port()
    proc = GatewayProcess(
        broker_url=broker.url,
        data_dir=tmp_path / "demo",
        client_id="gw-demo",
        http_port=port,
        sites_dir=tmp_path / "none",
    )
    try:
        proc.wait_ready()
        assert wait_until(lambda: _healthz(port) == 200, timeout_s=30)
        assert (tmp_path / "demo" / "whistle.db").is_file()
    finally:
        proc.terminate()
    assert proc.proc.returncode == 0
    assert "ingest stopped:" in proc.log_path.read_text()


def _healthz(port: int) -> int | None:
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
    except httpx.HTTPError:
        return None
