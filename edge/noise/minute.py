"""Per-minute noise statistics, as automatic monitoring stations report them (HJ 907-2017).

The per-second ``noise`` stream carries LAeq,1s; averaging those decibels arithmetically (as a
generic telemetry store does) under-reads a fluctuating sound. Each minute the agent therefore
publishes ``noise_1min`` computed by the meter's own statistics: the energetic LAeq,1min, the
LAFmax and LAFmin, the percentile levels L5..L95 (dB(A)), their standard deviation, the seconds
over the limit that applied and how many seconds were valid (clipping or a dead microphone make
a second invalid; see :mod:`edge.noise.engine`).
"""

from __future__ import annotations

from datetime import datetime

from edge.device import Observation
from models.noise.meter import SecondLevels
from models.noise.stats import period_stats

STREAM = "noise_1min"


class MinuteSummary:
    """One microphone's seconds; :meth:`add` returns the summary of each finished minute."""

    def __init__(self, device: str, zone: str | None) -> None:
        self.device = device
        self.zone = zone
        self._minute: datetime | None = None
        self._laeq: list[float] = []
        self._lafmax: list[float] = []
        self._lafmin: list[float] = []
        self._invalid = 0
        self._limit_db: float | None = None

    def add(
        self, t: datetime, levels: SecondLevels, valid: bool, limit_db: float | None
    ) -> Observation | None:
        """Add the second starting at device time ``t``; a finished minute comes back."""
        minute = t.replace(second=0, microsecond=0)
        finished = self.flush() if self._minute is not None and minute != self._minute else None
        self._minute = minute
        self._limit_db = limit_db
        if valid:
            self._laeq.append(levels.laeq)
            self._lafmax.append(levels.lafmax)
            self._lafmin.append(levels.lafmin)
        else:
            self._invalid += 1
        return finished

    def flush(self) -> Observation | None:
        """The summary of the minute collected so far (None if nothing was), and start anew."""
        if self._minute is None:
            return None
        minute, laeq, lafmax, lafmin = self._minute, self._laeq, self._lafmax, self._lafmin
        invalid, limit = self._invalid, self._limit_db
        self._minute, self._laeq, self._lafmax, self._lafmin, self._invalid = None, [], [], [], 0
        values: dict[str, float] = {"valid_s": float(len(laeq)), "invalid_s": float(invalid)}
        if not laeq:
            return Observation(self.device, STREAM, minute, values, self.zone, ("no_valid_data",))
        stats = period_stats(laeq, lafmax, lafmin, limit_db=limit)
        values |= {
            "laeq": stats.laeq,
            "lafmax": stats.lafmax,
            "lafmin": stats.lafmin,
            "l5": stats.l5,
            "l10": stats.l10,
            "l50": stats.l50,
            "l90": stats.l90,
            "l95": stats.l95,
            "sd": stats.sd,
            "seconds_over_limit": float(stats.seconds_over_limit),
        }
        if limit is not None:
            values["limit_db"] = limit
        return Observation(self.device, STREAM, minute, values, self.zone)
