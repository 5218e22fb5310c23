"""Users: argon2 password hashing, creation, lookup, the demo users and the admin account."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.auth.roles import ADMIN, DEPARTMENTS, MANAGER, OFFICER, ROLES, VIEWER
from gateway.db.models import User

log = logging.getLogger(__name__)

#: argon2id with the library's defaults (RFC 9106 "second recommended" parameters).
_HASHER = PasswordHasher()
#: Longest password accepted, in characters (bounds the hashing work an attacker can ask for).
MAX_PASSWORD_CHARS = 1024
#: A hash of a random password, verified against when the user does not exist so that a wrong
#: username costs as long as a wrong password (no user enumeration by timing).
_DUMMY_HASH: str | None = None


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Replace the password hasher (tests use cheap parameters); returns the previous one."""
    global _HASHER, _DUMMY_HASH
    previous, _HASHER, _DUMMY_HASH = _HASHER, hasher, None
    return previous


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False on any malformed input."""
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else None (timing does not tell which)."""
    global _DUMMY_HASH
    user = get_user(session, username) if len(username) <= 200 else None
    if user is None or not user.active:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("not a real password")
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _check_scope(role: str, site: str | None, department: str | None) -> None:
    if role not in ROLES:
        raise ValueError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if role == MANAGER and not site:
        raise ValueError("a manager needs a site")
    if role == OFFICER and department not in DEPARTMENTS:
        raise ValueError(f"an officer needs a department among {', '.join(DEPARTMENTS)}")


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    site: str | None = None,
    department: str | None = None,
    display_name: str = "",
) -> User:
    """Add a user (flushed, not committed); ValueError on a bad role/scope or a taken name."""
    _check_scope(role, site, department)
    if get_user(session, username) is not None:
        raise ValueError(f"user {username!r} exists already")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        site=site,
        department=department,
        display_name=display_name or username,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every token issued under the old one stops working."""
    user.password_hash = hash_password(password)
    session.flush()


#: The demo users: (username, role, site, department, display name).
DEMO_USERS: tuple[tuple[str, str, str | None, str | None, str], ...] = (
    ("admin", ADMIN, None, None, "Administrator"),
    ("manager", MANAGER, "gumo", None, "Gumo market manager"),
    ("officer", OFFICER, None, "market_supervision", "Market supervision officer"),
    ("viewer", VIEWER, None, None, "Viewer"),
)


def ensure_demo_users(session: Session, password: str) -> list[User]:
    """Create the demo users that do not exist yet, all with ``password`` (flushed)."""
    users = []
    for username, role, site, department, display in DEMO_USERS:
        user = get_user(session, username)
        if user is None:
            user = create_user(session, username, password, role, site, department, display)
            log.info("created demo user %s (%s)", username, role)
        users.append(user)
    return users


def ensure_admin(session: Session, password: str, username: str = "admin") -> User:
    """Make sure an active admin ``username`` exists whose password is ``password`` (flushed).

    Production passes ``settings.admin_password`` at every start: the configured password wins,
    so rotating it in the settings rotates the account (and revokes its old tokens).
    """
    if not password:
        raise ValueError("the admin password is empty")
    user = get_user(session, username)
    if user is None:
        return create_user(session, username, password, ADMIN, display_name="Administrator")
    user.role = ADMIN
    user.active = True
    if not verify_password(user.password_hash, password):
        set_password(session, user, password)
    session.flush()
    return user
