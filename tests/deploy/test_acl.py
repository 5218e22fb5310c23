"""Per-agent credentials and ACLs on a real Mosquitto running the production config."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.conftest import MosquittoFactory, MosquittoProcess, free_port
from tests.deploy.brokers import make_passwd, native_config
from whistle.cli import main

Broker = tuple[int, Path, dict[str, str], MosquittoProcess]
SITES = Path(__file__).resolve().parents[2] / "config" / "sites"


def connect(port: int, username: str | None, password: str | None) -> mqtt.Client:
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=f"t-{uuid.uuid4().hex[:8]}",
        protocol=mqtt.MQTTv5,  # 2.0.11 answers a denied 3.1.1 publish with a v5 code
    )
    if username:
        client.username_pw_set(username, password)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def wait_connected(client: mqtt.Client, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.is_connected():
            return True
        time.sleep(0.05)
    return False


class Collector:
    def __init__(self) -> None:
        self.topics: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.topics.append(msg.topic)


@pytest.fixture
def broker(
    tmp_path: Path, mosquitto_factory: MosquittoFactory
) -> tuple[int, Path, dict[str, str], MosquittoProcess]:
    port = free_port()
    config = native_config(tmp_path / "mq", port)
    conf_dir = tmp_path / "mq" / "config"
    # the shipped agents' ACL blocks are committed; their passwords come from .env
    passwords = {agent: f"pw-{agent}" for agent in ("gateway", "edge-gumo-cams", "edge-gumo-noise")}
    make_passwd(tmp_path / "mq", passwords)
    process = mosquitto_factory(config, port=port)
    return port, conf_dir, passwords, process


def test_agent_cannot_publish_as_another(broker: Broker) -> None:
    port, _conf, pw, _proc = broker
    seen = Collector()
    gateway = connect(port, "gateway", pw["gateway"])
    gateway.on_message = seen
    assert wait_connected(gateway)
    gateway.subscribe("whistle/v1/#", qos=1)
    allowed = [
        "whistle/v1/gumo/noise-01/alert",
        "whistle/v1/gumo/noise-02/telemetry/noise",
        "whistle/v1/gumo/edge-gumo-noise/status",
    ]
    forbidden = [
        "whistle/v1/gumo/cam-01/alert",  # a camera served by the other agent
        "whistle/v1/gumo/edge-gumo-cams/status",  # the other agent itself
        "whistle/v1/other-site/noise-01/alert",  # the same device id at another site
        "whistle/v1/gumo/edge-gumo-cams/command",  # commands come from the gateway only
    ]
    # Mosquitto 2.0 drops the connection of a client that publishes where it may not, so each
    # forbidden attempt gets a connection of its own.
    for topic in forbidden:
        intruder = connect(port, "edge-gumo-noise", pw["edge-gumo-noise"])
        assert wait_connected(intruder)
        intruder.publish(topic, b"{}", qos=0)
        time.sleep(0.2)
        intruder.loop_stop()
    noise_agent = connect(port, "edge-gumo-noise", pw["edge-gumo-noise"])
    assert wait_connected(noise_agent)
    for topic in allowed:
        noise_agent.publish(topic, b"{}", qos=1).wait_for_publish(5)
    deadline = time.monotonic() + 5
    while len(seen.topics) < len(allowed) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    with seen.lock:
        assert sorted(seen.topics) == sorted(allowed)
    noise_agent.loop_stop()
    gateway.loop_stop()


def test_agent_reads_only_its_own_commands(broker: Broker) -> None:
    port, _conf, pw, _proc = broker
    seen = Collector()
    cams = connect(port, "edge-gumo-cams", pw["edge-gumo-cams"])
    cams.on_message = seen
    assert wait_connected(cams)
    cams.subscribe("whistle/v1/#", qos=1)
    gateway = connect(port, "gateway", pw["gateway"])
    assert wait_connected(gateway)
    time.sleep(0.3)
    gateway.publish("whistle/v1/gumo/edge-gumo-cams/command", b"{}", qos=1).wait_for_publish(5)
    gateway.publish("whistle/v1/gumo/edge-gumo-noise/command", b"{}", qos=1).wait_for_publish(5)
    time.sleep(1.0)
    with seen.lock:
        assert seen.topics == ["whistle/v1/gumo/edge-gumo-cams/command"]
    cams.loop_stop()
    gateway.loop_stop()


@pytest.mark.parametrize(
    ("username", "password"),
    [(None, None), ("edge-gumo-cams", "wrong"), ("nobody", "pw")],
)
def test_strangers_are_refused(broker: Broker, username: str | None, password: str | None) -> None:
    port, _conf, _pw, _proc = broker
    client = connect(port, username, password)
    assert not wait_connected(client, timeout_s=1.5)
    client.loop_stop()


def test_remove_revokes(broker: Broker) -> None:
    port, conf, pw, process = broker
    status = main(
        [
            "devices",
            "remove",
            "gumo",
            "edge-gumo-cams",
            "--password-file",
            str(conf / "passwd"),
            "--acl-file",
            str(conf / "acl"),
        ]
    )
    assert status == 0
    assert "edge-gumo-cams" not in (conf / "acl").read_text()
    assert "edge-gumo-noise" in (conf / "acl").read_text()
    # mosquitto re-reads its password and ACL files on SIGHUP
    assert process.proc is not None
    os.kill(process.proc.pid, signal.SIGHUP)
    time.sleep(0.5)
    client = connect(port, "edge-gumo-cams", pw["edge-gumo-cams"])
    assert not wait_connected(client, timeout_s=1.5)
    client.loop_stop()


def add_park_agent(conf: Path, sites: Path, *extra: str) -> int:
    """`whistle devices add park edge-park` against the test broker's files."""
    return main(
        [
            "devices",
            "add",
            "park",
            "edge-park",
            "--sites-dir",
            str(sites),
            "--password-file",
            str(conf / "passwd"),
            "--acl-file",
            str(conf / "acl"),
            *extra,
        ]
    )


