"""Alerts: filters, cursor pages without loss or repeats, role scoping, detail with evidence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gateway.auth.scope import departments_for_alert_type
from tests.gateway.api.helpers import BASE_TIME, N_ALERTS, World


def _all_pages(world: World, user: str, query: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(N_ALERTS + 2):
        url = f"/api/alerts?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        r = world.get(url, user)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def _expected(world: World, keep: Any) -> list[str]:
    rows = [
        (started, aid)
        for aid, (site, kind, started, state) in world.alerts.items()
        if keep(site, kind, started, state)
    ]
    return [aid for _, aid in sorted(rows, reverse=True)]


@pytest.mark.parametrize("limit", [1, 7, 40, 500])
def test_pages_cover_everything_once_in_order(world: World, limit: int) -> None:
    items = _all_pages(world, "admin", "", limit)
    assert [i["alert_id"] for i in items] == _expected(world, lambda *_: True)


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("&site=gumo", lambda site, kind, started, state: site == "gumo"),
        ("&type=crowding", lambda site, kind, started, state: kind == "crowding"),
        ("&status=open", lambda site, kind, started, state: state != "closed"),
        ("&status=closed", lambda site, kind, started, state: state == "closed"),
        ("&state=updated", lambda site, kind, started, state: state == "updated"),
        (
            "&since=2026-03-02T05:00:00Z&until=2026-03-02T05:30:00%2B00:00",
            lambda site, kind, started, state: (
                BASE_TIME + timedelta(minutes=30) <= started < BASE_TIME + timedelta(minutes=60)
            ),
        ),
        # a naive time is UTC; an offset is honoured (13:00+08:00 == 05:00Z)
        (
            "&since=2026-03-02T13:00:00%2B08:00&site=haiyuan",
            lambda site, kind, started, state: (
                site == "haiyuan" and started >= BASE_TIME + timedelta(minutes=30)
            ),
        ),
        (
            "&until=2026-03-02T04:40:00",
            lambda site, kind, started, state: started < BASE_TIME + timedelta(minutes=10),
        ),
        (
            "&device=gate-1&status=open",
            lambda site, kind, started, state: kind == "crowding" and state != "closed",
        ),
    ],
)
def test_filters(world: World, query: str, keep: Any) -> None:
    items = _all_pages(world, "admin", query, 6)
    expected = _expected(world, keep)
    assert expected, "the filter must select something to be a test"
    assert [i["alert_id"] for i in items] == expected


@pytest.mark.parametrize(
    ("user", "keep"),
    [
        ("viewer", lambda site, kind, started, state: True),
        ("mgr_gumo", lambda site, kind, started, state: site == "gumo"),
        ("mgr_park", lambda site, kind, started, state: site == "haiyuan"),
        (
            "off_market",
            lambda site, kind, started, state: (
                "market_supervision" in departments_for_alert_type(kind)
            ),
        ),
        ("off_sanitation", lambda site, kind, started, state: kind == "rubbish_left"),
        (
            "off_police",
            lambda site, kind, started, state: kind in ("crowding", "vehicle_intrusion"),
        ),
    ],
)
def test_scoping(world: World, user: str, keep: Any) -> None:
    items = _all_pages(world, user, "", 9)
    expected = _expected(world, keep)
    assert len(expected) > 0
    assert [i["alert_id"] for i in items] == expected


def test_manager_filtering_another_site_sees_nothing(world: World) -> None:
    r = world.get("/api/alerts?site=haiyuan", "mgr_gumo")
    assert r.status_code == 200
    assert r.json() == {"items": [], "next_cursor": None}


def test_detail_has_evidence_links(world: World) -> None:
    r = world.get(f"/api/alerts/{world.noise_alert}", "mgr_gumo")
    assert r.status_code == 200
    body = r.json()
    assert body["site"] == "gumo"
    assert body["details"] == {"i": 0}
    # no value the noise line needs (LAeq, period, class): the edge's words in both languages
    assert body["summaries"] == {"zh": body["summary"], "en": body["summary"]}
    links = {e["evidence_id"]: e for e in body["evidence"]}
    assert links["snap-1"]["available"] is True
    assert links["snap-1"]["url"] == f"/api/evidence/snap-1?alert_id={world.noise_alert}"
    assert links["trace-1"]["available"] is False
    got = world.get(links["snap-1"]["url"], "mgr_gumo")
    assert got.status_code == 200


@pytest.mark.parametrize("user", ["mgr_park", "off_sanitation", "off_police"])
def test_detail_of_an_alert_out_of_scope_is_404(world: World, user: str) -> None:
    r = world.get(f"/api/alerts/{world.noise_alert}", user)
    assert r.status_code == 404
    assert "detail" in r.json()


def test_unknown_alert_is_404(world: World) -> None:
    r = world.get("/api/alerts/00000000-0000-0000-0000-00000000dead")
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("status=pending", "status"),
        ("state=open", "state"),
        ("since=yesterday", "since"),
        ("until=2026-13-40T00:00:00", "until"),
        ("since=2026-03-02T06:00:00Z&until=2026-03-02T05:00:00Z", "until"),
        ("site=Gumo%20Market", "site"),
        ("type=" + "x" * 65, "type"),
        ("device=%00", "device"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJub3QgYSB0aW1lIiwgIngiXQ", "cursor"),
        ("since=0001-01-01T00:00:00%2B01:00", "since"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(
    sqlite_world: World, query: str, field: str
) -> None:
    r = sqlite_world.get(f"/api/alerts?{query}")
    assert r.status_code == 422, r.text
    body = r.json()
    assert [field] == [e["loc"][-1] for e in body["detail"]]
    assert field in body["message"]


def test_bad_alert_id_is_422(sqlite_world: World) -> None:
    r = sqlite_world.get("/api/alerts/not-a-uuid")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "alert_id"]
