"""Simulated counter firmware: registered crossings -> vendor reports, with switchable faults.

Pure: given a gate's true crossings and a :class:`Faults` set, :func:`generate_reports` returns
every HTTP delivery the counter would make (when, and what body), so tests can play a whole
day in milliseconds; :mod:`firmware_sim.counters.device` plays the same deliveries over HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from firmware_sim.counters.flows import sensor_counts
from firmware_sim.counters.vendor import VendorReport

#: Seconds a rebooting counter is blind (bootloader + sensor warm-up).
REBOOT_DOWNTIME_S = 45.0
#: Most reports one buffered POST carries.
BURST_CHUNK = 60


@dataclass(frozen=True)
class Faults:
    """Each fault switchable per scenario. Times are hours after local midnight."""

    reboots_h: tuple[float, ...] = ()
    #: Registers start near the top so they wrap to 0 during the day.
    wrap: bool = False
    repeat_prob: float = 0.0
    reorder_prob: float = 0.0
    #: (start h, minutes) spells without network; reports are buffered and sent in a burst.
    offline: tuple[tuple[float, float], ...] = ()
    #: Device clock error: offset in seconds plus a drift in parts per million.
    skew_s: float = 0.0
    drift_ppm: float = 0.0
    #: (start h, hours) spells where the sensor registers nobody (blocked / frozen firmware).
    stuck: tuple[tuple[float, float], ...] = ()
    #: Probability that a report carries corrupted totals (a register glitch).
    glitch_prob: float = 0.0

    @staticmethod
    def all_on(rng: np.random.Generator, stuck_gate: bool = True) -> Faults:
        """Every fault at random moments of a day; ``stuck_gate``: this gate also gets stuck.

        A park's scenario makes one of its gates stuck for hours on a busy day (with every
        sensor of a park blind at once nothing could tell how many people came in).
        """
        return Faults(
            reboots_h=tuple(sorted(rng.uniform(7, 20, 2))),
            wrap=True,
            repeat_prob=0.05,
            reorder_prob=0.05,
            offline=((float(rng.uniform(8, 17)), float(rng.uniform(20, 60))),),
            skew_s=float(rng.uniform(-400, 400)),
            drift_ppm=float(rng.uniform(-50, 50)),
            stuck=((float(rng.uniform(8, 17)), float(rng.uniform(1.5, 3.0))),)
            if stuck_gate
            else (),
            glitch_prob=0.0005,
        )


@dataclass(frozen=True)
class Delivery:
    """One HTTP POST: sent at ``send_s`` (true seconds after local midnight), body ``body``."""

    send_s: float
    body: dict[str, Any] | list[dict[str, Any]]


@dataclass
class GateSpec:
    serial: str
    resolving_time_s: float = 0.5
    period_s: float = 10.0
    bits: int = 16
    faults: Faults = field(default_factory=Faults)


def _in_spells(t: np.ndarray, spells: list[tuple[float, float]]) -> np.ndarray:
    mask = np.zeros(t.shape, dtype=bool)
    for a, b in spells:
        mask |= (t >= a) & (t < b)
    return mask


def generate_reports(
    rng: np.random.Generator,
    spec: GateSpec,
    in_times_s: np.ndarray,
    out_times_s: np.ndarray,
    day_start: datetime,
    start_s: float,
    end_s: float,
) -> list[Delivery]:
    """Every delivery of one counter from ``start_s`` to ``end_s`` (seconds after midnight)."""
    f = spec.faults
    modulo = 1 << spec.bits
    reboots = sorted(r * 3600.0 for r in f.reboots_h if start_s < r * 3600.0 < end_s)
    blind = [(r, r + REBOOT_DOWNTIME_S) for r in reboots]
    blind += [(a * 3600.0, a * 3600.0 + h * 3600.0) for a, h in f.stuck]
    reg_in = sensor_counts(in_times_s, spec.resolving_time_s)
    reg_out = sensor_counts(out_times_s, spec.resolving_time_s)
    reg_in = reg_in[~_in_spells(reg_in, blind)]
    reg_out = reg_out[~_in_spells(reg_out, blind)]
    offset = int(rng.integers(modulo - 3000, modulo - 500)) if f.wrap else 0
    boots = [start_s - float(rng.uniform(3600, 86400)), *reboots]
    phase = float(rng.uniform(0, spec.period_s))
    times = np.arange(start_s + phase, end_s, spec.period_s)
    offline = [(a * 3600.0, a * 3600.0 + m * 60.0) for a, m in f.offline]
    reports: list[tuple[float, dict[str, Any]]] = []
    boot_i = 0
    seq = 0
    for t in times:
        while boot_i + 1 < len(boots) and t >= boots[boot_i + 1]:
            boot_i += 1
            seq = 0
            offset = 0  # a reboot clears the registers
        boot_t = boots[boot_i]
        if t < boot_t + REBOOT_DOWNTIME_S and boot_i > 0:
            continue  # still booting
        n_in = int(np.searchsorted(reg_in, t, side="right") - np.searchsorted(reg_in, boot_t))
        n_out = int(np.searchsorted(reg_out, t, side="right") - np.searchsorted(reg_out, boot_t))
        tot_in, tot_out = (offset + n_in) % modulo, (offset + n_out) % modulo
        if f.glitch_prob and rng.random() < f.glitch_prob:
            tot_in = int(rng.integers(0, modulo))
        clock = t + f.skew_s + f.drift_ppm * 1e-6 * (t - start_s)
        report = VendorReport(
            serial=spec.serial,
            ts=day_start + timedelta(seconds=round(clock)),
            seq=seq,
            uptime_s=float(int(t - boot_t)),
            in_total=tot_in,
            out_total=tot_out,
            period_s=spec.period_s,
            fw="2.4.1",
        ).to_json()
        seq += 1
        reports.append((float(t), report))
    deliveries: list[Delivery] = []
    burst: list[dict[str, Any]] = []
    burst_end = 0.0
    for t, body in reports:
        spell = next(((a, b) for a, b in offline if a <= t < b), None)
        if spell is not None:
            burst.append(body)
            burst_end = spell[1]
            continue
        if burst:
            for i in range(0, len(burst), BURST_CHUNK):
                deliveries.append(Delivery(burst_end + 0.5 + i * 1e-3, burst[i : i + BURST_CHUNK]))
            burst = []
        send = t + float(rng.uniform(0.05, 0.5))
        if f.reorder_prob and rng.random() < f.reorder_prob:
            send += spec.period_s * float(rng.uniform(1.05, 2.5))  # overtaken by the next ones
        deliveries.append(Delivery(send, body))
        if f.repeat_prob and rng.random() < f.repeat_prob:
            deliveries.append(Delivery(send + float(rng.uniform(0.5, 30.0)), body))
    if burst:
        deliveries.append(Delivery(burst_end + 0.5, burst))
    deliveries.sort(key=lambda d: d.send_s)
    return deliveries