def test_add_provisions_a_new_agent(broker: Broker, tmp_path: Path) -> None:
    port, conf, _pw, process = broker
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "park.yaml").write_text(
        "id: park\nname: 公园\nkind: park\nagents: [{id: edge-park, devices: [gate-1]}]\n"
        "devices:\n  - {id: gate-1, kind: counter, name: 1 号门, source: {kind: simulator}}\n",
        encoding="utf-8",
    )
    status = add_park_agent(conf, sites, "--password", "park-pw")
    assert status == 0
    assert process.proc is not None
    os.kill(process.proc.pid, signal.SIGHUP)
    time.sleep(0.5)
    seen = Collector()
    gateway = connect(port, "gateway", "pw-gateway")
    gateway.on_message = seen
    assert wait_connected(gateway)
    gateway.subscribe("whistle/v1/#", qos=1)
    time.sleep(0.3)
    agent = connect(port, "edge-park", "park-pw")
    assert wait_connected(agent)
    agent.publish("whistle/v1/park/gate-1/telemetry/counts", b"{}", qos=1).wait_for_publish(5)
    deadline = time.monotonic() + 5
    while not seen.topics and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen.topics == ["whistle/v1/park/gate-1/telemetry/counts"]
    agent.loop_stop()
    gateway.loop_stop()
    # adding it twice is refused and changes nothing
    before = (conf / "acl").read_text()
    again = add_park_agent(conf, sites)
    assert again == 2
    assert (conf / "acl").read_text() == before


def test_add_refuses_an_unknown_agent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "devices",
            "add",
            "gumo",
            "edge-nowhere",
            "--sites-dir",
            str(SITES),
            "--password-file",
            str(tmp_path / "passwd"),
            "--acl-file",
            str(tmp_path / "acl"),
        ]
    )
    assert status == 2
    assert "has no agent 'edge-nowhere'" in capsys.readouterr().out
    assert not (tmp_path / "acl").exists()


def test_committed_acl_matches_the_site_files() -> None:
    """Every agent of every shipped site has exactly its generated block in deploy/mosquitto/acl."""
    from whistle.config.site import load_sites
    from whistle.provisioning import AgentGrant

    acl = (SITES.parent.parent / "deploy" / "mosquitto" / "acl").read_text()
    for site in load_sites(SITES):
        for agent in site.agents:
            block = AgentGrant(site.id, agent.id, tuple(agent.devices)).acl_block()
            assert block in acl, f"regenerate the ACL block of {site.id}/{agent.id}"
