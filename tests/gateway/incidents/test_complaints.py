"""12345 complaints through Open311 and the CSV import: matched ones join their alert's
incident, unmatched ones are misses by the grid (flagged, counted, warned)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.gateway.incidents.helpers import World


def _file(world: World, zone: str, code: str = "noise", **extra: str) -> dict:
    data = {
        "service_code": code,
        "description": "喇叭叫卖太吵 loudspeaker hawking before dawn",
        "address_string": "古陌早市北段",
        "attribute[zone]": zone,
        "requested_datetime": world.clock.now.isoformat(),
        **extra,
    }
    r = world.post("/open311/v2/requests.json", "centre", data=data)
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body, list) and body[0]["service_request_id"]
    rid = body[0]["service_request_id"]
    got = world.get(f"/open311/v2/requests/{rid}.json")
    assert got.status_code == 200, got.text
    return dict(got.json()[0])


def test_complaint_with_a_matching_alert_is_linked_to_its_incident(world: World, zone: str) -> None:
    aid = world.alert(zone=zone, started_at=world.clock.now - timedelta(minutes=5))
    incident = world.incident_of(aid)
    world.clock.advance(minutes=3)
    req = _file(world, zone)
    assert req["grid_miss"] is False
    assert req["matched_alert_id"] == str(aid)
    assert req["incident_id"] == incident["id"]
    assert req["status"] == "open"
    assert req["agency_responsible"] == "市场监管"
    assert world.get(f"/api/incidents/{incident['id']}").json()["complaint_count"] == 1


def test_complaint_no_sensor_saw_is_a_grid_miss_and_warned(world: World, zone: str) -> None:
    world.runtime.deliver()
    world.receiver.clear()
    # a noise alert of another zone, and an old one in this zone: neither matches
    world.alert(zone=zone + "x")
    world.alert(
        zone=zone,
        device="noise-02",
        started_at=world.clock.now - timedelta(hours=5),
        state="opened",
    )
    old = world.incident_of(world.alert(zone=zone + "y"))
    assert old
    world.clock.advance(hours=1)
    req = _file(world, zone + "y", code="encroachment", description="摊位摆到马路上")
    assert req["grid_miss"] is True and req["matched_alert_id"] is None
    incident = world.get(f"/api/incidents/{req['incident_id']}").json()
    assert (incident["source"], incident["type"]) == ("complaint", "encroachment")
    assert incident["department"] == "city_enforcement"
    world.runtime.deliver()
    warned = [
        r
        for r in world.receiver.of("/robot/send")
        if "网格应发现未发现" in r.body["markdown"]["text"]
    ]
    assert warned and world.receiver.bad_signatures == []
    misses = world.get("/api/figures/misses", params={"site": "gumo"}).json()["rows"]
    assert any(m["zone"] == zone + "y" and m["misses"] == 1 for m in misses)
    csv_text = world.get("/api/figures/misses", params={"format": "csv"}).text
    assert csv_text.splitlines()[0] == "site,zone,detector,service_code,misses"


def test_open311_services_and_bad_requests(world: World) -> None:
    services = world.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"noise", "encroachment", "sanitation"} <= codes
    r = world.post("/open311/v2/requests.json", "centre", data={"service_code": "ufo"})
    assert r.status_code == 400 and "location" in r.json()["detail"]
    r = world.post(
        "/open311/v2/requests.json",
        "centre",
        data={"service_code": "ufo", "attribute[site]": "gumo"},
    )
    assert r.status_code == 400 and "unknown service_code" in r.json()["detail"]
    r = world.post(
        "/open311/v2/requests.json",
        "centre",
        data={"service_code": "noise", "lat": "31.2", "long": "121.4"},  # far from any site
    )
    assert r.status_code == 400 and "cannot place" in r.json()["detail"]
    listed = world.get("/open311/v2/requests.json", params={"service_code": "noise"}).json()
    assert all(r["service_code"] == "noise" for r in listed)


@pytest.mark.parametrize("ids", ["abc", "1,x", "0", "-3", "999999999999999999999999999999"])
def test_open311_listing_rejects_what_is_no_request_id(world: World, ids: str) -> None:
    """A number past the database's 64-bit ids was a 500 (an overflow in the query; found by
    the Schemathesis contract test): every id out of range is a 400 naming it."""
    r = world.get("/open311/v2/requests.json", params={"service_request_id": ids})
    assert r.status_code == 400, r.text
    assert "is not an id" in r.json()["detail"]


CSV = """工单编号,受理时间,诉求类别,诉求内容,地址,纬度,经度,site,zone
T-1,{t1},noise,凌晨喇叭叫卖,古陌早市北段,,,,{zone}
T-2,not-a-time,noise,坏行,古陌早市,,,,
T-3,{t1},ufo,未知类别,古陌早市,,,,
T-4,{t2},sanitation,收市后垃圾未清,,37.5085,122.1163,,{zone}
T-5,{t1},noise,太远,上海,31.2,121.4,,
"""


def test_csv_import_reports_bad_rows_by_line_and_keeps_the_rest(
    world: World, zone: str, tmp_path: Path
) -> None:
    from whistle.cli import main

    aid = world.alert(zone=zone, started_at=world.clock.now)
    t1 = (world.clock.now + timedelta(minutes=2)).isoformat()
    t2 = (world.clock.now + timedelta(hours=4)).strftime("%Y-%m-%d %H:%M")  # local time
    path = tmp_path / "hotline.csv"
    path.write_text(CSV.format(t1=t1, t2=t2, zone=zone), encoding="utf-8")
    url = world.store.engine.url.render_as_string(hide_password=False)
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["complaints", "import", str(path), "--db-url", url])
    text = out.getvalue()
    assert status == 1
    assert f"{path}:3: requested_at 'not-a-time' is not ISO 8601" in text
    assert f"{path}:4: unknown service_code 'ufo'" in text
    assert f"{path}:6: cannot place" in text
    assert "imported 2 complaint(s): 1 matched a sensor alert, 1 missed by the grid" in text
    listed = world.get("/open311/v2/requests.json", params={"service_code": "noise,sanitation"})
    by_desc = {r["description"]: r for r in listed.json()}
    assert by_desc["凌晨喇叭叫卖"]["matched_alert_id"] == str(aid)
    assert by_desc["收市后垃圾未清"]["grid_miss"] is True
    # importing the same export again stores nothing twice
    out = io.StringIO()
    with redirect_stdout(out):
        main(["complaints", "import", str(path), "--db-url", url])
    assert "imported 0 complaint(s)" in out.getvalue() and "2 already imported" in out.getvalue()
