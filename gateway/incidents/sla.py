"""The SLA clock: deadlines of the work stages and the whistle level an overdue incident needs.

Targets run from the whistle (the incident opened, or reopened). Beijing's 吹哨报到 practice:
a department must be on site within 30 minutes of the whistle. Pure logic, times are aware
datetimes in UTC, durations in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.incidents.lifecycle import ACTIVE_STATES, State, next_stage


@dataclass(frozen=True)
class SlaStatus:
    stage: State  # the stage still owed: accepted, on_site or resolved
    deadline: datetime
    overdue_s: float  # negative while there is time left
    level_needed: int  # 0 none, 1 street centre, 2 district centre


def stage_deadlines(clock_start: datetime, targets_s: dict[str, float]) -> dict[State, datetime]:
    return {State(k): clock_start + timedelta(seconds=v) for k, v in targets_s.items()}


def sla_status(
    state: State,
    reached: frozenset[State],
    clock_start: datetime,
    targets_s: dict[str, float],
    now: datetime,
    district_after_s: float,
) -> SlaStatus | None:
    """Where the SLA clock stands; None when the incident owes no work (resolved or after)."""
    if state not in ACTIVE_STATES:
        return None
    stage = next_stage(reached)
    deadline = stage_deadlines(clock_start, targets_s)[stage]
    overdue = (now - deadline).total_seconds()
    level = 0
    if overdue > 0:
        level = 2 if overdue > district_after_s else 1
    return SlaStatus(stage=stage, deadline=deadline, overdue_s=overdue, level_needed=level)


def met(elapsed_s: float | None, target_s: float) -> bool | None:
    """Whether a stage was reached in time (None when it was never reached)."""
    if elapsed_s is None:
        return None
    return elapsed_s <= target_s
