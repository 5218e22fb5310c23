"""Mosquitto restarted under the whole system: two ``whistle edge`` agents with simulated
counters, the gateway (HTTP on), and an in-process agent whose scripted worker raises alerts
all through the restart (the real disk outbox carries them).

After the broker is back: every agent and device is ``online`` in ``GET /api/devices`` within
15 s, the gateway's MQTT is connected again, and every alert is stored exactly once.
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from edge.agent import EdgeAgent
from edge.config import AgentConfig
from gateway.db.session import Store
from tests.conftest import MosquittoFactory, free_port
from tests.e2e.helpers import wait_until
from tests.edge.helpers import ScriptedWorker, episode, factory, make_site
from tests.reliability.procs import PASSWORD, EdgeProcess, GatewayProcess, alert_counts, park_site

pytestmark = pytest.mark.faults

ALERTS = 300
RESTART_AFTER = 100
PRESENCE_DEADLINE_S = 15.0


def scripted_agent(tmp_path: Path, broker_port: int) -> tuple[EdgeAgent, ScriptedWorker, str]:
    site = make_site()
    worker = ScriptedWorker("c1")
    config = AgentConfig.model_validate(
        {
            "agent": "edge-t",
            "site_file": str(tmp_path / "unused.yaml"),
            "data_dir": str(tmp_path / "scripted"),
            "broker": {"url": f"mqtt://127.0.0.1:{broker_port}", "keepalive_s": 5},
            "outbox": {"synchronous": "normal"},
            "telemetry": {"health_interval_s": 1.0},
        }
    )
    return EdgeAgent(config, site, worker_factory=factory([worker])), worker, site.id


def test_broker_restart_presence_recovers_and_no_alert_is_lost(
    tmp_path: Path, mosquitto_factory: MosquittoFactory
) -> None:
    broker = mosquitto_factory()
    site_id = f"rel{uuid.uuid4().hex[:6]}"
    sites = tmp_path / "sites"
    site_file = park_site(sites, site_id, agents=2)
    data_dir = tmp_path / "gw"
    gw = GatewayProcess(
        broker_url=broker.url,
        data_dir=data_dir,
        client_id="gw-restart",
        http_port=free_port(),
        sites_dir=sites,
    )
    edges = [
        EdgeProcess(site_file, f"edge-{n}", broker.url, tmp_path / f"edge-{n}") for n in range(2)
    ]
    agent, worker, alert_site = scripted_agent(tmp_path, broker.port)
    expected = {f"edge-{n}" for n in range(2)} | {
        f"{k}-{n}" for k in ("gate", "area") for n in range(2)
    }
    api = gw.api
    assert api is not None
    store: Store | None = None
    try:
        gw.wait_ready()
        wait_until("the gateway's HTTP API", api.healthy, timeout_s=60)
        api.login("admin", PASSWORD)
        store = Store.from_url(f"sqlite:///{data_dir / 'whistle.db'}")

        def states() -> dict[str, str]:
            return {d["device_id"]: d["state"] for d in api.get(f"/api/devices?site={site_id}")}

        def all_online() -> bool:
            current = states()
            return set(current) >= expected and all(current[d] == "online" for d in expected)

        wait_until("every agent and device online at first", all_online, timeout_s=60)
        agent.start()
        assert agent.transport.wait_connected(15)

        fed = threading.Event()

        def feed() -> None:
            for n in range(ALERTS):
                worker.inbox.put(episode("c1", n))
                time.sleep(0.02)
            fed.set()

        feeder = threading.Thread(target=feed)
        feeder.start()
        wait_until(
            "alerts flowing before the restart",
            lambda: alert_counts(store, alert_site)[0] >= RESTART_AFTER // 2,
            timeout_s=30,
        )
        broker.restart()  # SIGTERM: mosquitto saves its persistent store and comes back
        back = time.monotonic()
        wait_until(
            "every agent and device online after the restart",
            all_online,
            timeout_s=PRESENCE_DEADLINE_S,
            interval_s=0.25,
        )
        recovered_s = time.monotonic() - back
        health: dict[str, Any] = api.get("/healthz")
        assert health["mqtt_connected"] is True
        feeder.join(30)
        assert fed.is_set()
        wait_until(
            "every alert stored", lambda: alert_counts(store, alert_site)[0] >= ALERTS, timeout_s=60
        )
        time.sleep(1.0)  # duplicates re-sent after the reconnect would land now
        assert alert_counts(store, alert_site) == (ALERTS, ALERTS, ALERTS)
        assert agent.outbox.depth()["queued"] == 0
        assert agent.health.get("reconnects") >= 1
        assert all(e.proc.poll() is None for e in edges), "an agent died"
        assert gw.alive
        print(f"presence recovered {recovered_s:.1f} s after the broker came back")
    finally:
        agent.stop(flush_timeout_s=2)
        for e in edges:
            e.terminate()
        gw.terminate()
        if store is not None:
            store.dispose()
