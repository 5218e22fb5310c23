"""Who may see and move what: officers only their department's incidents (404 for the rest),
role rules on transitions, 409 naming the allowed transitions, photos checked by their bytes."""

from __future__ import annotations

import pytest

from tests.gateway.incidents.helpers import World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def test_officers_cannot_see_or_act_on_other_departments(world: World, zone: str) -> None:
    iid = world.incident_of(world.alert(zone=zone))["id"]  # market_supervision
    assert world.get(f"/api/incidents/{iid}", "off_police").status_code == 404
    r = world.move(iid, "accepted", "off_police")
    assert r.status_code == 404
    r = world.post(f"/api/incidents/{iid}/photos", "off_police", files={"file": ("p.png", PNG)})
    assert r.status_code == 404
    listed = world.get("/api/incidents", "off_police", params={"limit": 500}).json()["items"]
    assert iid not in [i["id"] for i in listed]
    assert all(i["department"] == "police" for i in listed)
    mine = world.get("/api/incidents", "off_market", params={"limit": 500}).json()["items"]
    assert iid in [i["id"] for i in mine]
    # a site manager sees the site's incidents, the centre all
    assert world.get(f"/api/incidents/{iid}", "mgr_gumo").status_code == 200
    assert world.get(f"/api/incidents/{iid}", "centre").status_code == 200
    # and nothing changed
    assert world.get(f"/api/incidents/{iid}").json()["state"] == "dispatched"


@pytest.mark.parametrize(
    ("user", "to", "expected"),
    [
        ("off_market", "accepted", 201),
        ("centre", "rejected", 201),  # first without a reason: 422
        ("off_market", "rejected", 403),
        ("viewer", "accepted", 403),
        ("mgr_gumo", "escalated", 403),
        ("centre", "escalated", 201),
    ],
)
def test_role_rules(world: World, zone: str, user: str, to: str, expected: int) -> None:
    iid = world.incident_of(world.alert(zone=zone))["id"]
    r = world.move(iid, to, user)
    if user == "centre" and to == "rejected":
        assert r.status_code == 422 and "reason" in r.json()["detail"]
        r = world.move(iid, to, user, reason="false_alarm", note="a car alarm, not a stall")
    assert r.status_code == expected, r.text


def test_invalid_transition_is_409_naming_the_allowed_ones(world: World, zone: str) -> None:
    iid = world.incident_of(world.alert(zone=zone))["id"]
    r = world.move(iid, "resolved", "off_market")
    assert r.status_code == 409
    body = r.json()
    assert body["current"] == "dispatched"
    assert body["allowed"] == ["accepted", "escalated", "rejected"]
    assert "accepted" in body["detail"]
    assert world.move(iid, "flying", "off_market").status_code == 409


def test_false_alarm_rejection_feeds_the_detector_false_alarm_rate(world: World, zone: str) -> None:
    iid = world.incident_of(world.alert(zone=zone, device="noise-03"))["id"]
    r = world.move(iid, "rejected", "centre", reason="false_alarm", note="calibration tone")
    assert r.status_code == 201, r.text
    rows = world.get("/api/figures/false_alarms", params={"site": "gumo"}).json()["rows"]
    row = next(r for r in rows if r["device"] == "noise-03")
    assert row["false_alarms"] >= 1 and 0 < row["false_alarm_rate"] <= 1


@pytest.mark.parametrize(
    ("name", "data", "status", "ctype"),
    [
        ("a.png", PNG, 201, "image/png"),
        ("a.webp", WEBP, 201, "image/webp"),
        ("a.jpg", b"\xff\xd8\xff\xe0" + b"j" * 40, 201, "image/jpeg"),
        ("a.png", b"<html><script>alert(1)</script></html>", 415, None),
        ("a.jpg", b"\xff\xd8\xff" + b"x" * (960 * 1024), 413, None),
    ],
)
def test_photos_checked_by_magic_bytes_and_never_served_as_html(
    world: World, zone: str, name: str, data: bytes, status: int, ctype: str | None
) -> None:
    iid = world.incident_of(world.alert(zone=zone))["id"]
    r = world.post(
        f"/api/incidents/{iid}/photos",
        "off_market",
        files={"file": (name, data, "text/html")},  # the client's type is ignored
    )
    assert r.status_code == status, r.text
    if ctype is None:
        return
    photo = r.json()
    assert photo["content_type"] == ctype
    r = world.move(iid, "accepted", "off_market", photo_id=photo["id"], note="on my way")
    assert r.status_code == 201 and r.json()["transition"]["photo_id"] == photo["id"]
    got = world.get(photo["url"], "off_market")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == ctype
    assert got.headers["x-content-type-options"] == "nosniff"
    assert world.get(photo["url"], "off_police").status_code == 404
