"""Signing in, for the API (token, cookie) and the login page alike: one throttle, one cookie.

Both paths go through :func:`sign_in`, so the limit on failed attempts (10 per user and client
in 5 minutes, :class:`~gateway.auth.throttle.LoginThrottle`) holds for the form as for the API.
"""

from __future__ import annotations

from fastapi import Request, Response
from sqlalchemy.orm import Session

from gateway.api.config import ApiConfig
from gateway.auth.deps import SESSION_COOKIE
from gateway.auth.throttle import LoginThrottle
from gateway.auth.tokens import issue_token
from gateway.auth.users import authenticate
from gateway.db.models import User

BAD_LOGIN = "incorrect username or password"


class SignInRefused(Exception):
    """Wrong credentials (401) or too many failures from this client (429, ``retry_after_s``)."""

    def __init__(self, status_code: int, detail: str, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.retry_after_s = retry_after_s


def api_config(request: Request) -> ApiConfig:
    config: ApiConfig = request.app.state.api_config
    return config


def login_throttle(request: Request) -> LoginThrottle:
    throttle = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = request.app.state.login_throttle = LoginThrottle()
    return throttle


def sign_in(request: Request, session: Session, username: str, password: str) -> User:
    """The user whose credentials these are; :class:`SignInRefused` otherwise."""
    throttle = login_throttle(request)
    client = request.client.host if request.client else "?"
    wait_s = throttle.retry_after_s(username, client)
    if wait_s:
        raise SignInRefused(429, "too many failed sign-ins; try again later", wait_s)
    user = authenticate(session, username, password)
    if user is None:
        throttle.failed(username, client)
        raise SignInRefused(401, BAD_LOGIN)
    throttle.succeeded(username, client)
    return user


def set_session_cookie(response: Response, request: Request, user: User) -> None:
    """Start a page session: HttpOnly, SameSite=Lax, Secure over https (or as configured)."""
    config = api_config(request)
    value = issue_token(
        config.secret_key, user.username, "session", user.password_hash, config.session_ttl_s
    )
    secure = config.cookie_secure
    if secure is None:
        secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=config.session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
