"""The production topology with native processes (what docker-compose.yml runs, minus Docker).

Mosquitto with the compose file's own config, ACL and password script; PostgreSQL; the gateway
with production settings (secret key, admin password, its own broker user, MQTT 5); two edge
agents authenticating with their own credentials. An alert flows end to end, and an agent
with a wrong password is kept out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import MosquittoFactory, free_port
from tests.deploy.brokers import make_passwd, native_config
from tests.e2e.helpers import Api, start, stop, wait_until, whistle_cmd

ADMIN_PASSWORD = "native-admin-password"
PASSWORDS = {
    "gateway": "gw-secret",
    "edge-gumo-noise": "noise-secret",
    "edge-gumo-cams": "cam-secret",
}
SITE = """\
id: gumo
name: 古陌早市
kind: market
agents:
  - id: edge-gumo-noise
    devices: [noise-01]
  - id: edge-gumo-cams
    devices: [cam-01]
devices:
  - id: noise-01
    kind: microphone
    name: 噪声 1
    source: {kind: simulator, scenario: gumo_morning, seed: 3}
  - id: cam-01
    kind: camera
    name: 摄像机 1
    source: {kind: simulator, simulator: market, scenario: market_morning, seed: 101}
"""


@pytest.fixture
def topology(
    tmp_path: Path, mosquitto_factory: MosquittoFactory, postgres_url: str
) -> Iterator[tuple[Api, list[subprocess.Popen[bytes]], str]]:
    port = free_port()
    make_passwd(tmp_path / "mq", PASSWORDS)
    mosquitto_factory(native_config(tmp_path / "mq", port), port=port)
    broker = f"mqtt://127.0.0.1:{port}"
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "gumo.yaml").write_text(SITE, encoding="utf-8")
    http_port = free_port()
    env = dict(
        os.environ,
        WHISTLE_BROKER_URL=broker,
        WHISTLE_MQTT_USERNAME="gateway",
        WHISTLE_MQTT_PASSWORD=PASSWORDS["gateway"],
        WHISTLE_MQTT_PROTOCOL="5",
        WHISTLE_DATABASE_URL=postgres_url,
        WHISTLE_DATA_DIR=str(tmp_path / "gateway"),
        WHISTLE_SITES_DIR=str(sites),
        WHISTLE_HTTP_PORT=str(http_port),
        WHISTLE_SECRET_KEY="native-secret-key-0123456789",
        WHISTLE_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    log = (tmp_path / "gateway.log").open("ab")
    gateway = subprocess.Popen(
        whistle_cmd("gateway"),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    procs = [gateway]
    start_time = datetime(2026, 11, 27, 4, 20, tzinfo=ZoneInfo("Asia/Shanghai"))
    for agent in ("edge-gumo-noise", "edge-gumo-cams"):
        procs.append(
            start(
                whistle_cmd(
                    "edge",
                    "--site",
                    str(sites / "gumo.yaml"),
                    "--agent",
                    agent,
                    "--broker",
                    broker,
                    "--username",
                    agent,
                    "--password",
                    PASSWORDS[agent],
                    "--data-dir",
                    str(tmp_path / agent),
                    "--sim-start",
                    start_time.isoformat(),
                    "--sim-speed",
                    "20",
                ),
                tmp_path / f"{agent}.log",
            )
        )
    api = Api(f"http://127.0.0.1:{http_port}")
    try:
        wait_until("the gateway's /healthz", api.healthy, timeout_s=60)
        api.login("admin", ADMIN_PASSWORD)
        yield api, procs, broker
    finally:
        for proc in reversed(procs):
            stop(proc)


@pytest.mark.timeout(240)
def test_alerts_flow_through_the_production_topology(
    topology: tuple[Api, list[subprocess.Popen[bytes]], str], tmp_path: Path
) -> None:
    api, _procs, broker = topology

    def agents_online() -> bool:
        states = {d["device_id"]: d["state"] for d in api.get("/api/devices?site=gumo")}
        return all(states.get(a) == "online" for a in ("edge-gumo-noise", "edge-gumo-cams"))

    wait_until("both agents online", agents_online, timeout_s=60)
    alerts = wait_until(
        "a noise alert stored in PostgreSQL",
        lambda: [a for a in api.get("/api/alerts?site=gumo")["items"] if a["device"] == "noise-01"],
        timeout_s=90,
    )
    assert alerts[0]["type"].startswith("noise_")

    # an agent with the wrong password never gets in
    intruder = start(
        whistle_cmd(
            "edge",
            "--site",
            str(tmp_path / "sites" / "gumo.yaml"),
            "--agent",
            "edge-gumo-cams",
            "--broker",
            broker,
            "--username",
            "edge-gumo-cams",
            "--password",
            "guess",
            "--data-dir",
            str(tmp_path / "intruder"),
        ),
        tmp_path / "intruder.log",
    )
    try:
        wait_until(
            "the broker to refuse the intruder",
            lambda: (
                "not authorised" in (tmp_path / "intruder.log").read_text().lower()
                or "bad user name or password" in (tmp_path / "intruder.log").read_text().lower()
                or "refused" in (tmp_path / "intruder.log").read_text().lower()
            ),
            timeout_s=30,
        )
    finally:
        stop(intruder)
    assert shutil.which("mosquitto")
