"""Level 1: pure tables of topics and payloads the sink produces, validated by the contract."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.config import AgentConfig, config_hash, from_flags
from edge.device import EvidenceBlob, Observation
from edge.health import AgentHealth, wire_key
from edge.outbox import Outbox
from edge.sink import AgentSink, alert_messages, closing_message, mark_replay, telemetry_message
from tests.edge.helpers import T0, episode, make_site
from whistle import contract as c


def test_alert_with_evidence_validates_and_refs_match() -> None:
    blob = EvidenceBlob("snap-1", "snapshot", "image/jpeg", b"\xff\xd8jpeg")
    msgs = alert_messages("gumo", episode("c1", 3, evidence=(blob,)))
    raw = msgs.alert.to_json()
    decoded = c.decode(c.alert_topic("gumo", "c1"), raw).payload
    assert isinstance(decoded, c.AlertPayload)
    assert decoded.evidence[0].sha256 == msgs.evidence[0].sha256
    assert decoded.evidence[0].size_bytes == len(blob.data)
    ev_topic = c.evidence_topic("gumo", "c1", msgs.alert.alert_id)
    ev = c.decode(ev_topic, msgs.evidence[0].to_json()).payload
    assert isinstance(ev, c.EvidencePayload) and ev.data() == blob.data


def test_oversized_evidence_is_left_out_and_counted() -> None:
    big = EvidenceBlob("big", "snapshot", "image/jpeg", b"x" * (c.MAX_EVIDENCE_BYTES + 1))
    small = EvidenceBlob("small", "level_trace", "application/json", b"[]")
    msgs = alert_messages("gumo", episode("c1", 1, evidence=(big, small)))
    assert msgs.dropped_evidence == 1
    assert [r.evidence_id for r in msgs.alert.evidence] == ["small"]


@pytest.mark.parametrize(
    ("stream", "qos"), [("noise", 0), ("occupancy", 1), ("counts", 1), ("health", 0), ("x", 0)]
)
def test_telemetry_qos_table(stream: str, qos: int) -> None:
    assert c.telemetry_qos(stream) == qos


def test_telemetry_payload_naive_time_becomes_utc() -> None:
    obs = Observation("c1", "occupancy", T0.replace(tzinfo=None), {"people": 4.0}, zone="gate")
    payload = telemetry_message(obs, 7)
    decoded = c.decode(c.telemetry_topic("s", "c1", "occupancy"), payload.to_json()).payload
    assert isinstance(decoded, c.TelemetryPayload)
    assert decoded.seq == 7 and decoded.ts.tzinfo is not None and decoded.values == {"people": 4.0}


def test_closing_message_after_restart() -> None:
    aid = uuid.uuid4()
    last = alert_messages("s", episode("c1", 5, c.AlertState.UPDATED, alert_id=aid, seq=2)).alert
    closed = closing_message(last, "agent_restart", T0)
    decoded = c.decode(c.alert_topic("s", "c1"), closed.to_json()).payload
    assert isinstance(decoded, c.AlertPayload)
    assert (decoded.state, decoded.seq, decoded.alert_id) == (c.AlertState.CLOSED, 3, aid)
    assert decoded.details["reason"] == "agent_restart" and decoded.ended_at == last.ts


def test_mark_replay_sets_flag_only() -> None:
    raw = alert_messages("s", episode("c1", 1)).alert.to_json()
    replayed = json.loads(mark_replay(raw))
    assert replayed.pop("replay") is True
    original = json.loads(raw)
    assert original.pop("replay") is False
    assert replayed == original


def test_sink_routes_by_kind_and_qos(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    live: list[tuple[str, bytes, int]] = []
    sink = AgentSink(
        "s", outbox, AgentHealth(), lambda t, p, q: live.append((t, p, q)), lambda: None
    )
    blob = EvidenceBlob("e1", "snapshot", "image/jpeg", b"abc")
    sink.episode(episode("c1", 1, evidence=(blob,)))
    sink.observation(Observation("c1", "occupancy", T0, {"people": 1.0}))
    sink.observation(Observation("c1", "noise", T0, {"laeq": 50.0}))
    depth = outbox.depth()
    assert (depth["alert_queued"], depth["evidence_queued"], depth["telemetry_queued"]) == (1, 1, 1)
    assert [(t, q) for t, _, q in live] == [(c.telemetry_topic("s", "c1", "noise"), 0)]
    # seq counts per device across streams: occupancy got 0, noise 1
    assert json.loads(live[0][1])["seq"] == 1
    assert len(outbox.open_episodes()) == 1


def test_sink_counts_invalid_events_instead_of_raising(tmp_path: Path) -> None:
    health = AgentHealth()
    sink = AgentSink("s", Outbox(tmp_path / "o.db"), health, lambda *a: None, lambda: None)
    sink.observation(Observation("c1", "occupancy", T0, {}))  # no values: invalid
    sink.observation(Observation("c1", "occupancy", T0, {"x": float("nan")}))
    sink.episode(episode("C1 bad id", 1))
    assert health.drops()["invalid"] == 3


def test_sink_seq_never_goes_back_across_restart(tmp_path: Path) -> None:
    seqs = []
    live: list[tuple[str, bytes, int]] = []
    for _ in range(2):
        outbox = Outbox(tmp_path / "o.db")
        live.clear()
        sink = AgentSink(
            "s", outbox, AgentHealth(), lambda t, p, q: live.append((t, p, q)), lambda: None
        )
        for _ in range(3):
            sink.observation(Observation("c1", "noise", T0, {"laeq": 50.0}))
        seqs += [json.loads(p)["seq"] for _, p, _ in live]
        outbox.close()
    assert seqs == sorted(seqs) and len(set(seqs)) == 6


@pytest.mark.parametrize("name", ["Drops Alert/Evicted", "a" * 80, "ok_1"])
def test_wire_key_is_a_wire_id(name: str) -> None:
    assert c.ID_RE.match(wire_key(name))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("mqtt://127.0.0.1:1883", True),
        ("mqtts://broker.example:8883", True),
        ("http://x:1883", False),
        ("mqtt://:1883", False),
        ("mqtt://h:notaport", False),
    ],
)
def test_broker_url_validation(url: str, ok: bool, tmp_path: Path) -> None:
    def build() -> AgentConfig:
        return from_flags(
            agent="a", site_file=tmp_path / "s.yaml", broker_url=url, data_dir=tmp_path
        )

    if ok:
        assert build().broker.url == url
    else:
        with pytest.raises(ValidationError):
            build()


def test_no_default_secret_and_hash_leaves_password_out(tmp_path: Path) -> None:
    site = make_site("s1")
    plain = from_flags(
        agent="edge-t", site_file=tmp_path / "s", broker_url="mqtt://h:1", data_dir=tmp_path
    )
    assert plain.broker.password is None and plain.broker.username is None
    a = from_flags(
        agent="edge-t",
        site_file=tmp_path / "s",
        broker_url="mqtt://h:1",
        data_dir=tmp_path,
        username="u",
        password="one",
    )
    b = a.model_copy(update={"broker": a.broker.model_copy(update={"password": "two"})})
    assert config_hash(site, a) == config_hash(site, b)
    assert config_hash(site, a) != config_hash(make_site("s2"), a)
    with pytest.raises(ValidationError):
        from_flags(
            agent="a", site_file=tmp_path, broker_url="mqtt://h:1", data_dir=tmp_path, password="p"
        )


@pytest.mark.parametrize(
    ("protocol", "ok"), [("auto", True), ("5", True), ("3.1.1", True), ("4", False)]
)
def test_protocol_flag_reaches_the_broker_config(protocol: str, ok: bool, tmp_path: Path) -> None:
    def build() -> AgentConfig:
        return from_flags(
            agent="a",
            site_file=tmp_path / "s.yaml",
            broker_url="mqtt://h:1",
            data_dir=tmp_path,
            protocol=protocol,
        )

    if ok:
        assert build().broker.protocol == protocol
    else:
        with pytest.raises(ValidationError):
            build()
