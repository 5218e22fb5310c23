"""Which pages each role may open and whether it may act (what it may not see is neither
shown in the navigation nor served)."""

from __future__ import annotations

from gateway.auth.deps import Principal
from gateway.auth.roles import ADMIN, MANAGER, OFFICER, VIEWER
from gateway.incidents.lifecycle import CENTRE_DEPARTMENTS

#: Page name -> its path, in navigation order.
PAGES: dict[str, str] = {
    "market": "/market",
    "patrol": "/patrol",
    "centre": "/centre",
    "parks": "/parks",
    "devices": "/devices",
}


def is_centre(principal: Principal) -> bool:
    return principal.role == ADMIN or (
        principal.role in (OFFICER, MANAGER) and principal.department in CENTRE_DEPARTMENTS
    )


def may_open(principal: Principal, page: str) -> bool:
    role = principal.role
    if page == "market":
        return role in (ADMIN, VIEWER, MANAGER)
    if page == "patrol":
        return role in (ADMIN, OFFICER)
    if page == "centre":
        return role in (ADMIN, VIEWER, MANAGER) or is_centre(principal)
    if page == "parks":
        return role in (ADMIN, VIEWER, MANAGER, OFFICER)
    if page == "devices":
        return role in (ADMIN, VIEWER, MANAGER)
    return False


def may_act(principal: Principal) -> bool:
    """Whether the caller may move incidents at all (viewers never may)."""
    return principal.role in (ADMIN, OFFICER)


def home(principal: Principal) -> str:
    """Where a user lands after signing in."""
    if principal.role == OFFICER and not is_centre(principal):
        return PAGES["patrol"]
    if principal.role == MANAGER:
        return PAGES["market"]
    return PAGES["centre"]


def nav(principal: Principal) -> list[tuple[str, str]]:
    """(page, path) of the pages the caller may open."""
    return [(name, path) for name, path in PAGES.items() if may_open(principal, name)]
