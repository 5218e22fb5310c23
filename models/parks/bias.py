"""Undercount bias of a gate counter and its correction.

Two mechanisms make beam/thermal counters count too few people:

- *Coincidence*: a crossing within the sensor's resolving time ``tau`` of the last registered
  one is lost. For a non-paralyzable detector the true rate ``n`` follows from the registered
  rate ``m`` as ``n = m / (1 - m * tau)`` (Knoll, *Radiation Detection and Measurement*, 4th ed.,
  2010, section 4.VII, eq. 4.23). Rates in people per second.
- *Side by side*: members of a group crossing together are merged. That fraction depends on the
  visitors, not the rate, and is measured once per gate by a manual count (``ratio``: the share
  of people missed); counts are scaled by ``1 / (1 - ratio)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BiasModel:
    resolving_time_s: float = 0.0
    ratio: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.ratio < 0.5 or self.resolving_time_s < 0:
            raise ValueError("undercount ratio must be in [0, 0.5) and resolving time >= 0")

    def correct(self, counted: int, dt_s: float, rate_per_s: float | None = None) -> float:
        """Estimated true people for ``counted`` registered over ``dt_s`` seconds.

        ``rate_per_s``: the registered rate to use in the dead-time term, measured over a
        longer window than one report (a 10 s report of one group's members is not a high
        rate: those merges are the side-by-side ``ratio``); default ``counted / dt_s``.
        """
        if counted <= 0:
            return 0.0
        n = float(counted)
        if rate_per_s is None and dt_s > 0:
            rate_per_s = counted / dt_s
        if self.resolving_time_s > 0 and rate_per_s is not None:
            m_tau = min(rate_per_s * self.resolving_time_s, 0.5)
            n = n / (1.0 - m_tau)
        return n / (1.0 - self.ratio)

    def undercount_fraction(self, counted: int, dt_s: float) -> float:
        """Estimated share of people missed (0..1) for this many counted over ``dt_s``."""
        true = self.correct(counted, dt_s)
        return 0.0 if true <= 0 else 1.0 - counted / true
