"""Which noise limit applies now: GB 3096-2008 zone class and period, or a stricter local window.

Pure: the edge rules and the gateway's pages (the limit line on the charts) both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from whistle.config.microphone import NoiseRules

#: GB 3096-2008 Table 1, LAeq limits in dB(A): class -> (day, night).
GB3096_LIMITS: dict[str, tuple[float, float]] = {
    "0": (50, 40),
    "1": (55, 45),
    "2": (60, 50),
    "3": (65, 55),
    "4a": (70, 55),
    "4b": (70, 60),
}


@dataclass(frozen=True)
class AppliedLimit:
    laeq_db: float
    #: Night only (GB 3096-2008 5.4): the LAFmax limit for sudden noise; None by day.
    lafmax_db: float | None
    period: str  # "day" | "night"
    zone_class: str
    reason: str
    local_window: str | None = None

    def as_details(self) -> dict[str, object]:
        return {
            "limit_db": self.laeq_db,
            "lafmax_limit_db": self.lafmax_db,
            "period": self.period,
            "zone_class": self.zone_class,
            "why": self.reason,
            "local_window": self.local_window,
        }


def applied_limit(local: datetime, zone_class: str, rules: NoiseRules) -> AppliedLimit:
    """The limit at local time ``local`` (already in the site's time zone)."""
    day_db, night_db = GB3096_LIMITS[zone_class]
    is_day = rules.day.contains(local.time())
    period = "day" if is_day else "night"
    base = day_db if is_day else night_db
    lafmax = None if is_day else base + rules.impulsive_margin_db
    best = AppliedLimit(
        base,
        lafmax,
        period,
        zone_class,
        f"GB 3096-2008 class {zone_class} {period} limit {base:g} dB(A)",
    )
    for loc in rules.local_limits:
        if not loc.window.contains(local.time()) or loc.laeq_db >= best.laeq_db:
            continue
        window = f"{loc.window.start:%H:%M}-{loc.window.end:%H:%M}"
        best = AppliedLimit(
            loc.laeq_db,
            loc.lafmax_db if loc.lafmax_db is not None else lafmax,
            period,
            zone_class,
            f"local limit {loc.laeq_db:g} dB(A) {window} ({loc.reason}), "
            f"stricter than GB 3096-2008 class {zone_class} {period} {base:g}",
            window,
        )
    return best
