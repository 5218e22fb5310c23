"""Ground truth of a scenario: which alert episodes should open and close, and when.

Derived from the *script* (nominal levels, fault times) by applying the legal rules the
scenario is about (GB 3096-2008 limits, day 06:00-22:00, night LAFmax <= limit + 15) with the
documented default rule settings (``RuleAssumptions``). Detectors never read this; tests
compare what the edge worker raised against it.

Windows: each expected episode is recomputed with the limit moved by +-``margin_db`` (the
measured level of a synthetic crowd differs from the nominal one by a fraction of a dB), and
the open/close windows span the earliest to the latest of those answers, widened by
``slack_s``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from firmware_sim.noise.scenario import Scenario, nominal_levels

#: GB 3096-2008 Table 1, LAeq limits in dB(A): class -> (day, night).
GB3096_LIMITS = {
    "0": (50, 40),
    "1": (55, 45),
    "2": (60, 50),
    "3": (65, 55),
    "4a": (70, 55),
    "4b": (70, 60),
}


@dataclass(frozen=True)
class RuleAssumptions:
    window_s: int = 300
    min_window_s: int = 60
    exceed_open_after_s: int = 10
    exceed_close_after_s: int = 60
    impulsive_close_after_s: int = 60
    fault_open_after_s: int = 5
    fault_close_after_s: int = 10
    margin_db: float = 1.5
    slack_s: int = 5


@dataclass(frozen=True)
class ExpectedEpisode:
    type: str
    open_earliest: datetime
    open_latest: datetime
    close_earliest: datetime | None
    close_latest: datetime | None
    limit_db: float | None
    period: str | None
    source_hint: str | None

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in d.items()}


def _hysteresis(active: np.ndarray, open_after: int, close_after: int) -> list[tuple[int, int]]:
    """(open second, close second) pairs, same semantics as edge.episodes.EpisodeTracker."""
    out: list[tuple[int, int]] = []
    pending: int | None = None
    opened: int | None = None
    last_active = 0
    for k, a in enumerate(active):
        if opened is None:
            if not a:
                pending = None
                continue
            pending = k if pending is None else pending
            if k - pending >= open_after:
                opened, last_active, pending = k, k, None
        elif a:
            last_active = k
        elif k - last_active >= close_after:
            out.append((opened, k))
            opened = None
    if opened is not None:
        out.append((opened, -1))
    return out


def ground_truth(
    scenario: Scenario,
    day: date | None = None,
    tz: str = "Asia/Shanghai",
    seconds: int | None = None,
    rules: RuleAssumptions | None = None,
) -> list[ExpectedEpisode]:
    r = rules or RuleAssumptions()
    n = int(seconds if seconds is not None else scenario.duration_s)
    start = datetime.combine(day or date(2024, 5, 1), scenario.start, tzinfo=ZoneInfo(tz))
    ts = [start + timedelta(seconds=k) for k in range(n)]
    laeq, lafmax, track_energy = nominal_levels(scenario, n)
    day_lim, night_lim = GB3096_LIMITS[scenario.zone_class]
    is_night = np.array([not (6 <= t.hour < 22) for t in ts])
    limit = np.where(is_night, night_lim, day_lim).astype(float)
    valid = np.ones(n, dtype=bool)
    for f in scenario.faults:
        valid[int(f.start_s) : int(np.ceil(f.end_s))] = False
    energy = np.where(valid, 10 ** (laeq / 10), 0.0)
    cum_e = np.concatenate([[0.0], np.cumsum(energy)])
    cum_n = np.concatenate([[0], np.cumsum(valid)])
    lo = np.maximum(np.arange(n) + 1 - r.window_s, 0)
    hi = np.arange(n) + 1
    cnt = cum_n[hi] - cum_n[lo]
    win = 10 * np.log10(np.maximum(cum_e[hi] - cum_e[lo], 1e-12) / np.maximum(cnt, 1))
    enough = cnt >= r.min_window_s

    def episodes(kind: str, margin: float) -> list[tuple[int, int]]:
        if kind == "noise_exceedance":
            act = enough & valid & (win > limit + margin)
            return _hysteresis(act, r.exceed_open_after_s, r.exceed_close_after_s)
        act = is_night & valid & (lafmax > night_lim + 15 + margin)
        return _hysteresis(act, 0, r.impulsive_close_after_s)

    def at(k: int) -> datetime | None:
        return None if k < 0 else start + timedelta(seconds=k)

    out: list[ExpectedEpisode] = []
    for kind in ("noise_exceedance", "noise_impulsive"):
        base = episodes(kind, 0.0)
        variants = [episodes(kind, -r.margin_db), episodes(kind, r.margin_db)]
        for o, c in base:
            opens, closes = [o], [c]
            for var in variants:
                for vo, vc in var:
                    if vo <= (c if c >= 0 else n) and (vc < 0 or vc >= o):
                        opens.append(vo)
                        closes.append(vc)
                        break
            span = slice(o, c if c >= 0 else n)
            hint_idx = int(np.argmax(track_energy[:, span].sum(axis=1)))
            hint = "impulsive" if kind == "noise_impulsive" else scenario.tracks[hint_idx].hint
            closed = [x for x in closes if x >= 0]
            out.append(
                ExpectedEpisode(
                    type=kind,
                    open_earliest=start + timedelta(seconds=max(min(opens) - r.slack_s, 0)),
                    open_latest=start + timedelta(seconds=max(opens) + r.slack_s),
                    close_earliest=at(min(closed) - r.slack_s)
                    if len(closed) == len(closes)
                    else None,
                    close_latest=at(max(closed) + r.slack_s)
                    if len(closed) == len(closes)
                    else None,
                    limit_db=float(limit[o] + (15 if kind == "noise_impulsive" else 0)),
                    period="night" if is_night[o] else "day",
                    source_hint=hint,
                )
            )
    for f in scenario.faults:
        if f.start_s >= n:
            continue
        o = int(f.start_s) + r.fault_open_after_s
        c = int(np.ceil(f.end_s)) + r.fault_close_after_s
        out.append(
            ExpectedEpisode(
                type="microphone_fault",
                open_earliest=start
                + timedelta(seconds=max(o - r.fault_open_after_s - r.slack_s, 0)),
                open_latest=start + timedelta(seconds=o + r.slack_s),
                close_earliest=at(c - r.slack_s) if c < n else None,
                close_latest=at(c + r.slack_s) if c < n else None,
                limit_db=None,
                period=None,
                source_hint=None,
            )
        )
    out.sort(key=lambda e: e.open_earliest)
    return out
