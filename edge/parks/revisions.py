"""What the edge has published of an area's occupancy curve, and the revisions it makes to it.

Values already published can change later: a stuck gate is found and its silent minutes are
back-filled, a buffered burst replaces an offline gate's imputation, the closing re-zero
spreads the day's drift back over the curve. Each such change is a *revision* of minutes
already published; the engine reports it (a log line, an ``occupancy`` flag ``revised`` and
the values ``revised_minutes`` and ``revision_people``) so the correction stays visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Revision:
    """Minutes ``first_minute..last_minute`` (POSIX s // 60) changed; ``minutes`` of them by
    at least the threshold; ``largest_people``: the signed largest change (new - published)."""

    first_minute: int
    last_minute: int
    minutes: int
    largest_people: float


@dataclass
class PublishedCurve:
    #: Smallest change of a published minute worth reporting (people).
    min_change_people: float = 1.0
    #: How many minutes are remembered (a day and a bit).
    keep_minutes: int = 26 * 60
    _values: dict[int, float] = field(default_factory=dict)

    def publish(self, minute: int, occupancy: float) -> None:
        self._values[minute] = occupancy
        if len(self._values) > self.keep_minutes:
            for m in sorted(self._values)[: len(self._values) - self.keep_minutes]:
                del self._values[m]

    def revise(self, minutes: np.ndarray, occupancy: np.ndarray) -> Revision | None:
        """Compare a recomputed curve with what was published; remember the new values.

        The latest published minute is provisional (reports of its last seconds may still be
        on their way) and is updated without counting as a revision.
        """
        changed: list[tuple[int, float]] = []
        latest = max(self._values, default=None)
        for m, v in zip(minutes.tolist(), occupancy.tolist(), strict=True):
            old = self._values.get(int(m))
            if old is None:
                continue
            if abs(v - old) >= self.min_change_people and int(m) != latest:
                changed.append((int(m), float(v - old)))
            self._values[int(m)] = float(v)
        if not changed:
            return None
        largest = max(changed, key=lambda c: abs(c[1]))[1]
        return Revision(changed[0][0], changed[-1][0], len(changed), largest)
