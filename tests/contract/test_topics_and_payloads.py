"""The wire contract at its first level: pure topic tables and payload validation."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from whistle import contract
from whistle.contract import (
    AlertPayload,
    Channel,
    ContractError,
    DeviceState,
    EvidencePayload,
    StatusPayload,
    decode,
)

NOW = datetime(2026, 11, 27, 4, 45, tzinfo=UTC)
ALERT_ID = uuid.UUID("3f6c1d2e-8a41-4f7b-9a55-0c1e2d3f4a5b")


def alert_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "alert_id": str(ALERT_ID),
        "state": "opened",
        "seq": 0,
        "type": "noise_exceedance",
        "severity": "major",
        "site": "gumo",
        "device": "noise-01",
        "zone": "north",
        "started_at": NOW.isoformat(),
        "ts": NOW.isoformat(),
        "measured": {"laeq_5min": 61.4},
        "threshold": 50.0,
        "unit": "dB(A)",
    }
    doc.update(changes)
    return doc


def raw(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("whistle/v1/gumo/noise-01/status", ("gumo", "noise-01", Channel.STATUS, None)),
        ("whistle/v1/gumo/cam_07/alert", ("gumo", "cam_07", Channel.ALERT, None)),
        (
            "whistle/v1/haiyuan/gate-1/telemetry/occupancy",
            ("haiyuan", "gate-1", Channel.TELEMETRY, "occupancy"),
        ),
        (
            f"whistle/v1/gumo/cam-01/evidence/{ALERT_ID}",
            ("gumo", "cam-01", Channel.EVIDENCE, str(ALERT_ID)),
        ),
        ("whistle/v1/gumo/edge-1/command", ("gumo", "edge-1", Channel.COMMAND, None)),
    ],
)
def test_parse_topic_accepts_the_tree(topic: str, expected: tuple[Any, ...]) -> None:
    a = contract.parse_topic(topic)
    assert (a.site, a.device, a.channel, a.sub) == expected


@pytest.mark.parametrize(
    "topic",
    [
        "whistle/v2/gumo/noise-01/status",
        "other/v1/gumo/noise-01/status",
        "whistle/v1/Gumo/noise-01/status",  # upper case is not an id
        "whistle/v1/gumo/noise 01/status",
        "whistle/v1/gumo/noise-01/weather",  # unknown channel
        "whistle/v1/gumo/noise-01/telemetry",  # stream missing
        "whistle/v1/gumo/noise-01/alert/extra",
        "whistle/v1/gumo/noise-01/evidence/not-a-uuid",
        "whistle/v1/gumo",
        "whistle/v1/gumo/noise-01/telemetry/noise/x",
    ],
)
def test_parse_topic_rejects_everything_else(topic: str) -> None:
    with pytest.raises(ContractError) as err:
        contract.parse_topic(topic)
    assert err.value.reason == "bad_topic"


@pytest.mark.parametrize(
    ("builder", "args", "expected"),
    [
        (contract.status_topic, ("gumo", "edge-1"), "whistle/v1/gumo/edge-1/status"),
        (contract.alert_topic, ("gumo", "cam-01"), "whistle/v1/gumo/cam-01/alert"),
        (contract.command_topic, ("gumo", "edge-1"), "whistle/v1/gumo/edge-1/command"),
        (
            contract.telemetry_topic,
            ("gumo", "noise-01", "noise"),
            "whistle/v1/gumo/noise-01/telemetry/noise",
        ),
    ],
)
def test_topic_builders_round_trip(builder: Any, args: tuple[str, ...], expected: str) -> None:
    topic = builder(*args)
    assert topic == expected
    assert contract.parse_topic(topic).device == args[1]


def test_topic_builder_refuses_a_bad_id() -> None:
    with pytest.raises(ContractError):
        contract.alert_topic("gumo", "cam/01")


@pytest.mark.parametrize(
    ("stream", "qos"), [("noise", 0), ("camera", 0), ("occupancy", 1), ("counts", 1), ("x", 0)]
)
def test_telemetry_qos_by_stream(stream: str, qos: int) -> None:
    assert contract.telemetry_qos(stream) == qos


def test_a_good_alert_decodes() -> None:
    msg = decode(contract.alert_topic("gumo", "noise-01"), raw(alert_doc()))
    assert isinstance(msg.payload, AlertPayload)
    assert msg.payload.alert_id == ALERT_ID
    assert msg.payload.measured == {"laeq_5min": 61.4}


def test_unknown_fields_from_newer_firmware_are_ignored() -> None:
    doc = alert_doc(firmware_extra={"a": 1}, another="x")
    msg = decode(contract.alert_topic("gumo", "noise-01"), raw(doc))
    assert not hasattr(msg.payload, "another")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\x00\xff garbage", "bad_json"),
        (b'{"schema_version": 1, "alert_id": ', "bad_json"),
        (b"[1, 2]", "bad_json"),
        (raw(alert_doc(schema_version=2)), "bad_schema_version"),
        (
            raw({k: v for k, v in alert_doc().items() if k != "schema_version"}),
            "bad_schema_version",
        ),
        (raw({k: v for k, v in alert_doc().items() if k != "alert_id"}), "invalid"),
        (raw(alert_doc(seq="three")), "invalid"),
        (raw(alert_doc(severity="apocalyptic")), "invalid"),
        (raw(alert_doc(started_at="2026-11-27T04:45:00")), "invalid"),  # no time zone
        (raw(alert_doc(state="opened", seq=3)), "invalid"),
        (raw(alert_doc(state="closed", seq=3)), "invalid"),  # closed without ended_at
        (
            raw(alert_doc(ended_at=(NOW - timedelta(hours=1)).isoformat(), state="closed", seq=1)),
            "invalid",
        ),
        (b'{"schema_version": 1, "threshold": NaN}', "bad_json"),
        (b'{"schema_version": 1, "threshold": Infinity}', "bad_json"),
        (raw(alert_doc(measured={"laeq": 1e400})), "bad_json"),
        (raw(alert_doc(measured={"laeq": "loud"})), "invalid"),
        (raw(alert_doc(device="noise-02")), "wrong_device"),
        (raw(alert_doc(site="other")), "wrong_device"),
        (b"x" * (contract.MAX_PAYLOAD_BYTES + 1), "too_large"),
    ],
)
def test_bad_alerts_are_rejected_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as err:
        decode(contract.alert_topic("gumo", "noise-01"), payload)
    assert err.value.reason == reason


def status(state: str, epoch: int, **extra: Any) -> StatusPayload:
    fields: dict[str, Any] = {
        "schema_version": 1,
        "state": state,
        "boot_epoch": epoch,
        "ts": NOW,
        "agent": "edge-1",
    }
    if state == "online":
        fields |= {"software_version": "0.1.0", "config_hash": "abc"}
    return StatusPayload.model_validate(fields | extra)


def test_a_birth_must_say_what_runs() -> None:
    with pytest.raises(ValueError, match="software_version"):
        StatusPayload.model_validate(
            {"schema_version": 1, "state": "online", "boot_epoch": 1, "ts": NOW, "agent": "a"}
        )


@pytest.mark.parametrize(
    ("current", "incoming", "wins"),
    [
        (None, status("offline", 5), True),
        (5, status("online", 6), True),  # a new boot
        (5, status("online", 5), True),  # a rebirth of the same boot
        (6, status("online", 5), False),  # an old retained birth
        (5, status("offline", 5), True),  # the will of the current boot
        (6, status("offline", 5), False),  # a stale will must not mark a new boot offline
        (6, status("stopped", 5), False),
        (5, status("stopped", 5), True),
    ],
)
def test_boot_epoch_rule(current: int | None, incoming: StatusPayload, wins: bool) -> None:
    assert contract.supersedes(current, incoming) is wins


def test_evidence_round_trip_and_checks() -> None:
    blob = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 10
    ev = EvidencePayload.build(
        alert_id=ALERT_ID,
        evidence_id="snap-1",
        kind="snapshot",
        content_type="image/jpeg",
        ts=NOW,
        data=blob,
    )
    msg = decode(contract.evidence_topic("gumo", "cam-01", ALERT_ID), ev.to_json())
    assert isinstance(msg.payload, EvidencePayload)
    assert msg.payload.data() == blob
    assert msg.payload.ref().size_bytes == len(blob)
    tampered = json.loads(ev.to_json())
    tampered["sha256"] = "0" * 64
    with pytest.raises(ContractError) as err:
        decode(contract.evidence_topic("gumo", "cam-01", ALERT_ID), raw(tampered))
    assert err.value.reason == "invalid"
    other = uuid.uuid4()
    with pytest.raises(ContractError) as err:
        decode(contract.evidence_topic("gumo", "cam-01", other), ev.to_json())
    assert err.value.reason == "wrong_device"


def test_every_channel_has_a_payload_model() -> None:
    assert set(contract.PAYLOAD_BY_CHANNEL) == set(Channel)
    assert DeviceState.OFFLINE.value == "offline"


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        (NOW + timedelta(hours=25), "bad_timestamp"),  # a device clock gone wrong
        (NOW + timedelta(hours=23), None),  # a simulated clock running ahead is still fine
        (NOW - timedelta(days=400), None),  # an outbox backlog may be old
    ],
)
def test_the_receivers_clock_rule(ts: datetime, reason: str | None) -> None:
    raw_alert = raw(
        alert_doc(ts=ts.isoformat(), started_at=(ts - timedelta(minutes=1)).isoformat())
    )
    topic = contract.alert_topic("gumo", "noise-01")
    decode(topic, raw_alert)  # the contract alone does not know the time
    if reason is None:
        decode(topic, raw_alert, now=NOW)
    else:
        with pytest.raises(ContractError) as err:
            decode(topic, raw_alert, now=NOW)
        assert err.value.reason == reason
