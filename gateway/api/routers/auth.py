"""Sign-in: OAuth2 password flow (bearer token), cookie sessions for pages, who am I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from gateway.api.schemas import MeOut, TokenOut
from gateway.auth.deps import SESSION_COOKIE, CurrentPrincipal, DbSession
from gateway.auth.signin import SignInRefused, api_config, set_session_cookie, sign_in
from gateway.auth.tokens import issue_token
from gateway.auth.users import get_user
from gateway.db.models import User

router = APIRouter(prefix="/api/auth", tags=["auth"])

_SIGN_IN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong username or password"},
    429: {"description": "Too many failed sign-ins from this client for this user"},
}
Username = Annotated[str, Form(min_length=1, max_length=200)]
Password = Annotated[str, Form(min_length=1, max_length=1024)]


def _sign_in(request: Request, session: Session, username: str, password: str) -> User:
    """The user, or 401 (wrong credentials) / 429 (too many failures from this client)."""
    try:
        return sign_in(request, session, username, password)
    except SignInRefused as refused:
        headers = (
            {"Retry-After": str(refused.retry_after_s)}
            if refused.retry_after_s
            else {"WWW-Authenticate": "Bearer"}
        )
        raise HTTPException(refused.status_code, refused.detail, headers=headers) from None


def _me(display_name: str, username: str, role: str, site: str | None, dep: str | None) -> MeOut:
    return MeOut(username=username, role=role, site=site, department=dep, display_name=display_name)


@router.post(
    "/token",
    response_model=TokenOut,
    responses=_SIGN_IN_ERRORS,
)
def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: DbSession,
) -> TokenOut:
    """OAuth2 password flow: form fields ``username`` and ``password`` give a bearer token."""
    user = _sign_in(request, session, form.username, form.password)
    config = api_config(request)
    value = issue_token(
        config.secret_key, user.username, "bearer", user.password_hash, config.token_ttl_s
    )
    return TokenOut(access_token=value, token_type="bearer", expires_in=config.token_ttl_s)


@router.post("/login", response_model=MeOut, responses=_SIGN_IN_ERRORS)
def login(
    request: Request,
    response: Response,
    username: Username,
    password: Password,
    session: DbSession,
) -> MeOut:
    """Start a cookie session (HttpOnly, SameSite=Lax, Secure over https) for the pages."""
    user = _sign_in(request, session, username, password)
    set_session_cookie(response, request, user)
    return _me(user.display_name, user.username, user.role, user.site, user.department)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout() -> Response:
    """End the cookie session (no authentication needed to forget a cookie)."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal, session: DbSession) -> MeOut:
    """The signed-in user."""
    user = get_user(session, principal.username)
    display = user.display_name if user is not None else principal.username
    return _me(display, principal.username, principal.role, principal.site, principal.department)
