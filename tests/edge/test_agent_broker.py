"""Level 2: an in-process agent against the real Mosquitto at 127.0.0.1:1883."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.agent import EdgeAgent
from edge.config import AgentConfig
from edge.device import EvidenceBlob, Observation
from tests.edge.helpers import (
    T0,
    Recorder,
    ScriptedWorker,
    clear_retained,
    episode,
    factory,
    make_site,
)
from whistle import contract as c

PORT = 1883


def agent_config(tmp_path: Path, port: int = PORT, **outbox: object) -> AgentConfig:
    return AgentConfig.model_validate(
        {
            "agent": "edge-t",
            "site_file": str(tmp_path / "site.yaml"),
            "data_dir": str(tmp_path),
            "broker": {"url": f"mqtt://127.0.0.1:{port}", "keepalive_s": 5},
            "outbox": {"synchronous": "normal", **outbox},
            "telemetry": {"health_interval_s": 0.5},
            "workers": {"restart_min_s": 0.1, "restart_max_s": 0.2},
        }
    )


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[EdgeAgent, list[ScriptedWorker], Recorder]]:
    site = make_site()
    workers = [ScriptedWorker("c1"), ScriptedWorker("c2")]
    recorder = Recorder(PORT, site.id).start()
    agent = EdgeAgent(agent_config(tmp_path), site, worker_factory=factory(list(workers)))
    agent.start()
    yield agent, workers, recorder
    agent.stop(flush_timeout_s=2)
    recorder.stop()
    clear_retained(PORT, [c.status_topic(site.id, d) for d in ("edge-t", "c1", "c2")])


def statuses(rec: Recorder, device: str, snap: list | None = None) -> list[dict]:
    return [
        m.payload
        for m in rec.channel("status", snap)
        if m.topic.split("/")[3] == device and m.payload
    ]


def test_births_retained_with_boot_epoch_and_devices(
    rig: tuple[EdgeAgent, list[ScriptedWorker], Recorder], tmp_path: Path
) -> None:
    agent, _, rec = rig
    rec.wait_for(lambda s: len(statuses(rec, "c2", s)) >= 1)
    birth = c.StatusPayload.model_validate(statuses(rec, "edge-t")[0])
    assert birth.state is c.DeviceState.ONLINE and birth.boot_epoch == agent.boot_epoch
    assert birth.devices == ("c1", "c2") and birth.config_hash == agent.config_hash
    assert "occupancy" in birth.capabilities and birth.software_version
    dev = c.StatusPayload.model_validate(statuses(rec, "c1")[0])
    assert dev.agent == "edge-t" and dev.capabilities == ("occupancy",)
    # a late subscriber gets the births as retained messages
    late = Recorder(PORT, agent.site.id).start()
    try:
        snap = late.wait_for(lambda s: len(late.channel("status", s)) >= 3)
        assert all(m.retain for m in late.channel("status", snap))
    finally:
        late.stop()


def test_alert_evidence_and_telemetry_delivered(
    rig: tuple[EdgeAgent, list[ScriptedWorker], Recorder],
) -> None:
    agent, workers, rec = rig
    rec.wait_for(lambda s: len(statuses(rec, "edge-t", s)) >= 1)  # connected: messages are live
    aid = uuid.uuid4()
    blob = EvidenceBlob("snap", "snapshot", "image/jpeg", b"\xff\xd8" + b"j" * 1000)
    workers[0].inbox.put(episode("c1", 1, alert_id=aid, evidence=(blob,)))
    workers[0].inbox.put(episode("c1", 2, c.AlertState.CLOSED, alert_id=aid, seq=1))
    for n in range(3):
        workers[1].inbox.put(Observation("c2", "occupancy", T0, {"people": float(n)}))
    snap = rec.wait_for(
        lambda s: (
            len(rec.channel("alert", s)) >= 2
            and len(rec.channel("evidence", s)) >= 1
            and len([m for m in rec.channel("telemetry", s) if m.topic.endswith("occupancy")]) >= 3
        )
    )
    for m in (
        rec.channel("alert", snap) + rec.channel("evidence", snap) + rec.channel("telemetry", snap)
    ):
        c.decode(
            m.topic, __import__("json").dumps(m.payload).encode()
        )  # every message follows the contract
    alerts = [m.payload for m in rec.channel("alert", snap)]
    assert [a["state"] for a in alerts] == ["opened", "closed"] and {
        a["alert_id"] for a in alerts
    } == {str(aid)}
    assert all(a["replay"] is False for a in alerts)
    occ = [
        m.payload["seq"] for m in rec.channel("telemetry", snap) if m.topic.endswith("occupancy")
    ]
    assert occ == sorted(occ) and len(set(occ)) == 3
    rec.wait_for(lambda s: agent.outbox.depth()["queued"] == 0)
    assert agent.outbox.open_episodes() == []


def test_agent_health_stream_reports_counters(
    rig: tuple[EdgeAgent, list[ScriptedWorker], Recorder],
) -> None:
    _, _, rec = rig
    snap = rec.wait_for(lambda s: any(m.topic.endswith("edge-t/telemetry/health") for m in s))
    health = next(m.payload for m in snap if m.topic.endswith("edge-t/telemetry/health"))
    for key in ("queued", "reconnects", "worker_restarts", "workers_running", "connected"):
        assert key in health["values"]
    assert health["values"]["workers_running"] == 2


def test_failing_worker_restarts_while_other_keeps_serving(
    rig: tuple[EdgeAgent, list[ScriptedWorker], Recorder],
) -> None:
    agent, workers, rec = rig
    workers[0].inbox.put(RuntimeError("camera unplugged"))
    workers[1].inbox.put(episode("c2", 1))
    rec.wait_for(lambda s: any(m.payload.get("device") == "c2" for m in rec.channel("alert", s)))
    rec.wait_for(lambda s: workers[0].runs >= 2)
    workers[0].inbox.put(episode("c1", 2))
    snap = rec.wait_for(
        lambda s: any(m.payload.get("device") == "c1" for m in rec.channel("alert", s))
    )
    assert agent.health.get("worker_restarts") == 1
    flagged = [m for m in snap if m.topic.endswith("c1/telemetry/health")]
    assert flagged and "worker_failed" in flagged[0].payload["flags"]


def test_rebirth_command_republishes_births(
    rig: tuple[EdgeAgent, list[ScriptedWorker], Recorder],
) -> None:
    agent, _, rec = rig
    rec.wait_for(lambda s: len(statuses(rec, "edge-t", s)) >= 1)
    command = c.CommandPayload(
        schema_version=1, command="rebirth", ts=datetime.now(UTC), request_id=uuid.uuid4()
    )
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.connect("127.0.0.1", PORT)
    client.loop_start()
    client.publish(
        "whistle/v1/" + agent.site.id + "/edge-t/command", b"not json", qos=1
    ).wait_for_publish(5)
    client.publish(
        c.command_topic(agent.site.id, "edge-t"), command.to_json(), qos=1
    ).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    rec.wait_for(
        lambda s: len(statuses(rec, "edge-t", s)) >= 2 and len(statuses(rec, "c1", s)) >= 2
    )


def test_clean_stop_publishes_stopped_and_closes_open_episodes(tmp_path: Path) -> None:
    site = make_site()
    worker = ScriptedWorker("c1")
    rec = Recorder(PORT, site.id).start()
    agent = EdgeAgent(agent_config(tmp_path), site, worker_factory=factory([worker]))
    agent.start()
    try:
        aid = uuid.uuid4()
        worker.inbox.put(episode("c1", 1, alert_id=aid))
        rec.wait_for(lambda s: len(rec.channel("alert", s)) >= 1)
    finally:
        agent.stop()
    snap = rec.wait_for(lambda s: any(p["state"] == "stopped" for p in statuses(rec, "edge-t", s)))
    alerts = [m.payload for m in rec.channel("alert", snap)]
    assert alerts[-1]["state"] == "closed" and alerts[-1]["details"]["reason"] == "agent_stop"
    stops = [p for p in statuses(rec, "c1", snap) if p["state"] == "stopped"]
    assert stops and stops[0]["boot_epoch"] == agent.boot_epoch
    rec.stop()
    clear_retained(PORT, [c.status_topic(site.id, d) for d in ("edge-t", "c1", "c2")])


def test_group_that_fails_to_build_is_a_fault_not_a_crash(tmp_path: Path) -> None:
    from edge.health import AgentHealth
    from edge.workers import build_all, group_devices
    from whistle.config.site import SiteConfig

    doc = {
        "id": "s",
        "name": "s",
        "kind": "park",
        "agents": [{"id": "edge-t", "devices": ["c1", "a1"]}],
        "devices": [
            {"id": "c1", "name": "c1", "kind": "counter", "source": {"kind": "simulator"}},
            {"id": "a1", "name": "a1", "kind": "area", "capacity": 10, "gates": ["c1"]},
        ],
    }
    site = SiteConfig.model_validate(doc)
    assert {g: [d.id for d in ds] for g, ds in group_devices(site, "edge-t").items()} == {
        "parks": ["c1", "a1"]
    }

    def importer(name: str) -> object:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    health = AgentHealth()
    from edge.device import WorkerOptions

    built = build_all(site, "edge-t", WorkerOptions(data_dir=tmp_path), health, importer=importer)
    assert (
        built.workers == []
        and set(built.faults) == {"c1", "a1"}
        and "parks" in health.failed_groups
    )
