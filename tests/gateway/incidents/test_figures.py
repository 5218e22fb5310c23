"""Figures for the centres through the API: times (median, p90), SLA compliance, settled in
the grid, the reverse assessment, CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from tests.gateway.incidents.helpers import World

SITE = "running-park"


def test_figures_for_a_park(world: World, zone: str) -> None:
    accept_after_min = [2, 4, 12]  # park_capacity: accept within 5 min
    ids = []
    for i, minutes in enumerate(accept_after_min):
        world.clock.now = world.clock.now.replace(minute=0) if i == 0 else world.clock.now
        aid = world.alert(type="park_capacity", site=SITE, device="gate-1", zone=f"{zone}{i}")
        iid = world.incident_of(aid)["id"]
        ids.append(iid)
        world.clock.advance(minutes=minutes)
        assert world.move(iid, "accepted", "off_city").status_code == 201
        assert world.move(iid, "on_site", "off_city").status_code == 201
        assert world.move(iid, "resolved", "off_city").status_code == 201
    params = {"site": SITE}
    times = world.get("/api/figures/times", params=params).json()["rows"]
    row = next(r for r in times if r["type"] == "park_capacity")
    assert row["department"] == "city_enforcement" and row["accepted_n"] == 3
    assert row["accepted_median_s"] == pytest.approx(240.0)
    assert row["accepted_p90_s"] == pytest.approx(624.0)  # 240 + 0.8 * (720 - 240)
    sla = world.get("/api/figures/sla", params=params).json()["rows"]
    assert sla[0]["accepted_compliance"] == pytest.approx(2 / 3)
    summary = world.get("/api/figures/summary", params=params).json()["rows"][0]
    assert summary["settled"] == 3 and summary["settled_in_grid_share"] == 1.0

    r = world.post(
        "/api/figures/assessments",
        "centre",
        json={"department": "city_enforcement", "period": "2026-03", "score": 80},
    )
    assert r.status_code == 201, r.text
    assert (
        world.post(
            "/api/figures/assessments",
            "off_city",
            json={"department": "city_enforcement", "period": "2026-03", "score": 100},
        ).status_code
        == 403
    )
    rows = world.get("/api/figures/assessment", params={**params, "period": "2026-03"}).json()
    a = next(r for r in rows["rows"] if r["department"] == "city_enforcement")
    # one late acceptance; on site and resolved were all in time: 8 of 9 stage checks
    expected = 0.3 * 80 + 0.4 * (100 * 8 / 9) + 0.15 * 100 + 0.15 * 100
    assert a["street_score"] == 80 and a["score"] == pytest.approx(expected)

    text = world.get("/api/figures/times.csv", params=params).text
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["accepted_median_s"] == "240.0"
    # an officer's figures are their department's only
    own = world.get("/api/figures/times", "off_police").json()["rows"]
    assert all(r["department"] == "police" for r in own)
    assert world.get("/api/figures/nonsense").status_code == 404


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("2026-11-01T00:00:00", 200),  # no offset: taken as UTC
        ("2026-11-01T08:00:00+08:00", 200),
        ("yesterday", 422),
        ("99999-01-01T00:00:00", 422),
    ],
)
@pytest.mark.parametrize("path", ["/api/figures/summary", "/api/incidents"])
def test_time_filters_never_fail_the_server(
    world: World, path: str, since: str, status: int
) -> None:
    response = world.get(path, params={"since": since})
    assert response.status_code == status, response.text
    if status == 422:
        assert "since" in response.text
