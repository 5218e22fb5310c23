"""Health, metrics, security headers, JSON errors, size limits, and no 500 on garbage."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi import APIRouter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.auth.deps import DbSession
from gateway.db.models import User
from tests.gateway.api.helpers import World


def test_healthz_needs_no_auth(world: World) -> None:
    r = world.client.get("/healthz")
    assert r.status_code == 200
    # no MQTT ingest runs in these tests: connected is unknown, not false
    assert r.json() == {"status": "ok", "database": True, "mqtt_connected": None}


def test_healthz_reports_mqtt_down(sqlite_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    class Transport:
        connected = False

    class Ingest:
        transport = Transport()

    monkeypatch.setattr(sqlite_world.service, "ingest", Ingest())
    r = sqlite_world.client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["mqtt_connected"] is False


@pytest.mark.parametrize(
    ("authorization", "status"),
    [("admin", 200), ("viewer", 403), ("scrape-token-1234", 200), ("wrong-token", 401)],
)
def test_metrics_access(sqlite_world: World, authorization: str, status: int) -> None:
    token = sqlite_world.tokens.get(authorization, authorization)
    r = sqlite_world.client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == status
    if status == 200:
        assert "whistle_ingest_messages_total" in r.text
        assert r.headers["content-type"].startswith("text/plain")


def test_openapi_document(sqlite_world: World) -> None:
    r = sqlite_world.client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in (
        "/api/alerts",
        "/api/alerts/{alert_id}",
        "/api/evidence/{evidence_id}",
        "/api/devices",
        "/api/sites",
        "/api/telemetry/{device}/{stream}",
        "/api/stream",
        "/api/auth/token",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/me",
        "/healthz",
        "/metrics",
    ):
        assert path in paths, path


@pytest.mark.parametrize("url", ["/healthz", "/api/alerts", "/api/nowhere", "/openapi.json"])
def test_security_headers(sqlite_world: World, url: str) -> None:
    r = sqlite_world.get(url)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer"


def test_unknown_route_and_method_are_json(sqlite_world: World) -> None:
    r = sqlite_world.get("/api/nowhere")
    assert r.status_code == 404
    assert r.json() == {"detail": "Not Found"}
    r = sqlite_world.client.delete("/api/alerts", headers=sqlite_world.headers("admin"))
    assert r.status_code == 405
    assert "detail" in r.json()


def test_large_bodies_are_413_json(sqlite_world: World) -> None:
    r = sqlite_world.client.post(
        "/api/auth/token",
        content=b"x" * (2 * 1024 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        for _ in range(40):
            yield b"y" * 50_000

    r = sqlite_world.client.post(
        "/api/auth/login",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"username=%ZZ&password=%00"),
        ("application/x-www-form-urlencoded", b"\xff\xfe\x00garbage"),
        ("multipart/form-data; boundary=xx", b"--xx\r\nbroken"),
        ("application/json", b'{"username": "admin"}'),
        ("text/plain", b""),
    ],
)
def test_malformed_login_bodies_are_4xx(
    sqlite_world: World, content_type: str, body: bytes
) -> None:
    for url in ("/api/auth/token", "/api/auth/login"):
        r = sqlite_world.client.post(url, content=body, headers={"content-type": content_type})
        assert 400 <= r.status_code < 500, (url, r.status_code, r.text)
        assert "detail" in r.json()


_PARAMS = st.sampled_from(
    [
        "site",
        "device",
        "type",
        "status",
        "state",
        "since",
        "until",
        "cursor",
        "limit",
        "step",
        "zone",
        "field",
        "alert_id",
        "last_event_id",
        "agents",
    ]
)
_VALUES = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["", "0", "-1", "nan", "inf", "true", "2026-03-02T04:30:00Z", "%00"]),
)
_PATHS = st.sampled_from(
    [
        "/api/alerts",
        "/api/devices",
        "/api/sites",
        "/api/telemetry/noise-01/noise",
        "/api/evidence/snap-1",
        "/api/alerts/00000000-0000-0000-1000-000000000001",
    ]
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(path=_PATHS, query=st.lists(st.tuples(_PARAMS, _VALUES), max_size=5))
def test_no_500_on_garbage_query_strings(
    sqlite_world: World, path: str, query: list[tuple[str, str]]
) -> None:
    qs = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query)
    r = sqlite_world.get(f"{path}?{qs}", "mgr_gumo")
    assert r.status_code < 500, (path, qs, r.text)
    if r.headers["content-type"].startswith("application/json"):
        body = r.json()
        assert "detail" in body or r.status_code == 200


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(segment=st.text(min_size=1, max_size=80), token=st.text(max_size=60))
def test_no_500_on_garbage_paths_and_tokens(sqlite_world: World, segment: str, token: str) -> None:
    seg = quote(segment, safe="")
    for url in (f"/api/alerts/{seg}", f"/api/evidence/{seg}", f"/api/telemetry/{seg}/{seg}"):
        r = sqlite_world.get(url)
        assert r.status_code < 500, (url, r.text)
    r = sqlite_world.client.get(
        "/api/alerts",
        headers={"Authorization": b"Bearer " + token.encode("utf-8")},
    )
    assert r.status_code in (401, 200)


def test_value_the_database_refuses_is_422_not_500(postgresql_world: World) -> None:
    """A route that forgot a length bound: PostgreSQL refuses the value, the client gets 422."""
    router = APIRouter()

    @router.post("/api/test-unbounded")
    def unbounded(name: str, session: DbSession) -> dict[str, str]:
        session.add(User(username=name, password_hash="x", role="viewer"))
        session.flush()
        return {"ok": name}

    postgresql_world.app.include_router(router)
    r = postgresql_world.client.post(f"/api/test-unbounded?name={'x' * 100}")
    assert r.status_code == 422
    assert "out of range or too long" in r.json()["message"]
