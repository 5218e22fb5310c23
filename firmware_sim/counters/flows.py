"""A park day's visitors: who arrives when, through which gate, how long they stay.

Pure functions of a seed. Visitors come in groups (families, couples, friends) who cross a gate
side by side; arrivals follow a day's shape (morning exercisers, a quiet middle of the day,
an evening peak; weekends add daytime crowds). Everyone has left by closing. The result carries
every gate crossing (true time, gate, direction) and the true occupancy at every moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Group sizes 1..4 and their probabilities (assumed mix for a Chinese neighbourhood park).
GROUP_SIZES = np.array([1, 2, 3, 4])
GROUP_PROBS = np.array([0.5, 0.3, 0.13, 0.07])
#: Seconds between members of a group crossing a gate side by side / one behind the other.
MEMBER_GAP_S = (0.1, 1.6)


@dataclass(frozen=True)
class DayShape:
    """Arrival intensity as a sum of Gaussian bumps over the day (hours local time)."""

    #: (centre h, width h, weight, mean stay min) per bump.
    bumps: tuple[tuple[float, float, float, float], ...]
    open_h: float = 5.0
    close_h: float = 22.0

    @staticmethod
    def weekday() -> DayShape:
        return DayShape(
            bumps=(
                (6.5, 0.7, 0.35, 50.0),
                (10.0, 1.5, 0.15, 70.0),
                (15.5, 1.5, 0.15, 80.0),
                (19.3, 1.0, 0.35, 60.0),
            )
        )

    @staticmethod
    def early() -> DayShape:
        """A neighbourhood park open from 04:00: morning exercisers from first light (04:30 in
        a Weihai summer; the feature's early market opens then too), a bigger morning bump."""
        return DayShape(
            bumps=(
                (5.6, 0.8, 0.40, 50.0),
                (9.5, 1.5, 0.12, 70.0),
                (15.5, 1.5, 0.13, 80.0),
                (19.3, 1.0, 0.35, 60.0),
            ),
            open_h=4.0,
        )

    @staticmethod
    def weekend() -> DayShape:
        return DayShape(
            bumps=(
                (6.8, 0.8, 0.2, 50.0),
                (10.5, 1.5, 0.3, 110.0),
                (15.0, 1.8, 0.3, 120.0),
                (19.3, 1.0, 0.2, 60.0),
            )
        )


@dataclass(frozen=True)
class Crossings:
    """Every true gate crossing of a day, sorted by time (seconds after midnight)."""

    t_s: np.ndarray  # float64
    gate: np.ndarray  # int index into gate list
    inbound: np.ndarray  # bool: True = into the park
    visitors: int
    open_s: float
    close_s: float

    def occupancy_at(self, t_s: np.ndarray | float) -> np.ndarray:
        """True number of people inside at each time ``t_s`` (seconds after midnight)."""
        delta = np.where(self.inbound, 1, -1)
        cum = np.cumsum(delta)
        idx = np.searchsorted(self.t_s, np.asarray(t_s, dtype=float), side="right")
        return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0)

    def for_gate(self, g: int) -> tuple[np.ndarray, np.ndarray]:
        """Crossing times of gate ``g``: (inbound times, outbound times)."""
        sel = self.gate == g
        return self.t_s[sel & self.inbound], self.t_s[sel & ~self.inbound]


def generate_day(
    rng: np.random.Generator,
    visitors: int,
    gate_weights: list[float],
    shape: DayShape | None = None,
) -> Crossings:
    """Simulate a day of about ``visitors`` people crossing ``len(gate_weights)`` gates."""
    shape = shape or DayShape.weekday()
    open_s, close_s = shape.open_h * 3600.0, shape.close_h * 3600.0
    weights = np.array([b[2] for b in shape.bumps])
    weights = weights / weights.sum()
    mean_group = float((GROUP_SIZES * GROUP_PROBS).sum())
    n_groups = max(1, round(visitors / mean_group))
    bump = rng.choice(len(shape.bumps), size=n_groups, p=weights)
    centres = np.array([b[0] for b in shape.bumps])[bump] * 3600.0
    widths = np.array([b[1] for b in shape.bumps])[bump] * 3600.0
    stays = np.array([b[3] for b in shape.bumps])[bump] * 60.0
    lo, hi = open_s + 60.0, close_s - 20 * 60.0
    arrive = centres + rng.normal(0.0, 1.0, n_groups) * widths
    for _ in range(20):  # redraw arrivals outside the open hours (no pile-up at the gate)
        bad = (arrive < lo) | (arrive > hi)
        if not bad.any():
            break
        arrive[bad] = centres[bad] + rng.normal(0.0, 1.0, int(bad.sum())) * widths[bad]
    bad = (arrive < lo) | (arrive > hi)
    arrive[bad] = rng.uniform(lo, hi, int(bad.sum()))
    stay = rng.gamma(4.0, stays / 4.0)
    leave = np.minimum(arrive + np.maximum(stay, 300.0), close_s - rng.uniform(60, 600, n_groups))
    leave = np.maximum(leave, arrive + 120.0)
    p = np.asarray(gate_weights, dtype=float)
    p = p / p.sum()
    gate_in = rng.choice(len(p), size=n_groups, p=p)
    # most leave by the gate they came in; some cross the park
    gate_out = np.where(rng.random(n_groups) < 0.7, gate_in, rng.choice(len(p), size=n_groups, p=p))
    sizes = rng.choice(GROUP_SIZES, size=n_groups, p=GROUP_PROBS)
    ts: list[np.ndarray] = []
    gs: list[np.ndarray] = []
    ins: list[np.ndarray] = []
    for t0, g, inbound in ((arrive, gate_in, True), (leave, gate_out, False)):
        member = np.repeat(np.arange(n_groups), sizes)
        first = np.r_[0, np.cumsum(sizes)[:-1]]
        rank = np.arange(member.size) - np.repeat(first, sizes)
        gaps = rng.uniform(*MEMBER_GAP_S, member.size) * (rank > 0)
        # cumulative gap inside each group (the first member's gap is 0)
        offs = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[first], sizes)
        ts.append(t0[member] + offs)
        gs.append(g[member])
        ins.append(np.full(member.size, inbound))
    t_all = np.concatenate(ts)
    order = np.argsort(t_all, kind="stable")
    return Crossings(
        t_s=t_all[order],
        gate=np.concatenate(gs)[order],
        inbound=np.concatenate(ins)[order],
        visitors=int(sizes.sum()),
        open_s=open_s,
        close_s=close_s,
    )


def sensor_counts(times_s: np.ndarray, resolving_time_s: float) -> np.ndarray:
    """Times the sensor registers, given true crossing times of one direction of one gate.

    A non-paralyzable detector (Knoll, *Radiation Detection and Measurement*, 4th ed., ch. 4):
    a crossing within ``resolving_time_s`` of the last *registered* one is not counted, which is
    how beam counters merge people passing side by side.
    """
    if resolving_time_s <= 0 or times_s.size == 0:
        return times_s
    kept = []
    last = -np.inf
    for t in times_s:
        if t - last >= resolving_time_s:
            kept.append(t)
            last = t
    return np.asarray(kept)
