"""Whistle and report (吹哨报到) end to end on real processes.

A simulated loudspeaker stall at the market -> the edge agent's noise alert -> Mosquitto -> the
gateway's incident, routed to market supervision and notified to a robot (a local HTTP
receiver); an officer accepts and resolves it through the API; the simulator's loudspeaker
stops and the incident becomes ``verified`` by itself. Variants: the noise continues and the
incident reopens; nobody accepts in time and the whistle is blown to the street centre.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import REPO_ROOT, MosquittoFactory, free_port
from tests.e2e.helpers import Api, start, stop, wait_until, whistle_cmd

PASSWORD = "report-password"
SPEED = "30"
TZ = ZoneInfo("Asia/Shanghai")


class Receiver(ThreadingHTTPServer):
    """A robot's webhook on 127.0.0.1 that keeps what it was sent."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def texts(self) -> list[str]:
        with self.lock:
            return [json.dumps(b, ensure_ascii=False) for b in self.bodies]


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0, "errmsg": "ok"}')

    def log_message(self, *_args: Any) -> None:
        pass


@dataclass
class Market:
    api: Api
    officer: Api
    receiver: Receiver
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def incidents(self, type_: str) -> list[dict[str, Any]]:
        items = self.officer.get("/api/incidents?site=gumo")["items"]
        return [i for i in items if i["type"] == type_]

    def incident(self, iid: int) -> dict[str, Any]:
        return dict(self.api.get(f"/api/incidents/{iid}"))

    def move(self, iid: int, to: str, note: str) -> None:
        self.officer.post(f"/api/incidents/{iid}/transitions", {"to": to, "note": note})


