"""The login form signs in like the API: the same throttle on failures, the same cookie."""

from __future__ import annotations

import uuid

import httpx

from gateway.auth.users import create_user
from tests.web.world import World


def test_the_login_form_is_throttled_like_the_api(world: World) -> None:
    name = f"form_{uuid.uuid4().hex[:6]}"
    with world.store.session() as s:
        create_user(s, name, "right password", "viewer")
    with httpx.Client(base_url=world.url, follow_redirects=False) as client:
        for _ in range(10):
            r = client.post("/login", data={"username": name, "password": "guess"})
            assert r.status_code == 401
            assert "<form" in r.text  # the page again, with the error
        r = client.post("/login", data={"username": name, "password": "right password"})
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        # the API shares the count: no way around the limit through the other door
        r = client.post("/api/auth/token", data={"username": name, "password": "right password"})
        assert r.status_code == 429


def test_the_login_form_sets_the_session_cookie(world: World) -> None:
    name = f"form_{uuid.uuid4().hex[:6]}"
    with world.store.session() as s:
        create_user(s, name, "right password", "viewer")
    with httpx.Client(base_url=world.url, follow_redirects=False) as client:
        r = client.post("/login", data={"username": name, "password": "right password"})
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert client.get("/api/auth/me").json()["username"] == name
