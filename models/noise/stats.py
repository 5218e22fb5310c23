"""Statistics over a period (1 min, 5 min, an hour, a legal day or night period).

Follows the quantities automatic noise monitoring stations report (HJ 906-2017): LAeq,T,
LAFmax, LAFmin, the percentile levels L5 ... L95 (the level exceeded N % of the time) and the
standard deviation. Percentiles are taken over the per-second LAeq,1s values. Levels in dB(A).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def energy_mean_db(levels_db: Sequence[float] | np.ndarray) -> float:
    """10 lg of the mean of 10^(L/10): LAeq,T from equal-length LAeq values."""
    arr = np.asarray(levels_db, dtype=np.float64)
    if arr.size == 0:
        return float("nan")
    top = float(arr.max())
    return top + 10.0 * math.log10(float(np.mean(10.0 ** ((arr - top) / 10.0))))


@dataclass(frozen=True)
class PeriodStats:
    seconds: int
    laeq: float
    lafmax: float
    lafmin: float
    l5: float
    l10: float
    l50: float
    l90: float
    l95: float
    sd: float
    seconds_over_limit: int

    def as_dict(self) -> dict[str, float]:
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def period_stats(
    laeq_1s: Sequence[float] | np.ndarray,
    lafmax_1s: Sequence[float] | np.ndarray,
    lafmin_1s: Sequence[float] | np.ndarray | None = None,
    limit_db: float | None = None,
) -> PeriodStats:
    """Statistics of a run of per-second values.

    ``limit_db``: count the seconds whose LAeq,1s is over it.
    """
    la = np.asarray(laeq_1s, dtype=np.float64)
    if la.size == 0:
        raise ValueError("no seconds to summarise")
    fmin = np.asarray(lafmin_1s if lafmin_1s is not None else la, dtype=np.float64)
    # Ln is exceeded n % of the time: the (100 - n)th percentile
    p = np.percentile(la, [95, 90, 50, 10, 5])
    return PeriodStats(
        seconds=int(la.size),
        laeq=energy_mean_db(la),
        lafmax=float(np.max(lafmax_1s)),
        lafmin=float(np.min(fmin)),
        l5=float(p[0]),
        l10=float(p[1]),
        l50=float(p[2]),
        l90=float(p[3]),
        l95=float(p[4]),
        sd=float(np.std(la)),
        seconds_over_limit=int(np.count_nonzero(la > limit_db)) if limit_db is not None else 0,
    )
