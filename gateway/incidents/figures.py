"""Figures for the street and district centres (考核督办, 分析研判).

Each function returns a list of flat rows (dicts), so the same data goes out as JSON or CSV.
Times are seconds from the whistle (incident created) to the first time the stage was reached;
percentiles are linear-interpolated (Hyndman & Fan type 7, numpy's default).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.db.models import Alert
from gateway.incidents.models import (
    Complaint,
    DepartmentAssessment,
    Incident,
    IncidentAlert,
    IncidentTransition,
)
from gateway.incidents.routing import AssessmentWeights

Row = dict[str, Any]
STAGE_NAMES = ("accepted", "on_site", "resolved")
DONE_STATES = frozenset({"resolved", "verified", "closed"})


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100), linear interpolation between order statistics (type 7)."""
    if not values:
        return None
    data = sorted(values)
    pos = (len(data) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    site: str | None = None
    department: str | None = None


@dataclass
class _Facts:
    incident: Incident
    stage_s: dict[str, float]  # first time each stage was reached, seconds from creation
    escalations: list[int]  # levels of escalated transitions
    reopened: bool


def _incidents(session: Session, f: Filters) -> list[_Facts]:
    query = select(Incident)
    if f.since is not None:
        query = query.where(Incident.created_at >= f.since)
    if f.until is not None:
        query = query.where(Incident.created_at < f.until)
    if f.site is not None:
        query = query.where(Incident.site == f.site)
    if f.department is not None:
        query = query.where(Incident.department == f.department)
    incidents = list(session.scalars(query.order_by(Incident.id)))
    if not incidents:
        return []
    ids = [i.id for i in incidents]
    transitions: dict[int, list[IncidentTransition]] = defaultdict(list)
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for t in session.scalars(
            select(IncidentTransition)
            .where(IncidentTransition.incident_id.in_(chunk))
            .order_by(IncidentTransition.id)
        ):
            transitions[t.incident_id].append(t)
    facts = []
    for inc in incidents:
        stage_s: dict[str, float] = {}
        levels: list[int] = []
        reopened = False
        for t in transitions[inc.id]:
            if t.to_state in STAGE_NAMES and t.to_state not in stage_s:
                stage_s[t.to_state] = (t.at - inc.created_at).total_seconds()
            if t.to_state == "escalated":
                levels.append(int(t.data.get("level", 1)))
            if t.to_state == "reopened":
                reopened = True
        facts.append(_Facts(inc, stage_s, levels, reopened))
    return facts


def _group(facts: list[_Facts], keys: tuple[str, ...]) -> dict[tuple[Any, ...], list[_Facts]]:
    groups: dict[tuple[Any, ...], list[_Facts]] = defaultdict(list)
    for fact in facts:
        groups[tuple(getattr(fact.incident, k) for k in keys)].append(fact)
    return dict(sorted(groups.items(), key=lambda kv: tuple(str(k) for k in kv[0])))


def _sla_share(facts: list[_Facts]) -> float | None:
    checks = [
        fact.stage_s[s] <= float(fact.incident.sla_s.get(s, float("inf")))
        for fact in facts
        for s in STAGE_NAMES
        if s in fact.stage_s
    ]
    return sum(checks) / len(checks) if checks else None


def times(session: Session, f: Filters) -> list[Row]:
    """Time to accept / arrive / resolve by department and type: n, median, p90 (seconds)."""
    rows = []
    for (department, type_), group in _group(
        _incidents(session, f), ("department", "type")
    ).items():
        row: Row = {"department": department, "type": type_, "incidents": len(group)}
        for stage in STAGE_NAMES:
            values = [g.stage_s[stage] for g in group if stage in g.stage_s]
            row[f"{stage}_n"] = len(values)
            row[f"{stage}_median_s"] = percentile(values, 50)
            row[f"{stage}_p90_s"] = percentile(values, 90)
        rows.append(row)
    return rows


def sla(session: Session, f: Filters) -> list[Row]:
    """SLA compliance by department and type: share of reached stages that were in time."""
    rows = []
    for (department, type_), group in _group(
        _incidents(session, f), ("department", "type")
    ).items():
        row: Row = {"department": department, "type": type_, "incidents": len(group)}
        for stage in STAGE_NAMES:
            reached = [g for g in group if stage in g.stage_s]
            inside = [
                g for g in reached if g.stage_s[stage] <= float(g.incident.sla_s.get(stage, 0))
            ]
            row[f"{stage}_in_time"] = len(inside)
            row[f"{stage}_reached"] = len(reached)
            row[f"{stage}_compliance"] = len(inside) / len(reached) if reached else None
        row["compliance"] = _sla_share(group)
        rows.append(row)
    return rows


def escalations(session: Session, f: Filters) -> list[Row]:
    """Escalations by department: to the street centre (level 1) and the district (level 2)."""
    rows = []
    for (department,), group in _group(_incidents(session, f), ("department",)).items():
        rows.append(
            {
                "department": department,
                "incidents": len(group),
                "escalated_incidents": sum(1 for g in group if g.escalations),
                "to_street_centre": sum(1 for g in group if 1 in g.escalations),
                "to_district_centre": sum(1 for g in group if 2 in g.escalations),
            }
        )
    return rows


def summary(session: Session, f: Filters) -> list[Row]:
    facts = _incidents(session, f)
    done = [g for g in facts if g.incident.state in DONE_STATES]
    in_grid = [g for g in done if not g.escalations]
    complaints = _complaints(session, f)
    return [
        {
            "incidents": len(facts),
            "open": sum(1 for g in facts if g.incident.state not in DONE_STATES | {"rejected"}),
            "settled": len(done),
            "settled_in_grid": len(in_grid),
            "settled_in_grid_share": len(in_grid) / len(done) if done else None,
            "sla_compliance": _sla_share(facts),
            "escalated": sum(1 for g in facts if g.escalations),
            "rejected_false_alarm": sum(
                1 for g in facts if g.incident.reject_reason == "false_alarm"
            ),
            "complaints": len(complaints),
            "grid_misses": sum(1 for c in complaints if c.grid_miss),
        }
    ]


def assessment(
    session: Session, f: Filters, weights: AssessmentWeights, period: str | None = None
) -> list[Row]:
    """Reverse-assessment score (0..100) of each department: the streets' own score weighs
    ``weights.street`` (30 % by default); the rest comes from SLA compliance, the share settled
    without escalation, and the share fixed the first time (never reopened). A component with
    no data is left out and the other weights are scaled up to sum to 1."""
    street_query = select(
        DepartmentAssessment.department, func.avg(DepartmentAssessment.score)
    ).group_by(DepartmentAssessment.department)
    if period is not None:
        street_query = street_query.where(DepartmentAssessment.period == period)
    street = {d: float(s) for d, s in session.execute(street_query)}
    groups = _group(_incidents(session, f), ("department",))
    departments = sorted({d for (d,) in groups} | set(street))
    rows = []
    for department in departments:
        group = groups.get((department,), [])
        done = [g for g in group if g.incident.state in DONE_STATES]
        sla_share = _sla_share(group)
        parts: dict[str, float | None] = {
            "street": street.get(department),
            "sla": sla_share * 100 if sla_share is not None else None,
            "in_grid": (
                100 * sum(1 for g in done if not g.escalations) / len(done) if done else None
            ),
            "first_time_fix": (
                100 * sum(1 for g in done if not g.reopened) / len(done) if done else None
            ),
        }
        used = {k: getattr(weights, k) for k, v in parts.items() if v is not None}
        total_w = sum(used.values())
        score = sum(parts[k] * w for k, w in used.items()) / total_w if total_w > 0 else None
        rows.append(
            {
                "department": department,
                "incidents": len(group),
                "street_score": parts["street"],
                "sla_score": parts["sla"],
                "in_grid_score": parts["in_grid"],
                "first_time_fix_score": parts["first_time_fix"],
                "score": score,
            }
        )
    return rows


def _complaints(session: Session, f: Filters) -> list[Complaint]:
    query = select(Complaint)
    if f.since is not None:
        query = query.where(Complaint.requested_at >= f.since)
    if f.until is not None:
        query = query.where(Complaint.requested_at < f.until)
    if f.site is not None:
        query = query.where(Complaint.site == f.site)
    return list(session.scalars(query.order_by(Complaint.requested_at)))


def misses(session: Session, f: Filters) -> list[Row]:
    """Complaints no sensor saw, by site, zone and the detector that should have seen them."""
    counts: dict[tuple[str, str, str, str], int] = defaultdict(int)
    for c in _complaints(session, f):
        if c.grid_miss:
            counts[(c.site or "", c.zone or "", c.miss_detector or "", c.service_code)] += 1
    return [
        {"site": s, "zone": z, "detector": d, "service_code": code, "misses": n}
        for (s, z, d, code), n in sorted(counts.items())
    ]


def complaints_trend(session: Session, f: Filters, tz: str = "Asia/Shanghai") -> list[Row]:
    """Complaints per local day: total, matched to a sensor alert, missed by the grid."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in _complaints(session, f):
        day = c.requested_at.astimezone(zone).date().isoformat()
        days[day][0] += 1
        days[day][1] += 1 if c.matched_alert_id else 0
        days[day][2] += 1 if c.grid_miss else 0
    return [
        {"day": d, "complaints": v[0], "matched": v[1], "grid_misses": v[2]}
        for d, v in sorted(days.items())
    ]


def false_alarms(session: Session, f: Filters) -> list[Row]:
    """Per detector (device): alerts in incidents, and those in incidents rejected as false
    alarms; the rate feeds back to the detector's tuning."""
    query = (
        select(Alert.site, Alert.device, Alert.type, Incident.reject_reason)
        .join(IncidentAlert, IncidentAlert.alert_id == Alert.alert_id)
        .join(Incident, Incident.id == IncidentAlert.incident_id)
    )
    if f.since is not None:
        query = query.where(Incident.created_at >= f.since)
    if f.until is not None:
        query = query.where(Incident.created_at < f.until)
    if f.site is not None:
        query = query.where(Incident.site == f.site)
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for site, device, type_, reason in session.execute(query):
        counts[(site, device, type_)][0] += 1
        counts[(site, device, type_)][1] += 1 if reason == "false_alarm" else 0
    return [
        {
            "site": s,
            "device": d,
            "type": t,
            "alerts": n,
            "false_alarms": fa,
            "false_alarm_rate": fa / n if n else None,
        }
        for (s, d, t), (n, fa) in sorted(counts.items())
    ]


def to_csv(rows: list[Row]) -> str:
    if not rows:
        return ""
    out = io.StringIO()
    fields = list(rows[0].keys())
    for row in rows[1:]:
        fields += [k for k in row if k not in fields]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()
