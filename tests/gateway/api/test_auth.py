"""Sign-in: bearer tokens, cookie sessions, wrong passwords, tampered tokens, role checks."""

from __future__ import annotations

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from gateway.auth.deps import SESSION_COOKIE, Principal, require_roles
from gateway.auth.tokens import issue_token, verify_token
from gateway.auth.users import (
    authenticate,
    create_user,
    ensure_admin,
    ensure_demo_users,
    get_user,
    hash_password,
    verify_password,
)
from tests.gateway.api.helpers import PASSWORD, SECRET, World


def test_token_then_me(world: World) -> None:
    r = world.get("/api/auth/me", "mgr_gumo")
    assert r.status_code == 200
    assert r.json() == {
        "username": "mgr_gumo",
        "role": "manager",
        "site": "gumo",
        "department": None,
        "display_name": "mgr_gumo",
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong"), ("nobody", PASSWORD), ("admin", ""), ("", PASSWORD)],
)
def test_wrong_credentials_are_401_or_422(
    sqlite_world: World, username: str, password: str
) -> None:
    r = sqlite_world.client.post(
        "/api/auth/token", data={"username": username, "password": password}
    )
    assert r.status_code in (401, 422)
    assert "access_token" not in r.json()
    if username and password:
        assert r.status_code == 401
        assert r.json()["detail"] == "incorrect username or password"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer ",
        "Bearer garbage",
        "Bearer v1.e30.AAAA",
        "Basic YWRtaW46cHc=",
    ],
)
def test_protected_endpoints_need_valid_credentials(
    sqlite_world: World, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    for url in ("/api/alerts", "/api/devices", "/api/sites", "/api/auth/me", "/metrics"):
        r = sqlite_world.client.get(url, headers=headers)
        assert r.status_code == 401, url
        assert "detail" in r.json()


def test_tampered_and_expired_tokens_are_refused(sqlite_world: World) -> None:
    token = sqlite_world.tokens["viewer"]
    head, _payload, sig = token.split(".")
    forged = issue_token(b"another secret", "admin", "bearer", "x", 3600)
    swapped = f"{head}.{forged.split('.')[1]}.{sig}"
    with sqlite_world.store.session() as s:
        user = get_user(s, "viewer")
        assert user is not None
        expired = issue_token(
            SECRET.encode(), "viewer", "bearer", user.password_hash, 60, now=1_000_000
        )
    for bad in (forged, swapped, expired):
        r = sqlite_world.client.get("/api/auth/me", headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401


def test_session_token_is_not_a_bearer_token() -> None:
    token = issue_token(b"k", "admin", "session", "h", 60)
    assert verify_token(b"k", token, "bearer") is None
    assert verify_token(b"k", token, "session") is not None


def test_cookie_login_and_logout(world: World) -> None:
    client = TestClient(world.app, raise_server_exceptions=False)
    r = client.post("/api/auth/login", data={"username": "off_police", "password": PASSWORD})
    assert r.status_code == 200
    assert r.json()["department"] == "police"
    cookie = r.headers["set-cookie"]
    assert SESSION_COOKIE in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert client.get("/api/auth/me").json()["username"] == "off_police"
    assert client.get("/api/alerts").status_code == 200
    # the session cookie is not accepted as a bearer token
    value = client.cookies.get(SESSION_COOKIE)
    r = world.client.get("/api/auth/me", headers={"Authorization": f"Bearer {value}"})
    assert r.status_code == 401
    r = client.post("/api/auth/logout")
    assert r.status_code == 204
    assert client.get("/api/auth/me").status_code == 401


def test_cookie_login_wrong_password(sqlite_world: World) -> None:
    client = TestClient(sqlite_world.app, raise_server_exceptions=False)
    r = client.post("/api/auth/login", data={"username": "admin", "password": "nope"})
    assert r.status_code == 401
    assert "set-cookie" not in r.headers


def test_password_change_revokes_tokens(world: World) -> None:
    with world.store.session() as s:
        create_user(s, f"temp_{world.backend}", "first password", "viewer")
    name = f"temp_{world.backend}"
    r = world.client.post("/api/auth/token", data={"username": name, "password": "first password"})
    token = r.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/auth/me", headers=headers).status_code == 200
    with world.store.session() as s:
        user = get_user(s, name)
        assert user is not None
        user.password_hash = hash_password("second password")
    assert world.client.get("/api/auth/me", headers=headers).status_code == 401
    with world.store.session() as s:
        user = get_user(s, name)
        assert user is not None
        user.active = False
    r = world.client.post("/api/auth/token", data={"username": name, "password": "second password"})
    assert r.status_code == 401


def test_require_roles_gives_403(sqlite_world: World) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/api/test-admin-only")
    def admin_only(
        principal: Principal = Depends(require_roles("admin")),  # noqa: B008
    ) -> dict[str, str]:
        return {"user": principal.username}

    sqlite_world.app.include_router(router)
    assert sqlite_world.get("/api/test-admin-only", "admin").json() == {"user": "admin"}
    r = sqlite_world.get("/api/test-admin-only", "viewer")
    assert r.status_code == 403
    assert "admin" in r.json()["detail"]


def test_password_hashing_is_argon2() -> None:
    hashed = hash_password("s3cret")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "s3cret")
    assert not verify_password(hashed, "S3cret")
    assert not verify_password("not a hash", "s3cret")


def test_demo_users_and_admin_bootstrap(sqlite_world: World) -> None:
    with sqlite_world.store.session() as s:
        # the seeded "admin" exists: ensure_demo_users leaves it, adds the others
        users = {u.username: u for u in ensure_demo_users(s, "demo-pw")}
        assert users["manager"].site == "gumo"
        assert users["officer"].department == "market_supervision"
        assert authenticate(s, "manager", "demo-pw") is not None
        assert authenticate(s, "viewer", "demo-pw") is None  # existing users keep theirs
        assert authenticate(s, "admin", "demo-pw") is None
        ensure_admin(s, "rotated admin password")
        assert authenticate(s, "admin", "rotated admin password") is not None
        ensure_admin(s, PASSWORD)  # restore for the other tests
        with pytest.raises(ValueError, match="manager needs a site"):
            create_user(s, "m2", "pw", "manager")
        with pytest.raises(ValueError, match="role"):
            create_user(s, "m3", "pw", "superuser")
        with pytest.raises(ValueError, match="exists"):
            create_user(s, "viewer", "pw", "viewer")
    # rotating the admin password (even back to the same one: a new salt) revokes old tokens
    assert sqlite_world.get("/api/auth/me", "admin").status_code == 401
    r = sqlite_world.client.post(
        "/api/auth/token", data={"username": "admin", "password": PASSWORD}
    )
    sqlite_world.tokens["admin"] = r.json()["access_token"]


def test_cross_origin_cookie_post_is_refused(sqlite_world: World) -> None:
    client = TestClient(sqlite_world.app, raise_server_exceptions=False)
    client.post("/api/auth/login", data={"username": "admin", "password": PASSWORD})
    from fastapi import APIRouter

    router = APIRouter()

    @router.post("/api/test-change")
    def change(principal: Principal = Depends(require_roles("admin"))) -> dict[str, bool]:  # noqa: B008
        return {"ok": True}

    sqlite_world.app.include_router(router)
    assert client.post("/api/test-change").status_code == 200
    r = client.post("/api/test-change", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_repeated_failures_are_throttled(world: World) -> None:
    name = f"throttled_{world.backend}"
    with world.store.session() as s:
        create_user(s, name, "right password", "viewer")
    for _ in range(10):
        r = world.client.post("/api/auth/token", data={"username": name, "password": "guess"})
        assert r.status_code == 401
    r = world.client.post("/api/auth/token", data={"username": name, "password": "right password"})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    # another username from the same client is not affected
    r = world.client.post("/api/auth/token", data={"username": "viewer", "password": PASSWORD})
    assert r.status_code == 200


def test_throttle_window_expires() -> None:
    from gateway.auth.throttle import LoginThrottle

    throttle = LoginThrottle(max_failures=2, window_s=60)
    throttle.failed("u", "c", now=0.0)
    throttle.failed("u", "c", now=10.0)
    assert throttle.retry_after_s("u", "c", now=11.0) == 50
    assert throttle.retry_after_s("u", "other", now=11.0) == 0
    assert throttle.retry_after_s("u", "c", now=61.0) == 0
    throttle.failed("u", "c", now=62.0)
    throttle.succeeded("u", "c")
    assert throttle.retry_after_s("u", "c", now=63.0) == 0
