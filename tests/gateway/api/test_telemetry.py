"""Telemetry series from minute aggregates, re-bucketed by step."""

from __future__ import annotations

import pytest

from tests.gateway.api.helpers import World

URL = "/api/telemetry/noise-01/noise?since=2026-03-02T04:30:00Z&until=2026-03-02T04:40:00Z"


def _series(body: dict, zone: str | None) -> list[dict]:
    [series] = [s for s in body["series"] if s["zone"] == zone]
    assert series["field"] == "laeq_db"
    return series["points"]


def test_minute_step_returns_the_minutes(world: World) -> None:
    r = world.get(URL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["site"] == "gumo"
    points = _series(body, None)
    assert len(points) == 10
    assert points[3] == {
        "t": "2026-03-02T04:33:00Z",
        "count": 60,
        "mean": 53.0,
        "min": 43.0,
        "max": 63.0,
        "last": 54.0,
    }


def test_five_minute_buckets(world: World) -> None:
    # minutes k=0..4 (04:30-04:34) and k=5..9; buckets aligned to 5 min since the epoch
    r = world.get(URL + "&step=5&zone=north")
    assert r.status_code == 200
    body = r.json()
    assert [s["zone"] for s in body["series"]] == ["north"]
    points = _series(body, "north")
    assert points == [
        {
            "t": "2026-03-02T04:30:00Z",
            "count": 300,
            "mean": 52.0,
            "min": 40.0,
            "max": 64.0,
            "last": 55.0,
        },
        {
            "t": "2026-03-02T04:35:00Z",
            "count": 300,
            "mean": 57.0,
            "min": 45.0,
            "max": 69.0,
            "last": 60.0,
        },
    ]


def test_window_edges_and_hour_step(world: World) -> None:
    # since 04:33 (k=3..9), one hour bucket 04:00
    r = world.get(
        "/api/telemetry/noise-01/noise?since=2026-03-02T04:33:00Z"
        "&until=2026-03-02T05:00:00Z&step=60&field=laeq_db"
    )
    points = _series(r.json(), None)
    assert points == [
        {
            "t": "2026-03-02T04:00:00Z",
            "count": 420,
            "mean": 56.0,
            "min": 43.0,
            "max": 69.0,
            "last": 60.0,
        }
    ]


def test_site_is_optional_when_unambiguous_and_scoped(world: World) -> None:
    assert world.get(URL + "&site=gumo", "mgr_gumo").status_code == 200
    assert world.get(URL, "mgr_park").status_code == 404
    assert world.get(URL + "&site=gumo", "mgr_park").status_code == 404


def test_no_data_in_window_is_empty(world: World) -> None:
    r = world.get(
        "/api/telemetry/noise-01/noise?since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z"
    )
    assert r.status_code == 200
    assert r.json()["series"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("step=0", "step"),
        ("step=-5", "step"),
        ("step=1.5", "step"),
        ("since=2020-01-01T00:00:00Z&until=2026-01-01T00:00:00Z", "since"),
        ("since=2026-01-01T00:00:00Z&until=2026-03-01T00:00:00Z&step=1", "step"),
        ("since=2026-03-02T05:00:00Z&until=2026-03-02T04:00:00Z", "until"),
        ("zone=NORTH", "zone"),
    ],
)
def test_bad_parameters_are_422(sqlite_world: World, query: str, field: str) -> None:
    r = sqlite_world.get(f"/api/telemetry/noise-01/noise?{query}")
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == field


def test_unknown_device_is_404(world: World) -> None:
    assert world.get("/api/telemetry/ghost/noise").status_code == 404
