"""Gate increments -> an area's occupancy per minute, with every correction accounted for.

Per gate, clean increments (see :mod:`models.parks.increments`) are scaled for the known
undercount bias and binned by minute. A gate that is offline (no data yet for a minute) or
found stuck (totals frozen while the other gates count people) is *imputed*: its share of the
area's flow, learned from the minutes when every gate reported, times what the working gates
counted. When an offline gate's buffered reports arrive, its real counts replace the
imputation. The running sum is clamped at zero (occupancy is never negative) and re-zeroed when
the area is known empty (at closing); every correction is recorded in :attr:`corrections`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from models.parks.bias import BiasModel
from models.parks.increments import Increment


def _signed(bias: BiasModel, counted: int, dt_s: float, rate_per_s: float) -> float:
    """Bias-corrected people; a negative count (a take-back) is corrected like its positive."""
    if counted < 0:
        return -bias.correct(-counted, dt_s, rate_per_s)
    return bias.correct(counted, dt_s, rate_per_s)


def poisson_silence_threshold(p_false: float, mean_group: float) -> float:
    """Expected people above which a silent gate is stuck with false-alarm chance ``p_false``.

    Groups arrive as a Poisson process, so P(no group | mean m groups) = exp(-m); with
    ``mean_group`` people a group, m = expected people / mean_group.
    """
    return -math.log(p_false) * mean_group


@dataclass(frozen=True)
class Correction:
    """One drift correction: what, when (edge POSIX s), by how many people."""

    kind: str  # "rezero", "clamp", "stuck_impute", "offline_impute", "bias"
    t_s: float
    gate: str | None
    amount: float
    note: str = ""


@dataclass
class _Gate:
    bias: BiasModel
    bins: dict[int, list[float]] = field(default_factory=dict)  # minute -> [in, out] corrected
    raw: dict[int, list[float]] = field(default_factory=dict)  # minute -> [in, out] as counted
    covered_until_s: float = -math.inf
    last_change_s: float = -math.inf
    stuck: list[list[float]] = field(default_factory=list)  # [start_s, end_s or inf]


@dataclass(frozen=True)
class OccupancySeries:
    minutes: np.ndarray  # minute index (POSIX seconds // 60)
    occupancy: np.ndarray  # people at the end of each minute (float, >= 0)
    in_counts: np.ndarray  # people in during each minute (all gates, corrected, imputed)
    out_counts: np.ndarray
    imputed: np.ndarray  # bool: some gate imputed in this minute
    clamped: np.ndarray  # bool: clamped at zero in this minute
    raw: np.ndarray  # the running sum without clamping (the drift shows here)
    #: People imputed in each minute (in + out) for gates offline or stuck then.
    imputed_people: np.ndarray


@dataclass
class AreaAggregator:
    gates: list[str]
    biases: dict[str, BiasModel] = field(default_factory=dict)
    stuck_after_s: float = 900.0
    #: Expected people through a silent gate before it is declared stuck.
    stuck_min_expected: float = 25.0
    #: Early (Poisson) stuck test: a gate silent for at least ``stuck_min_silence_s`` is stuck
    #: as soon as the chance of its silence, ``exp(-expected / mean_group)``, falls below
    #: ``stuck_p_false`` (people cross in groups, so groups, not people, are the Poisson
    #: events; see :func:`poisson_silence_threshold`).
    stuck_p_false: float = 1e-7
    stuck_min_silence_s: float = 180.0
    mean_group: float = 1.8
    #: An increment spanning more than this (s) is spread over its minutes (:meth:`_add_spread`).
    spread_after_s: float = 120.0
    #: Minutes over which a gate's registered rate is measured for the dead-time correction.
    rate_window_min: int = 5
    #: Error variance per person (people^2) of counted and of imputed flow, for spreading the
    #: closing residual back over the day (:meth:`_reconciled`).
    measured_var_per_person: float = 0.05
    imputed_var_per_person: float = 2.8
    #: Pseudo-count of the equal-share prior for gate shares.
    share_prior: float = 50.0
    start_minute: int | None = None
    corrections: list[Correction] = field(default_factory=list)
    _gates: dict[str, _Gate] = field(default_factory=dict)
    #: Per-minute flows already computed; minutes >= _dirty_from must be recomputed.
    _cache: dict[int, tuple[float, float, float]] = field(default_factory=dict)
    _dirty_from: int = 2**62
    _share_tot: dict[str, float] = field(default_factory=dict)
    _share_upto: int | None = None
    #: The full series of the period before the last re-zero (the reconstructed day).
    previous: OccupancySeries | None = None

    def __post_init__(self) -> None:
        for g in self.gates:
            self._gates[g] = _Gate(bias=self.biases.get(g, BiasModel()))

    # --- input -----------------------------------------------------------------------------
    def add(self, gate: str, inc: Increment) -> None:
        st = self._gates[gate]
        minute = int(inc.t_s // 60)
        if self.start_minute is None:
            self.start_minute = minute
        if minute < self.start_minute:
            return  # belongs to before the last re-zero
        if inc.dt_s > self.spread_after_s:
            minute = self._add_spread(gate, st, inc)
        else:
            r = st.raw.setdefault(minute, [0.0, 0.0])
            r[0] += inc.d_in
            r[1] += inc.d_out
            rate_in, rate_out = self._registered_rate(st, minute, inc.t_s)
            b = st.bins.setdefault(minute, [0.0, 0.0])
            b[0] += _signed(st.bias, inc.d_in, inc.dt_s, rate_in)
            b[1] += _signed(st.bias, inc.d_out, inc.dt_s, rate_out)
        first_touched = minute
        if math.isfinite(st.covered_until_s):
            first_touched = min(minute, int(st.covered_until_s // 60))
        self._dirty_from = min(self._dirty_from, first_touched)
        st.covered_until_s = max(st.covered_until_s, inc.t_s)
        if inc.d_in > 0 or inc.d_out > 0:
            if st.stuck and st.stuck[-1][1] == math.inf:
                st.stuck[-1][1] = inc.t_s
                self.corrections.append(
                    Correction(
                        "stuck_impute", inc.t_s, gate, 0.0, "counting again: imputation ends"
                    )
                )
            st.last_change_s = max(st.last_change_s, inc.t_s)

    def _add_spread(self, gate: str, st: _Gate, inc: Increment) -> int:
        """An increment over a long span (a counter back after an offline spell that sent no
        buffered reports, or whose burst has not come yet): its people are spread over the
        minutes of the span in proportion to the other gates' flow then (evenly when they
        counted nobody); returns the first minute touched. A take-back of a split interval
        carries the same span and is spread the same way."""
        a_s, b_s = inc.t_s - inc.dt_s, inc.t_s
        m_a = max(int(a_s // 60), self.start_minute or 0)
        minutes = range(m_a, int(b_s // 60) + 1)
        others = [g for g in self.gates if g != gate]
        w_in, w_out = [], []
        for m in minutes:
            overlap = max(min(b_s, 60.0 * m + 60.0) - max(a_s, 60.0 * m), 0.0) / 60.0
            f_in = sum(self._gates[g].bins.get(m, (0.0, 0.0))[0] for g in others)
            f_out = sum(self._gates[g].bins.get(m, (0.0, 0.0))[1] for g in others)
            w_in.append(overlap * (f_in + 0.1))
            w_out.append(overlap * (f_out + 0.1))
        c_in = _signed(st.bias, inc.d_in, inc.dt_s, abs(inc.d_in) / inc.dt_s)
        c_out = _signed(st.bias, inc.d_out, inc.dt_s, abs(inc.d_out) / inc.dt_s)
        s_in, s_out = sum(w_in) or 1.0, sum(w_out) or 1.0
        for m, wi, wo in zip(minutes, w_in, w_out, strict=True):
            b = st.bins.setdefault(m, [0.0, 0.0])
            b[0] += c_in * wi / s_in
            b[1] += c_out * wo / s_out
            r = st.raw.setdefault(m, [0.0, 0.0])
            r[0] += inc.d_in * wi / s_in
            r[1] += inc.d_out * wo / s_out
        return m_a

    def _registered_rate(self, st: _Gate, minute: int, t_s: float) -> tuple[float, float]:
        """The gate's registered (in, out) rates, people/s, over the ``rate_window_min``
        minutes up to ``t_s`` (this increment included): the rate of the dead-time term."""
        span_s = 60.0 * (self.rate_window_min - 1) + max(t_s - 60.0 * minute, 1.0)
        n_in = n_out = 0.0
        for m in range(minute - self.rate_window_min + 1, minute + 1):
            r = st.raw.get(m)
            if r is not None:
                n_in += r[0]
                n_out += r[1]
        return n_in / span_s, n_out / span_s

    def gate_status(self, gate: str, now_s: float, offline_after_s: float) -> str:
        st = self._gates[gate]
        if st.stuck and st.stuck[-1][1] == math.inf:
            return "stuck"
        if now_s - st.covered_until_s > offline_after_s:
            return "offline"
        return "ok"

    # --- stuck detection -------------------------------------------------------------------
    def check_stuck(self, now_s: float) -> list[str]:
        """Declare gates stuck; return the ids newly declared (their past minutes get imputed)."""
        newly = []
        shares = self._shares()
        for g, st in self._gates.items():
            if st.stuck and st.stuck[-1][1] == math.inf:
                continue
            since = max(st.last_change_s, 60.0 * (self.start_minute or 0))
            silence = st.covered_until_s - since
            if not math.isfinite(since) or silence < self.stuck_min_silence_s:
                continue
            expected = self._expected(g, since, st.covered_until_s, shares)
            early = expected >= poisson_silence_threshold(self.stuck_p_false, self.mean_group)
            late = silence >= self.stuck_after_s and expected >= self.stuck_min_expected
            if early or late:
                st.stuck.append([since, math.inf])
                self._dirty_from = min(self._dirty_from, int(since // 60))
                self._share_upto = None  # shares must leave the stuck minutes out
                newly.append(g)
                self.corrections.append(
                    Correction(
                        "stuck_impute",
                        now_s,
                        g,
                        expected,
                        f"totals frozen since {since:.0f}; imputing from the other gates",
                    )
                )
        return newly

    def _expected(self, gate: str, a_s: float, b_s: float, shares: dict[str, float]) -> float:
        others = [g for g in self.gates if g != gate]
        if not others:
            return 0.0
        total = 0.0
        for m in range(int(a_s // 60) + 1, int(b_s // 60) + 1):
            ok = [g for g in others if self._ok(g, m)]
            s_ok = sum(shares[g] for g in ok)
            if s_ok <= 0:
                continue
            flow = sum(sum(self._gates[g].bins.get(m, (0.0, 0.0))) for g in ok)
            total += shares[gate] * flow / s_ok
        return total

    # --- output ----------------------------------------------------------------------------
    def _ok(self, gate: str, minute: int) -> bool:
        st = self._gates[gate]
        if st.covered_until_s < 60.0 * minute + 30.0:
            return False
        t = 60.0 * minute + 30.0
        return not any(a <= t < b for a, b in st.stuck)

    def _shares(self) -> dict[str, float]:
        """Each gate's share of the area's flow, from minutes when every gate was ok."""
        if self._share_upto is None:
            self._share_tot = dict.fromkeys(self.gates, 0.0)
            self._share_upto = self.start_minute or 0
        # minutes every gate has fully reported are final for the shares
        final = min(
            int(st.covered_until_s // 60) if math.isfinite(st.covered_until_s) else -1
            for st in self._gates.values()
        )
        for m in range(self._share_upto, final):
            if all(self._ok(g, m) for g in self.gates):
                for g in self.gates:
                    self._share_tot[g] += sum(self._gates[g].bins.get(m, (0.0, 0.0)))
        self._share_upto = max(self._share_upto, final)
        n = len(self.gates)
        denom = sum(self._share_tot.values()) + self.share_prior
        return {g: (self._share_tot[g] + self.share_prior / n) / denom for g in self.gates}

    def shares(self) -> dict[str, float]:
        return self._shares()

    def series(self, until_s: float) -> OccupancySeries:
        """Occupancy at the end of every minute from the last re-zero up to ``until_s``."""
        if self.start_minute is None:
            empty = np.zeros(0)
            return OccupancySeries(
                empty.astype(int),
                empty,
                empty,
                empty,
                empty.astype(bool),
                empty.astype(bool),
                empty,
                empty,
            )
        m0, m1 = self.start_minute, int(until_s // 60)
        n = max(m1 - m0 + 1, 0)
        shares = self._shares()
        cin, cout, imp_amount = np.zeros(n), np.zeros(n), np.zeros(n)
        for i, m in enumerate(range(m0, m1 + 1)):
            cached = self._cache.get(m) if m < self._dirty_from else None
            if cached is None:
                cached = self._minute_flow(m, shares)
                self._cache[m] = cached
            cin[i], cout[i], imp_amount[i] = cached
        imputed = imp_amount > 0
        self._dirty_from = m1 + 1 if m1 >= m0 else self._dirty_from
        occ = np.zeros(n)
        clamped = np.zeros(n, dtype=bool)
        level = 0.0
        for i in range(n):
            level += cin[i] - cout[i]
            if level < 0:
                clamped[i] = True
                level = 0.0
            occ[i] = level
        raw = np.cumsum(cin - cout)
        return OccupancySeries(
            np.arange(m0, m1 + 1), occ, cin, cout, imputed, clamped, raw, imp_amount
        )

    def _minute_flow(self, m: int, shares: dict[str, float]) -> tuple[float, float, float]:
        """(in, out, people imputed) of minute ``m``."""
        ok = [g for g in self.gates if self._ok(g, m)]
        f_in = sum(self._gates[g].bins.get(m, (0.0, 0.0))[0] for g in ok)
        f_out = sum(self._gates[g].bins.get(m, (0.0, 0.0))[1] for g in ok)
        if len(ok) == len(self.gates):
            return f_in, f_out, 0.0
        s_ok = sum(shares[g] for g in ok)
        if s_ok <= 0:
            return f_in, f_out, 1e-9
        s_bad = sum(shares[g] for g in self.gates if g not in ok)
        add_in, add_out = f_in * s_bad / s_ok, f_out * s_bad / s_ok
        return f_in + add_in, f_out + add_out, add_in + add_out + 1e-9

    def _reconciled(self, day: OccupancySeries, residual: float) -> OccupancySeries:
        """The day's curve with the closing residual taken back where it most likely came from.

        The running sum's error is a sum of independent per-minute errors; given their total
        (the residual, known when the area is known empty), the expected error accumulated by
        minute m is ``residual * V(m) / V(end)``, V the running sum of the per-minute error
        variances (the conditional mean of a random walk pinned at both ends, a Brownian
        bridge). Variances: an imputed person carries ``mean_group * (1 + s_bad / s_ok)``
        (Poisson groups through the silent gate plus the working gates' own noise scaled to
        it); a counted person ``measured_var_per_person`` (the undercount's binomial noise
        and reboot gaps).
        """
        if day.occupancy.size == 0 or residual == 0:
            return day
        measured = np.maximum(day.in_counts + day.out_counts - day.imputed_people, 0.0)
        weight = (
            self.imputed_var_per_person * day.imputed_people
            + self.measured_var_per_person * measured
        )
        if weight.sum() <= 0:
            return day
        fix = residual * np.cumsum(weight) / weight.sum()
        occ = np.maximum(day.raw - fix, 0.0)
        return OccupancySeries(
            day.minutes,
            occ,
            day.in_counts,
            day.out_counts,
            day.imputed,
            day.clamped,
            day.raw - fix,
            day.imputed_people,
        )

    def rezero(self, t_s: float) -> Correction:
        """The area is known empty at ``t_s``: start counting afresh; record the drift removed.

        The drift is the unclamped running sum at ``t_s`` (what the counts say is still inside
        when nobody is); the closed period's curve is kept, reconciled, in :attr:`previous`.
        """
        day = self.series(t_s)
        residual = float(day.raw[-1]) if day.raw.size else 0.0
        self.previous = self._reconciled(day, residual)
        corr = Correction(
            "rezero",
            t_s,
            None,
            -residual,
            f"closing: the area is known empty; drift {residual:+.1f} people "
            "removed and spread back over the day's curve",
        )
        self.corrections.append(corr)
        self.start_minute = int(t_s // 60) + 1
        for st in self._gates.values():
            st.bins = {m: v for m, v in st.bins.items() if m >= self.start_minute}
            st.raw = {m: v for m, v in st.raw.items() if m >= self.start_minute}
            st.stuck = [s for s in st.stuck if s[1] > t_s]
        self._cache = {}
        self._dirty_from = self.start_minute
        self._share_upto = None
        return corr