def market(
    tmp_path: Path,
    mosquitto: MosquittoFactory,
    scenario: str,
    start_at: time,
    routing_changes: dict[str, Any] | None = None,
) -> Iterator[Market]:
    broker = mosquitto()
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "gumo.yaml").write_text(
        yaml.safe_dump(
            {
                "id": "gumo",
                "name": "古陌早市",
                "kind": "market",
                "grid": "huancui-gumo",
                "agents": [{"id": "edge-gumo-noise", "devices": ["noise-01"]}],
                "devices": [
                    {
                        "id": "noise-01",
                        "kind": "microphone",
                        "name": "噪声 1",
                        "source": {"kind": "simulator", "scenario": scenario, "seed": 1},
                    }
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    routing = yaml.safe_load((REPO_ROOT / "config" / "routing.yaml").read_text())
    routing.update(routing_changes or {})
    (tmp_path / "routing.yaml").write_text(yaml.safe_dump(routing, allow_unicode=True))
    (tmp_path / "notify.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "channels": [
                    {
                        "id": "market-group",
                        "kind": "wecom",
                        "url": f"http://127.0.0.1:{receiver.server_port}/cgi-bin/webhook/send?key=k",
                    }
                ],
                "rules": [{"channel": "market-group"}],
            }
        )
    )
    port = free_port()
    env = dict(
        os.environ,
        WHISTLE_ROUTING_FILE=str(tmp_path / "routing.yaml"),
        WHISTLE_NOTIFY_FILE=str(tmp_path / "notify.yaml"),
    )
    gateway = subprocess.Popen(
        whistle_cmd(
            "gateway",
            "--demo",
            "--demo-password",
            PASSWORD,
            "--port",
            str(port),
            "--broker",
            broker.url,
            "--data-dir",
            str(tmp_path / "gw"),
            "--sites-dir",
            str(sites),
        ),
        env=env,
        stdout=(tmp_path / "gateway.log").open("ab"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    sim_start = datetime.combine(datetime.now(TZ).date(), start_at, tzinfo=TZ)
    edge = start(
        whistle_cmd(
            "edge",
            "--site",
            str(sites / "gumo.yaml"),
            "--agent",
            "edge-gumo-noise",
            "--broker",
            broker.url,
            "--data-dir",
            str(tmp_path / "edge"),
            "--sim-start",
            sim_start.isoformat(),
            "--sim-speed",
            SPEED,
        ),
        tmp_path / "edge.log",
    )
    api, officer = Api(f"http://127.0.0.1:{port}"), Api(f"http://127.0.0.1:{port}")
    try:
        wait_until("the gateway", api.healthy, timeout_s=60)
        api.login("admin", PASSWORD)
        officer.login("officer", PASSWORD)
        yield Market(api, officer, receiver, [gateway, edge])
    finally:
        stop(edge)
        stop(gateway)
        receiver.shutdown()


@pytest.fixture
def loudspeaker_stall(tmp_path: Path, mosquitto_factory: MosquittoFactory) -> Iterator[Market]:
    # the `loudspeaker` scenario: 05:00, a looping sales pitch at 58 dB(A) from 05:01:30 to
    # 05:07:30 over a 44 dB(A) crowd (night limit 50); then the stall switches it off
    yield from market(tmp_path, mosquitto_factory, "loudspeaker", time(5, 0))


@pytest.mark.timeout(300)
def test_loudspeaker_incident_is_handled_and_verified_by_the_sensor(
    loudspeaker_stall: Market,
) -> None:
    m = loudspeaker_stall
    found = wait_until("a noise incident", lambda: m.incidents("noise_exceedance"), timeout_s=90)
    incident = found[0]
    assert incident["department"] == "market_supervision"
    assert incident["state"] == "dispatched"
    wait_until(
        "the robot to be told",
        lambda: any("市场监管" in t for t in m.receiver.texts()),
        timeout_s=30,
    )
    iid = incident["id"]
    for to in ("accepted", "on_site", "resolved"):
        m.move(iid, to, f"{to}: loudspeaker stall told to stop")
    assert m.incident(iid)["state"] == "resolved"
    verified = wait_until(
        "the sensors to verify the incident by themselves",
        lambda: m.incident(iid) if m.incident(iid)["state"] == "verified" else None,
        timeout_s=180,
        interval_s=2,
    )
    last = verified["transitions"][-1]
    assert (last["actor"], last["to"]) == ("system", "verified")


@pytest.fixture
def noisy_morning(tmp_path: Path, mosquitto_factory: MosquittoFactory) -> Iterator[Market]:
    # `gumo_morning` from 04:20: the crowd stays over the night limit until 06:00
    yield from market(tmp_path, mosquitto_factory, "gumo_morning", time(4, 20))


@pytest.mark.faults
@pytest.mark.timeout(300)
def test_incident_reopens_when_the_noise_goes_on(noisy_morning: Market) -> None:
    m = noisy_morning
    incident = wait_until(
        "a noise incident", lambda: m.incidents("noise_exceedance"), timeout_s=120
    )[0]
    iid = incident["id"]
    for to in ("accepted", "on_site", "resolved"):
        m.move(iid, to, "said it was quiet")
    reopened = wait_until(
        "the sensors to reopen the incident",
        lambda: m.incident(iid) if m.incident(iid)["reopen_count"] >= 1 else None,
        timeout_s=180,
        interval_s=2,
    )
    assert any(t["to"] == "reopened" and t["actor"] == "system" for t in reopened["transitions"])


@pytest.fixture
def unanswered(tmp_path: Path, mosquitto_factory: MosquittoFactory) -> Iterator[Market]:
    tight = {"accept_min": 0.1, "on_site_min": 0.2, "resolve_min": 0.3}
    yield from market(
        tmp_path,
        mosquitto_factory,
        "gumo_morning",
        time(4, 20),
        {"sla_by_type": {"noise_impulsive": tight, "noise_exceedance": tight}},
    )


@pytest.mark.faults
@pytest.mark.timeout(300)
def test_a_missed_sla_blows_the_whistle(unanswered: Market) -> None:
    m = unanswered

    def escalated() -> list[dict[str, Any]]:
        items = m.api.get("/api/incidents?site=gumo")["items"]
        return [i for i in items if i["escalation_level"] >= 1]

    incident = wait_until("an escalation", escalated, timeout_s=120)[0]
    detail = m.incident(incident["id"])
    assert any(t["to"] == "escalated" for t in detail["transitions"])
    wait_until(
        "the escalation to be notified",
        lambda: any("升级" in t or "escalat" in t.lower() for t in m.receiver.texts()),
        timeout_s=30,
    )
