"""Simulated time: a morning at the market played at ``speed`` times real time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class SimClock:
    """``now()`` starts at ``start`` and advances ``speed`` simulated seconds per real second."""

    start: datetime
    speed: float = 1.0
    _t0: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("SimClock.start must be timezone-aware")
        if self.speed <= 0:
            raise ValueError("SimClock.speed must be positive")

    def elapsed_s(self) -> float:
        """Simulated seconds since ``start``."""
        return (time.monotonic() - self._t0) * self.speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed_s())

    def sleep_until(self, sim_elapsed_s: float, stop_check_s: float = 0.1) -> None:
        """Sleep (in real time) until ``sim_elapsed_s`` simulated seconds have passed."""
        while True:
            remaining = (sim_elapsed_s - self.elapsed_s()) / self.speed
            if remaining <= 0:
                return
            time.sleep(min(remaining, stop_check_s))
