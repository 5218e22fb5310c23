"""Alert -> incident -> notified -> accepted -> resolved -> verified by the sensors, through
the API with alerts stored by core's ingest, on SQLite and PostgreSQL; the variants where the
noise continues and where the SLA is missed."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from tests.gateway.incidents.helpers import World


def mic(zone: str) -> str:
    """A microphone of the test's own: other tests' telemetry must not move its sensor clock."""
    return f"mic-{zone}"


def test_alert_becomes_incident_routed_notified_handled_and_verified(
    world: World, zone: str
) -> None:
    aid = world.alert(
        zone=zone,
        device=mic(zone),
        measured={"laeq_mean_db": 63.0},
        details={"period": "night", "zone_class": "2", "source_hint": "loudspeaker_loop"},
    )
    incident = world.incident_of(aid)
    assert incident["department"] == "market_supervision"
    assert incident["grid"] == "huancui-gumo"
    assert incident["state"] == "dispatched"
    assert [t["to"] for t in incident["transitions"]] == ["new", "dispatched"]
    assert incident["next_deadline"]["stage"] == "accepted"
    # the list, the detail and the centre's CSV carry the first alert's line per language
    zh_line = "LAeq 63.0 dB(A)，超过夜间限值 50 dB(A)"
    listed = world.get("/api/incidents", params={"zone": zone}).json()["items"]
    assert [i["summaries"]["zh"] for i in listed] == [incident["summaries"]["zh"]]
    assert zh_line in incident["summaries"]["zh"]
    assert "over the night limit" in incident["summaries"]["en"]
    # the world's clock is in the past: any creation date
    csv_text = world.get("/web/api/incidents.csv", params={"days": 0}).text
    csv_rows = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    [row] = [r for r in csv_rows if r["id"] == str(incident["id"])]
    assert zh_line in row["summary_zh"] and "over the night limit" in row["summary_en"]
    assert row["summary"] == incident["summary"]  # as the edge sent it

    stats = world.runtime.deliver()
    assert stats.sent >= 2 and stats.failed == 0
    wecom = world.receiver.of("/cgi-bin/webhook/send")
    assert len(wecom) == 1
    assert wecom[0].query == {"key": "market-key"}
    assert wecom[0].body["msgtype"] == "markdown"
    content = wecom[0].body["markdown"]["content"]
    assert "新事件" in content and "New incident" in content and "市场监管" in content
    # what the sensor measured, in each block's language (language: both)
    zh_block, en_block = content.split("**New incident")
    assert "LAeq 63.0 dB(A)，超过夜间限值 50 dB(A)" in zh_block
    assert "LAeq 63.0 dB(A) over the night limit 50 dB(A)" in en_block
    assert "noise_exceedance at" not in content, "the edge's English stays out of the message"
    assert len(content.encode()) <= 2048
    hooks = world.receiver.of("/hook")
    assert any(h.body["event"]["incident_id"] == incident["id"] for h in hooks)
    assert world.receiver.bad_signatures == []

    iid = incident["id"]
    for to in ("accepted", "on_site"):
        world.clock.advance(minutes=3)
        r = world.move(iid, to, "off_market", note=f"{to} by phone")
        assert r.status_code == 201, r.text
        assert r.json()["incident"]["summaries"] == incident["summaries"]
    world.clock.advance(minutes=5)
    r = world.move(iid, "resolved", "off_market", note="loudspeaker switched off")
    assert r.status_code == 201, r.text
    assert r.json()["incident"]["state"] == "resolved"

    # the episode closes and the level stays under the limit
    world.alert(
        device=mic(zone),
        zone=zone,
        alert_id=aid,
        state="closed",
        seq=1,
        started_at=world.clock.now - timedelta(minutes=11),
        ended_at=world.clock.now,
    )
    for k in range(1, 5):
        world.telemetry(device=mic(zone), minute=world.clock.now + timedelta(minutes=k), mean=46.0)
    world.clock.advance(minutes=5)
    assert iid not in world.runtime.verify()  # quiet period (10 min) not over yet
    world.clock.advance(minutes=6)
    assert world.runtime.verify().get(iid) == "verified"
    detail = world.get(f"/api/incidents/{iid}").json()
    assert detail["state"] == "verified"
    last = detail["transitions"][-1]
    assert (last["actor"], last["to"]) == ("system", "verified")
    assert [a["alert_id"] for a in detail["alerts"]] == [str(aid)]
    assert detail["alerts"][0]["state"] == "closed"

    r = world.move(iid, "closed", "centre", note="done")
    assert r.status_code == 201, r.text


def _resolved_incident(world: World, zone: str) -> tuple[int, uuid.UUID]:
    aid = world.alert(zone=zone, device=mic(zone))
    iid = world.incident_of(aid)["id"]
    for to in ("accepted", "on_site", "resolved"):
        world.clock.advance(minutes=2)
        assert world.move(iid, to, "off_market").status_code == 201
    return iid, aid


def test_noise_continuing_after_resolution_reopens(world: World, zone: str) -> None:
    iid, aid = _resolved_incident(world, zone)
    world.alert(
        device=mic(zone),
        zone=zone,
        alert_id=aid,
        state="closed",
        seq=1,
        started_at=world.clock.now - timedelta(minutes=6),
        ended_at=world.clock.now,
    )
    # the episode closed, but the per-minute LAeq is back over the 50 dB(A) limit
    world.telemetry(device=mic(zone), minute=world.clock.now + timedelta(minutes=2), mean=57.5)
    world.clock.advance(minutes=3)
    assert world.runtime.verify().get(iid) == "reopened"
    detail = world.get(f"/api/incidents/{iid}").json()
    assert detail["state"] == "reopened"
    assert "57.5" in detail["transitions"][-1]["note"]
    assert detail["reopen_count"] == 1
    world.runtime.deliver()
    assert any("重启" in r.body["markdown"]["content"] for r in world.receiver.of("/webhook/send"))


def test_new_alert_while_resolved_reopens_the_same_incident(world: World, zone: str) -> None:
    iid, _ = _resolved_incident(world, zone)
    world.clock.advance(minutes=4)
    again = world.alert(zone=zone)
    incident = world.incident_of(again)
    assert incident["id"] == iid
    assert incident["state"] == "reopened"
    assert incident["alert_count"] == 2


def test_missed_sla_escalates_to_street_then_district(world: World, zone: str) -> None:
    aid = world.alert(zone=zone)
    iid = world.incident_of(aid)["id"]
    world.runtime.deliver()
    world.receiver.clear()
    world.clock.advance(minutes=9)
    assert iid not in world.runtime.check_sla()  # accept target is 10 min
    world.clock.advance(minutes=2)
    assert iid in world.runtime.check_sla()
    detail = world.get(f"/api/incidents/{iid}").json()
    assert (detail["state"], detail["escalation_level"]) == ("escalated", 1)
    assert "SLA missed" in detail["transitions"][-1]["note"]
    world.runtime.deliver()
    ding = [r for r in world.receiver.of("/robot/send") if f"#{iid}" in r.body["markdown"]["title"]]
    assert len(ding) == 1 and world.receiver.bad_signatures == []
    assert "吹哨" in ding[0].body["markdown"]["text"]
    assert "街道综合指挥中心" in ding[0].body["markdown"]["text"]
    assert ding[0].body["at"]["atMobiles"] == ["13800000000"]
    assert iid not in world.runtime.check_sla()  # already at level 1

    world.clock.advance(minutes=30)
    assert iid in world.runtime.check_sla()
    detail = world.get(f"/api/incidents/{iid}").json()
    assert detail["escalation_level"] == 2
    # the department still has to report: the next stage is allowed from escalated
    assert "accepted" in detail["allowed_transitions"]
    assert world.move(iid, "accepted", "off_market").status_code == 201


def test_alerts_of_one_type_and_zone_within_the_window_join_one_incident(
    world: World, zone: str
) -> None:
    first = world.alert(zone=zone)
    world.clock.advance(minutes=5)
    second = world.alert(zone=zone, device="noise-02")
    other_zone = world.alert(zone=zone + "b")
    other_type = world.alert(zone=zone, type="encroachment", device="cam-01")
    a, b = world.incident_of(first), world.incident_of(second)
    assert a["id"] == b["id"] and b["alert_count"] == 2
    assert world.incident_of(other_zone)["id"] != a["id"]
    enc = world.incident_of(other_type)
    assert enc["id"] != a["id"] and enc["department"] == "city_enforcement"


def test_verification_runs_on_the_sensors_clock(world: World, zone: str) -> None:
    """A replayed morning: device times run hours behind the gateway; quiet is judged on them."""
    device = mic(zone)
    t0 = world.clock.now - timedelta(hours=10)
    world.telemetry(device=device, minute=t0, mean=58.0)
    aid = world.alert(zone=zone, device=device, started_at=t0)
    iid = world.incident_of(aid)["id"]
    for to in ("accepted", "on_site", "resolved"):
        assert world.move(iid, to, "off_market").status_code == 201
    world.alert(
        zone=zone,
        device=device,
        alert_id=aid,
        state="closed",
        seq=1,
        started_at=t0,
        ended_at=t0 + timedelta(minutes=1),
    )
    for k in range(1, 6):
        world.telemetry(device=device, minute=t0 + timedelta(minutes=k), mean=45.0)
    assert iid not in world.runtime.verify()  # five quiet sensor minutes, ten needed
    world.clock.advance(minutes=30)
    assert iid not in world.runtime.verify(), "gateway time passing proves nothing"
    for k in range(6, 13):
        world.telemetry(device=device, minute=t0 + timedelta(minutes=k), mean=45.0)
    assert world.runtime.verify().get(iid) == "verified"
