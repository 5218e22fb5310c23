"""Routing rules (分流转办): which department and grid act on an alert, and their SLA targets.

Read from ``config/routing.yaml`` with :func:`load_routing` (strict pydantic models, errors with
file:line: key.path). The first rule whose alert types, sites, zones and time of day all match
wins; when none does, the incident goes to the ``fallback`` department (the street centre, which
triages by hand).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from whistle.config.common import GeoPoint, Identifier, TimeWindow, TimeZoneName
from whistle.config.loader import StrictModel, load_yaml_model

#: Departments that "report" (报到) plus the two centres that blow the whistle.
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "city_enforcement": ("城管执法", "City enforcement"),
    "market_supervision": ("市场监管", "Market supervision"),
    "police": ("公安", "Police"),
    "property_management": ("物业", "Property management"),
    "sanitation": ("环卫", "Sanitation"),
    "street_centre": ("街道综合指挥中心", "Street response centre"),
    "district_centre": ("区社会治理指挥中心", "District response centre"),
}

Department = Annotated[str, Field(pattern=r"^[a-z_]+$")]
Minutes = Annotated[float, Field(gt=0, le=7 * 24 * 60)]


def _check_department(dep: str) -> str:
    if dep not in DEPARTMENTS:
        raise ValueError(f"unknown department {dep!r}; known: {', '.join(DEPARTMENTS)}")
    return dep


class SlaTargets(StrictModel):
    """Minutes from the whistle (incident opened or reopened) to each stage."""

    accept_min: Minutes = 10
    on_site_min: Minutes = 30
    resolve_min: Minutes = 120

    @model_validator(mode="after")
    def _ordered(self) -> SlaTargets:
        if not self.accept_min <= self.on_site_min <= self.resolve_min:
            raise ValueError("SLA targets must satisfy accept_min <= on_site_min <= resolve_min")
        return self

    def seconds(self) -> dict[str, float]:
        return {
            "accepted": self.accept_min * 60,
            "on_site": self.on_site_min * 60,
            "resolved": self.resolve_min * 60,
        }


class Rule(StrictModel):
    name: str
    types: list[Identifier] = Field(min_length=1)
    #: Empty list: any site / any zone.
    sites: list[Identifier] = Field(default_factory=list)
    zones: list[Identifier] = Field(default_factory=list)
    #: Local time of day (routing timezone) the rule applies; None: all day.
    hours: TimeWindow | None = None
    department: Department
    #: Grid; None: the site's grid.
    grid: Identifier | None = None
    sla: SlaTargets | None = None

    @model_validator(mode="after")
    def _known_department(self) -> Rule:
        _check_department(self.department)
        return self

    def matches(self, alert_type: str, site: str, zone: str | None, local_time: datetime) -> bool:
        if alert_type not in self.types:
            return False
        if self.sites and site not in self.sites:
            return False
        if self.zones and zone not in self.zones:
            return False
        return self.hours is None or self.hours.contains(local_time.time())


class SitePlace(StrictModel):
    """Where a site is, for matching citizen complaints by place."""

    name: str
    grid: Identifier
    location: GeoPoint | None = None
    radius_m: Annotated[float, Field(gt=0)] = 300.0
    #: Substrings of a complaint address that name this site.
    address_keywords: list[str] = Field(default_factory=list)
    #: Zone id -> address keywords naming it (e.g. entrance: [入口, 北口]).
    zone_keywords: dict[Identifier, list[str]] = Field(default_factory=dict)


class Escalation(StrictModel):
    """Whistle levels: 1 = street centre when an SLA is missed, 2 = district centre when it is
    still missed ``district_after_min`` later."""

    street: Department = "street_centre"
    district: Department = "district_centre"
    district_after_min: Minutes = 30


class VerifyRule(StrictModel):
    """How the sensors confirm a resolved incident of these types."""

    types: list[Identifier] = Field(min_length=1)
    #: The episode must stay closed (and the level under the limit) this long.
    quiet_min: Minutes = 10
    #: Telemetry stream and field whose per-minute mean must stay under the alert's threshold.
    telemetry_stream: Identifier | None = None
    telemetry_field: Identifier | None = None
    #: Reopen if the alert episode is still open this long after ``resolved``.
    reopen_after_min: Minutes = 15


class ServiceDef(StrictModel):
    """An Open311 service (complaint category) and the alert types that would have seen it."""

    code: Identifier
    name: str
    name_en: str = ""
    description: str = ""
    alert_types: list[Identifier] = Field(default_factory=list)
    #: Type of the incident a complaint of this service opens when no alert matches.
    incident_type: Identifier


class MatchingRules(StrictModel):
    """Time window for matching a complaint to an alert: the alert was active between
    ``lookback_min`` before and ``lookahead_min`` after the complaint."""

    lookback_min: Minutes = 60
    lookahead_min: Minutes = 15


class AssessmentWeights(StrictModel):
    """Reverse-assessment score of a department, 0..100; the street centres' own scores weigh
    30 % by default (raised from 10 %, see the domain brief)."""

    street: Annotated[float, Field(ge=0, le=1)] = 0.3
    sla: Annotated[float, Field(ge=0, le=1)] = 0.4
    in_grid: Annotated[float, Field(ge=0, le=1)] = 0.15
    first_time_fix: Annotated[float, Field(ge=0, le=1)] = 0.15

    @model_validator(mode="after")
    def _sum_to_one(self) -> AssessmentWeights:
        total = self.street + self.sla + self.in_grid + self.first_time_fix
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"assessment weights must add up to 1 (they add up to {total:g})")
        return self


class Fallback(StrictModel):
    department: Department = "street_centre"
    grid: Identifier | None = None


class RoutingConfig(StrictModel):
    version: Literal[1] = 1
    timezone: TimeZoneName = "Asia/Shanghai"
    #: Alerts of the same type, site and zone this close together join one incident.
    group_window_min: Minutes = 30
    sites: dict[Identifier, SitePlace] = Field(default_factory=dict)
    default_sla: SlaTargets = Field(default_factory=SlaTargets)
    sla_by_type: dict[Identifier, SlaTargets] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    fallback: Fallback = Field(default_factory=Fallback)
    escalation: Escalation = Field(default_factory=Escalation)
    verification: list[VerifyRule] = Field(default_factory=list)
    default_verify_quiet_min: Minutes = 10
    services: list[ServiceDef] = Field(default_factory=list)
    matching: MatchingRules = Field(default_factory=MatchingRules)
    assessment: AssessmentWeights = Field(default_factory=AssessmentWeights)

    @model_validator(mode="after")
    def _consistent(self) -> RoutingConfig:
        _check_department(self.fallback.department)
        _check_department(self.escalation.street)
        _check_department(self.escalation.district)
        codes = [s.code for s in self.services]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"service codes used twice: {', '.join(dupes)}")
        return self

    def route(self, alert_type: str, site: str, zone: str | None, when: datetime) -> RouteDecision:
        """Department, grid and SLA for an alert of ``alert_type`` at ``when`` (aware)."""
        local = when.astimezone(ZoneInfo(self.timezone))
        sla = self.sla_by_type.get(alert_type, self.default_sla)
        site_grid = self.sites[site].grid if site in self.sites else None
        for rule in self.rules:
            if rule.matches(alert_type, site, zone, local):
                return RouteDecision(
                    department=rule.department,
                    grid=rule.grid or site_grid or self.fallback.grid,
                    sla=rule.sla or sla,
                    rule=rule.name,
                )
        return RouteDecision(
            department=self.fallback.department,
            grid=self.fallback.grid or site_grid,
            sla=sla,
            rule="fallback",
        )

    def verify_rule(self, alert_type: str) -> VerifyRule:
        for rule in self.verification:
            if alert_type in rule.types:
                return rule
        return VerifyRule(types=[alert_type], quiet_min=self.default_verify_quiet_min)

    def service(self, code: str) -> ServiceDef | None:
        for s in self.services:
            if s.code == code:
                return s
        return None


class RouteDecision(StrictModel):
    department: str
    grid: str | None
    sla: SlaTargets
    rule: str


def load_routing(path: Path | str) -> RoutingConfig:
    return load_yaml_model(path, RoutingConfig)
