"""SSE: events arrive in id order, Last-Event-ID resumes without loss or repeats, scoped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.db.events import record_event
from tests.gateway.api.helpers import World
from tests.uvicorn_thread import ServerThread


@pytest.fixture
def server(world: World) -> Iterator[ServerThread]:
    with ServerThread(world.app) as srv:
        yield srv


def _record(world: World, events: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    with world.store.session() as s:
        rows = [record_event(s, kind, subject, data) for kind, subject, data in events]
        s.flush()
        return [r.id for r in rows]


def _read(
    server: ServerThread,
    token: str,
    count: int,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> list[dict[str, Any]]:
    """The first ``count`` events of a fresh connection (fails after 10 s of silence)."""
    got: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    all_headers = {"Authorization": f"Bearer {token}", **(headers or {})}
    with httpx.stream(
        "GET", f"{server.url}/api/stream{query}", headers=all_headers, timeout=10.0
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("id: "):
                current["id"] = int(line[4:])
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and "id" in current:
                got.append(current)
                current = {}
                if len(got) == count:
                    break
    return got


def test_events_arrive_and_resume_without_loss_or_repeats(
    world: World, server: ServerThread
) -> None:
    alert = world.noise_alert
    first = _record(
        world,
        [
            ("alert", alert, {"state": "updated"}),
            ("device", "gumo/noise-01", {"site": "gumo", "state": "offline"}),
            ("alert", alert, {"state": "closed"}),
        ],
    )
    before = first[0] - 1
    got = _read(server, world.tokens["admin"], 3, {"Last-Event-ID": str(before)})
    assert [e["id"] for e in got] == first
    assert [e["event"] for e in got] == ["alert", "device", "alert"]
    assert got[0]["data"]["subject"] == alert
    assert got[1]["data"]["data"] == {"site": "gumo", "state": "offline"}
    # the client saw up to first[1], then dropped; more events happen while it is away
    second = _record(world, [("device", "gumo/cam-01", {"site": "gumo", "state": "online"})])
    resumed = _read(server, world.tokens["admin"], 2, {"Last-Event-ID": str(first[1])})
    assert [e["id"] for e in resumed] == [first[2], second[0]]
    # the query parameter does the same for clients that cannot set headers
    again = _read(server, world.tokens["admin"], 1, query=f"?last_event_id={first[2]}")
    assert [e["id"] for e in again] == second


def test_stream_is_scoped(world: World, server: ServerThread) -> None:
    ids = _record(
        world,
        [
            ("alert", world.noise_alert, {}),  # gumo
            ("device", "gumo/cam-01", {"site": "gumo"}),
            ("alert", world.park_alert, {}),  # haiyuan, crowding
            ("incident", "inc-1", {"site": "haiyuan", "departments": ["police"]}),
        ],
    )
    after = {"Last-Event-ID": str(ids[0] - 1)}
    park = _read(server, world.tokens["mgr_park"], 2, after)
    assert [e["id"] for e in park] == [ids[2], ids[3]]
    police = _read(server, world.tokens["off_police"], 3, after)
    assert [e["id"] for e in police] == [ids[1], ids[2], ids[3]]
    gumo = _read(server, world.tokens["mgr_gumo"], 2, after)
    assert [e["id"] for e in gumo] == [ids[0], ids[1]]


def test_stream_without_resume_starts_with_new_events(world: World, server: ServerThread) -> None:
    old = _record(world, [("device", "gumo/cam-01", {"site": "gumo"})])
    got: list[dict[str, Any]] = []

    def record_later(line: str) -> None:
        if line.startswith(":") and not got:  # the opening comment: we are subscribed
            got.append({"new": _record(world, [("device", "gumo/cam-02", {"site": "gumo"})])})

    with httpx.stream(
        "GET", f"{server.url}/api/stream", headers=world.headers("admin"), timeout=10.0
    ) as r:
        for line in r.iter_lines():
            record_later(line)
            if line.startswith("id: "):
                assert int(line[4:]) > old[0]
                assert int(line[4:]) == got[0]["new"][0]
                break


@pytest.mark.parametrize("bad", ["abc", "-1", "1e3"])
def test_bad_last_event_id_is_422(sqlite_world: World, bad: str) -> None:
    r = sqlite_world.client.get(
        "/api/stream", headers={**sqlite_world.headers("admin"), "Last-Event-ID": bad}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["header", "last-event-id"]


def test_stream_needs_auth(sqlite_world: World) -> None:
    client = TestClient(sqlite_world.app, raise_server_exceptions=False)
    assert client.get("/api/stream").status_code == 401
