"""Which alerts (and so which evidence and events) a caller may see.

- admin and viewer: every alert;
- manager: the alerts of their site;
- officer: the alerts routed to their department. Until incidents route alerts, "routed" means
  the alert's type maps to the department by :data:`TYPE_DEPARTMENTS` (prefix match on the
  type); the street and district centres see everything.

The officer rule is pluggable: an object with the :class:`AlertScope` methods set as
``service.alert_scope`` (e.g. by ``gateway.incidents.setup(service)``) replaces
:class:`TypeMappingScope` for officers, so routing decides without editing this module. The
admin/viewer/manager rules stay here and are applied first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import ColumnElement, false, or_, true

from gateway.auth.deps import Principal
from gateway.auth.roles import ADMIN, MANAGER, OFFICER, VIEWER

if TYPE_CHECKING:
    from gateway.db.models import Alert

#: Alert type prefix -> departments concerned (the interim routing, before incidents).
TYPE_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "noise": ("market_supervision", "city_enforcement"),
    "loudspeaker": ("market_supervision", "city_enforcement"),
    "encroachment": ("city_enforcement", "market_supervision"),
    "stall": ("city_enforcement", "market_supervision"),
    "congestion": ("police", "market_supervision"),
    "crowding": ("police", "property_management"),
    "capacity": ("police", "property_management"),
    "occupancy": ("property_management",),
    "carpark": ("property_management",),
    "lingering": ("police",),
    "loitering": ("police",),
    "restricted": ("police",),
    "vehicle": ("police", "city_enforcement"),
    "rubbish": ("sanitation",),
    "litter": ("sanitation",),
    "cleanliness": ("sanitation",),
    "camera_tamper": ("property_management",),
    "tamper": ("property_management",),
    "device": ("property_management",),
}
#: Departments that see every alert.
CENTRES: frozenset[str] = frozenset({"street_centre", "district_centre"})


def departments_for_alert_type(alert_type: str) -> frozenset[str]:
    """The departments an alert of this type is routed to (interim mapping, prefix match)."""
    found: set[str] = set(CENTRES)
    for prefix, departments in TYPE_DEPARTMENTS.items():
        if alert_type.startswith(prefix):
            found.update(departments)
    return frozenset(found)


def alert_type_prefixes(department: str) -> tuple[str, ...]:
    return tuple(p for p, deps in TYPE_DEPARTMENTS.items() if department in deps)


class AlertScope(Protocol):
    """What an officer may see (``service.alert_scope`` replaces the default)."""

    def officer_clause(self, principal: Principal) -> ColumnElement[bool]:
        """A WHERE clause on ``Alert`` selecting the alerts routed to the officer's department."""
        ...

    def officer_sees(self, principal: Principal, alert: Alert) -> bool:
        """Whether this alert is routed to the officer's department."""
        ...


class TypeMappingScope:
    """The interim officer rule: the alert's type maps to the department."""

    def officer_clause(self, principal: Principal) -> ColumnElement[bool]:
        from gateway.db.models import Alert

        department = principal.department or ""
        if department in CENTRES:
            return true()
        prefixes = alert_type_prefixes(department)
        if not prefixes:
            return false()
        return or_(*(Alert.type.startswith(p, autoescape=True) for p in prefixes))

    def officer_sees(self, principal: Principal, alert: Alert) -> bool:
        return (principal.department or "") in departments_for_alert_type(alert.type)


DEFAULT_SCOPE = TypeMappingScope()


def scope_of(service: Any) -> AlertScope:
    """The officer scope in force for ``service`` (its ``alert_scope`` or the default)."""
    scope = getattr(service, "alert_scope", None)
    return scope if scope is not None else DEFAULT_SCOPE


def alert_clause(principal: Principal, scope: AlertScope) -> ColumnElement[bool]:
    """A WHERE clause on ``Alert`` selecting what ``principal`` may see."""
    from gateway.db.models import Alert

    if principal.role in (ADMIN, VIEWER):
        return true()
    if principal.role == MANAGER:
        return Alert.site == principal.site if principal.site else false()
    if principal.role == OFFICER:
        return scope.officer_clause(principal)
    return false()


def can_see_alert(principal: Principal, alert: Alert, scope: AlertScope) -> bool:
    if principal.role in (ADMIN, VIEWER):
        return True
    if principal.role == MANAGER:
        return principal.site is not None and alert.site == principal.site
    if principal.role == OFFICER:
        return scope.officer_sees(principal, alert)
    return False


def can_see_site(principal: Principal, site: str) -> bool:
    """Sites, devices and telemetry: a manager sees their site; the other roles every site."""
    if principal.role == MANAGER:
        return principal.site == site
    return principal.role in (ADMIN, VIEWER, OFFICER)
