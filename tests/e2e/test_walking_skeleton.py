"""The whole path on real processes and the machine's Mosquitto:

simulated noise sensor -> edge agent -> MQTT -> gateway -> SQLite -> API.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import free_port
from tests.e2e.helpers import Api, start, stop, wait_until, whistle_cmd

PASSWORD = "e2e-password"
#: The simulated clock's start: a fixed morning (night limits until 06:00 local).
SIM_START = datetime(2026, 11, 27, 4, 20, tzinfo=ZoneInfo("Asia/Shanghai"))


def write_site(directory: Path, site_id: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{site_id}.yaml"
    path.write_text(
        f"""\
id: {site_id}
name: 端到端测试市场
kind: market
agents:
  - id: edge-{site_id}
    devices: [noise-01]
devices:
  - id: noise-01
    kind: microphone
    name: 噪声 1
    source: {{kind: simulator, scenario: gumo_morning, seed: 1}}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def site_id() -> str:
    # a site of its own, so other tests on the shared broker cannot interfere
    return f"e2e-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def running(
    tmp_path: Path, site_id: str, system_mosquitto_url: str
) -> Iterator[tuple[Api, subprocess.Popen[bytes]]]:
    sites = tmp_path / "sites"
    site_file = write_site(sites, site_id)
    port = free_port()
    gateway = start(
        whistle_cmd(
            "gateway",
            "--demo",
            "--demo-password",
            PASSWORD,
            "--port",
            str(port),
            "--broker",
            system_mosquitto_url,
            "--data-dir",
            str(tmp_path / "gw"),
            "--sites-dir",
            str(sites),
        ),
        tmp_path / "gateway.log",
    )
    api = Api(f"http://127.0.0.1:{port}")
    edge = start(
        whistle_cmd(
            "edge",
            "--site",
            str(site_file),
            "--agent",
            f"edge-{site_id}",
            "--broker",
            system_mosquitto_url,
            "--data-dir",
            str(tmp_path / "edge"),
            "--sim-start",
            SIM_START.isoformat(),
            "--sim-speed",
            "20",
        ),
        tmp_path / "edge.log",
    )
    try:
        wait_until("the gateway to answer /healthz", api.healthy, timeout_s=60)
        api.login("admin", PASSWORD)
        yield api, edge
    finally:
        stop(edge)
        stop(gateway)


def test_noise_alert_reaches_the_api(
    running: tuple[Api, subprocess.Popen[bytes]], site_id: str
) -> None:
    api, edge = running

    def alerts() -> list[dict[str, object]]:
        items = api.get(f"/api/alerts?site={site_id}")["items"]
        return [a for a in items if a["type"] in ("noise_exceedance", "noise_impulsive")]

    found = wait_until("a noise alert in GET /api/alerts", alerts, timeout_s=90)
    alert = found[0]
    assert alert["site"] == site_id
    assert alert["device"] == "noise-01"

    devices = {d["device_id"]: d for d in api.get(f"/api/devices?site={site_id}")}
    assert devices["noise-01"]["state"] == "online"
    assert devices["noise-01"]["kind"] == "microphone", "the kind comes from the site file"
    assert devices[f"edge-{site_id}"]["kind"] == "agent"
    assert devices[f"edge-{site_id}"]["state"] == "online"

    # the simulated morning's own hours: the default window (the last 24 h of the wall
    # clock) leaves it out once the wall clock is a day past SIM_START
    since = (SIM_START - timedelta(hours=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (SIM_START + timedelta(hours=12)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def laeq_minutes() -> list[dict[str, object]]:
        telemetry = api.get(
            f"/api/telemetry/noise-01/noise?site={site_id}&since={since}&until={until}"
        )
        series = {s["field"]: s for s in telemetry["series"]}
        return series["laeq"]["points"] if "laeq" in series else []

    assert wait_until("per-minute noise aggregates", laeq_minutes, timeout_s=30)

    assert stop(edge) == 0

    def stopped() -> bool:
        devices = {d["device_id"]: d for d in api.get(f"/api/devices?site={site_id}")}
        return devices["noise-01"]["state"] == "stopped"

    wait_until("the clean stop to mark the device stopped", stopped, timeout_s=20)
