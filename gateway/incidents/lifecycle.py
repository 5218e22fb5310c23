"""The incident state machine (吹哨报到 case flow) and who may move an incident where.

Flow: ``new -> dispatched -> accepted -> on_site -> resolved -> verified -> closed``, with
``escalated`` (an SLA was missed: the whistle is blown to the street, then the district centre),
``reopened`` (the sensors or a person say it is not fixed) and ``rejected`` (with a reason, e.g.
``false_alarm``, fed back as a per-detector false-alarm rate).

Pure logic: no database, no clock. :func:`check_transition` raises :class:`TransitionError`
naming the transitions that are allowed, which the API turns into a 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    NEW = "new"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    ON_SITE = "on_site"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"
    REOPENED = "reopened"
    ESCALATED = "escalated"
    REJECTED = "rejected"


class RejectReason(StrEnum):
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    NOT_OUR_REMIT = "not_our_remit"
    OTHER = "other"


#: States in which the department still owes work (the SLA clock runs).
ACTIVE_STATES = frozenset(
    {State.NEW, State.DISPATCHED, State.ACCEPTED, State.ON_SITE, State.REOPENED, State.ESCALATED}
)
#: States in which an incident no longer takes new alerts of its kind.
FINISHED_STATES = frozenset({State.VERIFIED, State.CLOSED, State.REJECTED})

#: Work stages in order; an escalated incident resumes at the first stage not yet reached.
STAGES: tuple[State, ...] = (State.ACCEPTED, State.ON_SITE, State.RESOLVED)

_BASE: dict[State, frozenset[State]] = {
    State.NEW: frozenset({State.DISPATCHED, State.ACCEPTED, State.ESCALATED, State.REJECTED}),
    State.DISPATCHED: frozenset({State.ACCEPTED, State.ESCALATED, State.REJECTED}),
    State.ACCEPTED: frozenset({State.ON_SITE, State.ESCALATED, State.REJECTED}),
    State.ON_SITE: frozenset({State.RESOLVED, State.ESCALATED}),
    State.RESOLVED: frozenset({State.VERIFIED, State.REOPENED}),
    State.VERIFIED: frozenset({State.CLOSED, State.REOPENED}),
    State.CLOSED: frozenset({State.REOPENED}),
    State.REOPENED: frozenset({State.DISPATCHED, State.ACCEPTED, State.ESCALATED, State.REJECTED}),
    # the next work stage is added by allowed_transitions()
    State.ESCALATED: frozenset({State.DISPATCHED, State.ESCALATED, State.REJECTED}),
    State.REJECTED: frozenset({State.CLOSED, State.REOPENED}),
}

#: Department officers do the work; centre staff steer; the system verifies and escalates.
OFFICER_ACTIONS = frozenset({State.ACCEPTED, State.ON_SITE, State.RESOLVED})
CENTRE_ACTIONS = frozenset(
    {
        State.DISPATCHED,
        State.ESCALATED,
        State.REJECTED,
        State.CLOSED,
        State.REOPENED,
        State.VERIFIED,
    }
)
SYSTEM_ACTIONS = frozenset(
    {State.DISPATCHED, State.ESCALATED, State.VERIFIED, State.REOPENED, State.CLOSED}
)
CENTRE_DEPARTMENTS = frozenset({"street_centre", "district_centre"})


class TransitionError(Exception):
    """A transition the state machine refuses; ``allowed`` lists what is possible now."""

    def __init__(self, current: State, target: str, allowed: list[str]) -> None:
        self.current = current
        self.target = target
        self.allowed = allowed
        names = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"cannot go from {current.value!r} to {target!r}; allowed from here: {names}"
        )


class PermissionDenied(Exception):
    """The actor may see the incident but not make this transition."""


def next_stage(reached: frozenset[State]) -> State:
    """The first work stage not yet reached (``accepted``, ``on_site`` or ``resolved``)."""
    for stage in STAGES:
        if stage not in reached:
            return stage
    return State.RESOLVED


def allowed_transitions(current: State, reached: frozenset[State] = frozenset()) -> list[str]:
    """Targets allowed from ``current``; ``reached`` holds the work stages already done since
    the last (re)opening, so an escalated incident resumes where it stopped."""
    allowed = set(_BASE[current])
    if current is State.ESCALATED:
        allowed.add(next_stage(reached))
    return sorted(s.value for s in allowed)


def check_transition(current: State, target: str, reached: frozenset[State] = frozenset()) -> State:
    """Return ``target`` as a :class:`State` or raise :class:`TransitionError`."""
    allowed = allowed_transitions(current, reached)
    if target not in allowed:
        raise TransitionError(current, target, allowed)
    return State(target)


@dataclass(frozen=True)
class Actor:
    """Who asks for a transition: a user (role, site, department) or the system."""

    name: str
    role: str  # admin | manager | officer | viewer | system
    site: str | None = None
    department: str | None = None

    @property
    def is_system(self) -> bool:
        return self.role == "system"

    @property
    def is_centre(self) -> bool:
        return self.role == "admin" or (
            self.department in CENTRE_DEPARTMENTS and self.role in ("officer", "manager")
        )


SYSTEM = Actor(name="system", role="system")


def can_see(actor: Actor, site: str, department: str) -> bool:
    """Officers see their department's incidents, managers their site's; admins, viewers and
    centre staff see everything."""
    if actor.is_system or actor.is_centre:
        return True
    if actor.role == "officer":
        return actor.department is not None and actor.department == department
    if actor.role == "manager":
        return actor.site is not None and actor.site == site
    return actor.role == "viewer"  # sees everything, changes nothing


def check_permission(actor: Actor, target: State, department: str) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may move an incident of ``department``
    to ``target``."""
    if actor.is_system:
        if target not in SYSTEM_ACTIONS:
            raise PermissionDenied(f"the system does not make {target.value!r} transitions")
        return
    if target in OFFICER_ACTIONS:
        if actor.role == "officer" and actor.department == department:
            return
        if actor.is_centre:
            return  # the centre may record on behalf of a department (e.g. by phone)
        raise PermissionDenied(
            f"only officers of {department} may mark an incident {target.value!r}"
        )
    if target in CENTRE_ACTIONS and actor.is_centre:
        return
    raise PermissionDenied(f"only centre staff or admins may mark an incident {target.value!r}")
