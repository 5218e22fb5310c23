"""Level 3: fault injection with a private mosquitto (stopped and restarted) and kill -9."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from edge.agent import EdgeAgent
from edge.outbox import Outbox
from tests.edge.helpers import (
    PrivateMosquitto,
    Recorder,
    ScriptedWorker,
    episode,
    factory,
    make_site,
    site_document,
)
from tests.edge.test_agent_broker import agent_config
from whistle import contract as c

pytestmark = pytest.mark.faults
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    b = PrivateMosquitto(tmp_path)
    b.start()
    yield b
    b.stop()


def test_broker_outage_backlog_delivered_in_order_then_live(
    tmp_path: Path, broker: PrivateMosquitto
) -> None:
    site = make_site()
    worker = ScriptedWorker("c1")
    rec = Recorder(broker.port, site.id).start()
    agent = EdgeAgent(
        agent_config(tmp_path / "agent", port=broker.port, inflight=5),
        site,
        worker_factory=factory([worker]),
    )
    agent.start()
    try:
        rec.wait_for(lambda s: len(rec.channel("status", s)) >= 2)
        broker.stop()
        deadline = time.monotonic() + 10
        while agent.transport.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not agent.transport.connected
        for n in range(60):  # detected while the broker is down: queued on disk
            worker.inbox.put(episode("c1", n))
        while agent.outbox.depth()["alert_queued"] < 60 and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        assert agent.outbox.depth()["alert_queued"] == 60
        broker.start()
        assert agent.transport.wait_connected(15)
        for n in range(100, 110):  # live alerts while the backlog drains
            worker.inbox.put(episode("c1", n))
        snap = rec.wait_for(lambda s: len(rec.channel("alert", s)) >= 70, timeout=30)
    finally:
        agent.stop(flush_timeout_s=5)
        rec.stop()
    alerts = [m.payload for m in rec.channel("alert", snap)]
    print("delivery order:", [(a["details"]["n"], a["replay"]) for a in alerts])
    backlog = [a["details"]["n"] for a in alerts if a["details"]["n"] < 100]
    assert backlog == list(range(60)), "backlog lost or out of order"
    assert all(a["replay"] for a in alerts if a["details"]["n"] < 100)
    # the later alerts all arrive; those sent live (not queued before the reconnect) in order
    assert sorted(a["details"]["n"] for a in alerts if a["details"]["n"] >= 100) == list(
        range(100, 110)
    )
    live = [a["details"]["n"] for a in alerts if not a["replay"]]
    assert live == sorted(live)
    assert agent.health.get("reconnects") >= 1


def _start_proc(site_file: Path, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.edge.agent_proc",
            "--site",
            str(site_file),
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(data_dir.parent / f"agent-{time.monotonic_ns()}.log", "wb"),
    )


def test_kill_9_will_restart_closes_episode_and_loses_nothing(
    tmp_path: Path, broker: PrivateMosquitto
) -> None:
    site_doc = site_document("tk", devices=("c1",))
    site_file = tmp_path / "site.yaml"
    site_file.write_text(yaml.safe_dump(site_doc))
    data_dir = tmp_path / "agent"
    data_dir.mkdir()
    rec = Recorder(broker.port, "tk").start()

    def agent_status(s: list, state: str) -> list[dict]:
        return [
            m.payload
            for m in rec.channel("status", s)
            if "/edge-t/" in m.topic and m.payload.get("state") == state
        ]

    first = _start_proc(site_file, broker.port, data_dir)
    try:
        rec.wait_for(lambda s: len(rec.channel("alert", s)) >= 40, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        snap = rec.wait_for(lambda s: len(agent_status(s, "offline")) >= 1, timeout=15)
        birth1 = agent_status(snap, "online")[0]
        assert agent_status(snap, "offline")[0]["boot_epoch"] == birth1["boot_epoch"]
        second = _start_proc(site_file, broker.port, data_dir)
        try:
            rec.wait_for(
                lambda s: (
                    any(
                        a.payload["details"].get("reason") == "agent_restart"
                        for a in rec.channel("alert", s)
                    )
                    and any(
                        p["boot_epoch"] > birth1["boot_epoch"] for p in agent_status(s, "online")
                    )
                ),
                timeout=30,
            )
            time.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0
        snap = rec.wait_for(lambda s: len(agent_status(s, "stopped")) >= 1)
    finally:
        if first.poll() is None:
            first.kill()
        rec.stop()
    alerts = [m.payload for m in rec.channel("alert", snap)]
    pids = sorted({a["details"]["pid"] for a in alerts})
    assert len(pids) == 2
    # the long episode of the killed run was closed by the restarted agent
    long1 = [a for a in alerts if a["type"] == "long" and a["details"]["pid"] == pids[0]]
    assert [a["state"] for a in long1] == ["opened", "closed"]
    assert (
        long1[1]["details"]["reason"] == "agent_restart"
        and long1[1]["alert_id"] == long1[0]["alert_id"]
    )
    for pid in pids:
        ticks = [a for a in alerts if a["type"] == "tick" and a["details"]["pid"] == pid]
        seen = {(a["details"]["n"], a["state"]) for a in ticks}
        ns = {n for n, _ in seen}
        # nothing lost: every tick up to the last one received arrived, opened and closed
        # (the killed run may lose only its tail that was never committed)
        top = max(ns)
        complete = {(n, s) for n in range(top) for s in ("opened", "closed")}
        assert complete <= seen, f"lost {sorted(complete - seen)[:5]}"
        # a message received twice is a replay of an unacknowledged one, never a new one
        firsts: set[tuple[int, str]] = set()
        for a in ticks:
            key = (a["details"]["n"], a["state"])
            if key in firsts:
                assert a["replay"] is True
            firsts.add(key)
    stopped = agent_status(snap, "stopped")[-1]
    assert stopped["boot_epoch"] > birth1["boot_epoch"]
    box = Outbox(data_dir / "outbox.sqlite3")
    assert box.depth()["queued"] == 0 and box.open_episodes() == []
    box.close()


AMQTT_BROKER = """
import asyncio, sys
from amqtt.broker import Broker

async def main() -> None:
    broker = Broker({
        "listeners": {"default": {"type": "tcp", "bind": "127.0.0.1:%d"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    })
    await broker.start()
    await asyncio.sleep(60)

asyncio.run(main())
"""


def test_auto_protocol_falls_back_to_311_for_the_amqtt_demo_broker(tmp_path: Path) -> None:
    from tests.edge.helpers import free_port, wait_port

    port = free_port()
    script = tmp_path / "amqtt_broker.py"
    script.write_text(AMQTT_BROKER % port)
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port)
        site = make_site()
        rec = Recorder(port, site.id, clean_session=True).start()
        agent = EdgeAgent(agent_config(tmp_path, port=port), site, worker_factory=factory([]))
        agent.start()
        try:
            snap = rec.wait_for(lambda s: len(rec.channel("status", s)) >= 3, timeout=20)
            assert agent.transport.protocol_name == "3.1.1"
            birth = c.StatusPayload.model_validate(rec.channel("status", snap)[0].payload)
            assert birth.boot_epoch == agent.boot_epoch
        finally:
            agent.stop(flush_timeout_s=2)
            rec.stop()
    finally:
        proc.kill()
        proc.wait(5)
