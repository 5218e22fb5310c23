"""Sensor verification (传感器核验): after ``resolved`` the system checks the evidence itself.

For each resolved incident with linked alerts:
- an alert episode still open ``reopen_after_min`` after the resolution -> reopened;
- a telemetry minute (e.g. noise LAeq) above the alert's threshold after the resolution ->
  reopened (the noise continues);
- every episode closed and the level under the limit for ``quiet_min`` -> verified.
A new alert of the same type and zone while resolved reopens the incident at once (see
:meth:`IncidentEngine.on_alert`). Incidents from complaints alone (no sensor saw them) wait for a
person to verify them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db.models import Alert, TelemetryMinute
from gateway.incidents.engine import IncidentEngine
from gateway.incidents.lifecycle import SYSTEM, State
from gateway.incidents.models import Incident, IncidentAlert
from gateway.incidents.sensor_clock import sensor_now


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "verified" | "reopened" | "wait"
    reason: str


def judge(engine: IncidentEngine, session: Session, incident: Incident, now: datetime) -> Verdict:
    """Judge a resolved incident at gateway time ``now``.

    Durations are measured on the sensors' clock when the resolution was recorded on it (device
    times and gateway time differ in a replayed or simulated morning), else on ``now``.
    """
    rule = engine.routing.verify_rule(incident.type)
    resolved_at = incident.resolved_at or incident.updated_at
    alerts = list(
        session.scalars(
            select(Alert)
            .join(IncidentAlert, IncidentAlert.alert_id == Alert.alert_id)
            .where(IncidentAlert.incident_id == incident.id)
        )
    )
    if not alerts:
        return Verdict("wait", "no sensor evidence: a person verifies")
    sensor_clock = sensor_now(session, incident.site, [a.device for a in alerts])
    if incident.resolved_sensor_at is not None and sensor_clock is not None:
        resolved_at, now = incident.resolved_sensor_at, sensor_clock
    still_open = [a for a in alerts if a.state != "closed"]
    if still_open:
        if now - resolved_at >= timedelta(minutes=rule.reopen_after_min):
            return Verdict(
                "reopened",
                f"alert episode {still_open[0].alert_id} still open "
                f"{rule.reopen_after_min:g} min after resolution / 报警未消除",
            )
        return Verdict("wait", "alert episode still open")
    ended = max((a.ended_at for a in alerts if a.ended_at is not None), default=resolved_at)
    quiet_from = max(resolved_at, ended)
    if rule.telemetry_stream and rule.telemetry_field:
        limits = [a.threshold for a in alerts if a.threshold is not None]
        if limits:
            limit = min(limits)
            devices = sorted({a.device for a in alerts})
            loud = session.scalar(
                select(TelemetryMinute)
                .where(
                    TelemetryMinute.site == incident.site,
                    TelemetryMinute.device.in_(devices),
                    TelemetryMinute.stream == rule.telemetry_stream,
                    TelemetryMinute.field == rule.telemetry_field,
                    TelemetryMinute.minute >= quiet_from.replace(second=0, microsecond=0),
                    TelemetryMinute.mean > limit,
                )
                .order_by(TelemetryMinute.minute)
                .limit(1)
            )
            if loud is not None:
                return Verdict(
                    "reopened",
                    f"{rule.telemetry_field} {loud.mean:.1f} over the limit {limit:g} at "
                    f"{loud.minute.isoformat()} after resolution / 处置后仍超标",
                )
    if now - quiet_from >= timedelta(minutes=rule.quiet_min):
        return Verdict(
            "verified",
            f"episode closed and quiet for {rule.quiet_min:g} min / 传感器确认已恢复",
        )
    return Verdict("wait", "quiet period not over")


def verify_resolved(engine: IncidentEngine, session: Session) -> dict[int, str]:
    """Judge every resolved incident; returns {incident id: outcome} for those that moved."""
    now = engine.clock()
    moved: dict[int, str] = {}
    for incident in list(
        session.scalars(select(Incident).where(Incident.state == State.RESOLVED.value))
    ):
        verdict = judge(engine, session, incident, now)
        if verdict.outcome == "wait":
            continue
        engine.transition(session, incident, verdict.outcome, SYSTEM, note=verdict.reason)
        moved[incident.id] = verdict.outcome
    return moved
