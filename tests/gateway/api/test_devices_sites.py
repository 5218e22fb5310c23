"""Devices and sites: presence, scoping, site files (a broken one is left out)."""

from __future__ import annotations

import pytest

from tests.gateway.api.helpers import World


def test_devices_for_admin(world: World) -> None:
    r = world.get("/api/devices")
    assert r.status_code == 200
    got = [(d["site"], d["device_id"], d["state"]) for d in r.json()]
    assert got == [
        ("gumo", "cam-01", "stale"),
        ("gumo", "noise-01", "online"),
        ("haiyuan", "gate-1", "online"),
    ]


@pytest.mark.parametrize(
    ("user", "query", "expected"),
    [
        ("mgr_gumo", "", {"cam-01", "noise-01"}),
        ("mgr_gumo", "?site=haiyuan", set()),
        ("mgr_park", "", {"gate-1"}),
        ("admin", "?state=online", {"noise-01", "gate-1"}),
        ("admin", "?site=gumo&state=stale", {"cam-01"}),
        ("off_police", "?agents=false", {"cam-01", "noise-01", "gate-1"}),
    ],
)
def test_device_filters_and_scope(world: World, user: str, query: str, expected: set[str]) -> None:
    r = world.get(f"/api/devices{query}", user)
    assert r.status_code == 200
    assert {d["device_id"] for d in r.json()} == expected


def test_sites_from_files_with_presence(world: World) -> None:
    r = world.get("/api/sites", "viewer")
    assert r.status_code == 200
    sites = {s["id"]: s for s in r.json()}
    assert set(sites) == {"gumo", "haiyuan"}  # broken.yaml is left out
    gumo = sites["gumo"]
    assert len(gumo["devices"]) == 21  # 17 cameras, 4 noise sensors
    states = {d["id"]: d["state"] for d in gumo["devices"]}
    assert states["noise-01"] == "online"
    assert states["cam-01"] == "stale"
    assert states["cam-02"] == "unknown"
    assert gumo["devices_online"] == 1
    agents = {d["id"]: d["agent"] for d in gumo["devices"]}
    assert agents["noise-02"] == "edge-gumo-noise"
    expected_open = sum(
        1 for site, _, _, state in world.alerts.values() if site == "gumo" and state != "closed"
    )
    assert gumo["open_alerts"] == expected_open
    assert sites["haiyuan"]["capacity"] == 800


@pytest.mark.parametrize(("user", "expected"), [("mgr_gumo", ["gumo"]), ("mgr_park", ["haiyuan"])])
def test_manager_sees_own_site(world: World, user: str, expected: list[str]) -> None:
    r = world.get("/api/sites", user)
    assert [s["id"] for s in r.json()] == expected


def test_officer_open_alert_count_is_scoped(world: World) -> None:
    sites = {s["id"]: s for s in world.get("/api/sites", "off_sanitation").json()}
    expected = sum(
        1
        for site, kind, _, state in world.alerts.values()
        if site == "gumo" and kind == "rubbish_left" and state != "closed"
    )
    assert sites["gumo"]["open_alerts"] == expected
    assert sites["haiyuan"]["open_alerts"] == 0
