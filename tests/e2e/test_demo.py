"""`whistle demo` itself: it starts, an alert reaches the API, Ctrl-C stops every process."""

from __future__ import annotations

import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.e2e.helpers import Api, demo_cmd, wait_until
from whistle.procs import alive, descendants

PASSWORD = "demo-test-password"


@pytest.mark.timeout(240)
def test_demo_starts_shows_an_alert_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen(
        demo_cmd(port, tmp_path / "data", PASSWORD),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    api = Api(f"http://127.0.0.1:{port}")
    try:
        wait_until("the demo's gateway", api.healthy, timeout_s=90)
        api.login("manager", PASSWORD)
        alerts = wait_until(
            "an alert from the simulated market",
            lambda: api.get("/api/alerts?site=gumo")["items"],
            timeout_s=60,
        )
        assert alerts[0]["site"] == "gumo"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
            html = page.read().decode()
        assert "<form" in html, "the gateway serves the pages, starting with the login page"
        children = descendants(demo.pid)
        assert len(children) >= 3, "gateway and edge agents run as child processes"
        banner = (tmp_path / "demo.log").read_text()
        assert f"http://127.0.0.1:{port}/" in banner
        assert PASSWORD in banner
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            status = demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise
    assert status == 0
    assert not [pid for pid in children if alive(pid)], "no process is left behind"
    # the terminal shows no warnings: the agents and the gateway speak MQTT 3.1.1 to the
    # embedded amqtt broker at once (an MQTT 5 attempt first was refused, once per client)
    out = (tmp_path / "demo.log").read_text()
    noise = [ln for ln in out.splitlines() if " WARNING " in ln or " ERROR " in ln]
    assert not noise and "Traceback" not in out, noise
    edge_log = (tmp_path / "data" / "logs" / "edge-edge-gumo-cams.log").read_text()
    assert "(MQTT 3.1.1)" in edge_log and "(MQTT 5)" not in edge_log
