"""FastAPI dependencies every router uses: the database session, the caller, role checks.

The caller authenticates with ``Authorization: Bearer <token>`` (from ``POST /api/auth/token``)
or with the HttpOnly session cookie set by ``POST /api/auth/login``. Both are tokens signed with
the gateway's secret key (see :mod:`gateway.auth.tokens`); the user is looked up on every
request so that a deactivated user or a changed password takes effect at once.

A request authenticated by the cookie that changes something (not GET/HEAD/OPTIONS) must come
from the same origin (``Origin``/``Referer`` host equals ``Host``) on top of ``SameSite=Lax``,
as a defence against cross-site request forgery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from gateway.auth.tokens import password_version, verify_token

SESSION_COOKIE = "whistle_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user's name, role and scope (site for managers, department for
    officers)."""

    username: str
    role: str
    site: str | None
    department: str | None


#: Methods that only read: their requests get a read-only session (no SQLite write lock).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session(request: Request) -> Iterator[Session]:
    """A session of the service's Store for the duration of the request (read-only for GET)."""
    store = request.app.state.service.store
    opener = store.read_session if request.method in READ_METHODS else store.session
    with opener() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _same_origin(request: Request) -> bool:
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True  # not a browser cross-site request (browsers send Origin on POST)
    host = request.headers.get("host", "")
    try:
        return urlsplit(source).netloc == host
    except ValueError:
        return False


def current_principal(
    request: Request,
    session: DbSession,
    bearer: Annotated[str | None, Depends(_bearer)],
) -> Principal:
    """The authenticated caller, or 401 (bearer token first, then the session cookie)."""
    from gateway.auth.users import get_user  # the ORM models load with the first request

    secret: bytes = request.app.state.secret_key
    if bearer is not None:
        claims = verify_token(secret, bearer, "bearer")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie is None:
            raise _unauthorized("not authenticated: send a bearer token or log in")
        claims = verify_token(secret, cookie, "session")
        if claims is not None and request.method not in _SAFE_METHODS and not _same_origin(request):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "cross-origin request refused")
    if claims is None:
        raise _unauthorized("invalid or expired credentials")
    user = get_user(session, claims.username)
    if (
        user is None
        or not user.active
        or password_version(user.password_hash) != claims.password_version
    ):
        raise _unauthorized("invalid or expired credentials")
    principal = Principal(
        username=user.username, role=user.role, site=user.site, department=user.department
    )
    # End the lookup's transaction: a long response (the SSE stream) must not hold it (on
    # SQLite every transaction takes the write lock; on PostgreSQL it would sit idle in
    # transaction). The endpoint's own queries start a new one.
    session.commit()
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that admits only callers with one of ``roles`` (403 otherwise).

    Use as ``Annotated[Principal, Depends(require_roles("admin", "manager"))]``.
    """
    allowed = frozenset(roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"role {principal.role!r} may not do this (needs {', '.join(sorted(allowed))})",
            )
        return principal

    return check
