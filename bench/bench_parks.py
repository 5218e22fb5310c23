"""Parks benchmark: occupancy errors on simulated all-fault days and car park accuracy.

Prints JSON lines. Each figure sits next to its reference (the issue's target) and the ratio.
``--quick`` runs one day and a two-minute car park window. Car park figures are measured at
the worker's analysis rate (a frame every 2 s) from a cold start; see tests/parks/carpark_eval.py
for how transitions are excused in the free-count figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if TYPE_CHECKING:
    from tests.parks.counter_days import PlayedDay


def occupancy(seeds: list[int], scenario: str) -> list[dict[str, float]]:
    """Play each day; print its figures; return them for the summary.

    Errors of the day's curve are relative to the day's peak (the issue's 5 %) and, where the
    truth is above 10 % of the peak, relative to the truth at that minute.
    """
    from tests.parks.counter_days import play_day

    rows = []
    for seed in seeds:
        t0 = time.perf_counter()
        p = play_day(scenario, seed)
        agg = p.engine.areas["park"].agg
        rz = next(c for c in agg.corrections if c.kind == "rezero")
        day = agg.previous
        assert day is not None
        t = (day.minutes + 1) * 60.0 - p.base_s
        truth = p.day.crossings.occupancy_at(t)
        tl, live = p.live()
        truth_l = p.day.crossings.occupancy_at(tl)
        peak = float(truth.max())
        err, err_l = np.abs(day.occupancy - truth), np.abs(live - truth_l)
        busy, busy_l = truth > 0.1 * peak, truth_l > 0.1 * peak
        row = {
            "end_of_day_drift_pct_of_visitors": 100 * abs(rz.amount) / p.day.crossings.visitors,
            "curve_max_err_pct_of_peak": 100 * float(err.max()) / peak,
            "curve_max_err_pct_of_truth": 100 * float((err[busy] / truth[busy]).max()),
            "live_max_err_pct_of_peak": 100 * float(err_l.max()) / peak,
            "live_median_err_pct_of_peak": 100 * float(np.median(err_l)) / peak,
            "live_max_err_pct_of_truth": 100 * float((err_l[busy_l] / truth_l[busy_l]).max()),
            "min_occupancy": float(min(live.min(), day.occupancy.min())),
        }
        floor_drift, floor_curve = stuck_floor(p)
        row["floor_drift_pct_of_visitors"] = floor_drift
        row["floor_curve_pct_of_peak"] = floor_curve
        rows.append(row)
        print(
            json.dumps(
                {
                    "bench": "occupancy_day",
                    "scenario": scenario,
                    "seed": seed,
                    **{k: round(v, 3) for k, v in row.items()},
                    "drift_reference_pct": 1.0,
                    "drift_ratio": round(row["end_of_day_drift_pct_of_visitors"], 3),
                    "curve_reference_pct": 5.0,
                    "curve_ratio": round(row["curve_max_err_pct_of_peak"] / 5, 3),
                    "replay_s": round(time.perf_counter() - t0, 2),
                }
            )
        )
    return rows


def stuck_floor(p: PlayedDay) -> tuple[float, float]:
    """What even a perfect share imputation gets wrong on this day (judged by the truth).

    The stuck gate's people during its stuck spell, estimated as its true share of the other
    gates' *true* flow (no undercount, no other fault): the error of that estimate's net at
    the spell's end (% of visitors; it stays in the running sum until closing), and the
    largest error inside the spell once both ends are pinned to the truth (a bridge: the
    best the closing reconciliation can do; % of the day's peak). A lower bound for any
    estimator that sees only the other gates while one is blind.
    """
    from firmware_sim.counters.scenarios import park_spec

    cr = p.day.crossings
    weights = np.asarray(park_spec(p.scenario).gate_weights, dtype=float)
    edges = np.arange(cr.open_s, cr.close_s + 61, 60.0)
    net = np.array(
        [
            np.cumsum(
                np.histogram(cr.for_gate(g)[0], edges)[0]
                - np.histogram(cr.for_gate(g)[1], edges)[0]
            )
            for g in range(len(p.day.gates))
        ],
        dtype=float,
    )
    worst_end = worst_bridge = 0.0
    for g, gate in enumerate(p.day.gates):
        for start_h, hours in p.day.faults[gate].stuck:
            i0 = int((start_h * 3600 - cr.open_s) // 60)
            i1 = min(int(((start_h + hours) * 3600 - cr.open_s) // 60), net.shape[1] - 1)
            k = weights[g] / (1 - weights[g])
            others = net.sum(0) - net[g]
            err = k * (others[i0 : i1 + 1] - others[i0]) - (net[g][i0 : i1 + 1] - net[g][i0])
            bridge = err - err[-1] * np.linspace(0.0, 1.0, err.size)
            worst_end = max(worst_end, abs(float(err[-1])))
            worst_bridge = max(worst_bridge, float(np.abs(bridge).max()))
    peak = float(net.sum(0).max())
    return 100 * worst_end / cr.visitors, 100 * worst_bridge / peak


def occupancy_summary(rows: list[dict[str, float]]) -> None:
    def col(k: str) -> np.ndarray:
        return np.array([r[k] for r in rows])

    drift, curve = col("end_of_day_drift_pct_of_visitors"), col("curve_max_err_pct_of_peak")
    out: dict[str, float | str] = {"bench": "occupancy_summary", "days": len(rows)}
    for k in (
        "end_of_day_drift_pct_of_visitors",
        "curve_max_err_pct_of_peak",
        "curve_max_err_pct_of_truth",
        "live_max_err_pct_of_peak",
        "live_median_err_pct_of_peak",
        "live_max_err_pct_of_truth",
        "floor_drift_pct_of_visitors",
        "floor_curve_pct_of_peak",
    ):
        out[f"{k}_mean"] = round(float(col(k).mean()), 3)
        out[f"{k}_worst"] = round(float(col(k).max()), 3)
    out["days_drift_under_1pct"] = int((drift < 1.0).sum())
    out["days_curve_within_5pct_of_peak"] = int((curve <= 5.0).sum())
    out["days_curve_within_5pct_of_truth"] = int((col("curve_max_err_pct_of_truth") <= 5).sum())
    out["days_floor_drift_over_1pct"] = int((col("floor_drift_pct_of_visitors") >= 1).sum())
    out["days_floor_curve_over_5pct"] = int((col("floor_curve_pct_of_peak") > 5).sum())
    out["min_occupancy"] = float(col("min_occupancy").min())
    print(json.dumps(out))


def carpark(runs: list[tuple[str, int, float, float]]) -> None:
    from tests.parks.carpark_eval import score_sim

    for scenario, seed, t0, t1 in runs:
        start = time.perf_counter()
        sc = score_sim(scenario, seed, t0, t1)
        elapsed = time.perf_counter() - start
        print(
            json.dumps(
                {
                    "bench": "carpark_sim",
                    "scenario": scenario,
                    "seed": seed,
                    "window_s": [t0, t1],
                    "frames": sc.frames,
                    "per_space_accuracy": round(sc.per_space, 4),
                    "reference": 0.98,
                    "ratio": round(sc.per_space / 0.98, 4),
                    "per_space_settled": round(sc.per_space_settled, 4),
                    "free_count_exact": round(sc.count_exact, 4),
                    "exact_reference": 0.95,
                    "exact_ratio": round(sc.count_exact / 0.95, 3),
                    "free_count_exact_published": round(sc.count_exact_published, 3),
                    "free_count_exact_nothing_excused": round(sc.count_exact_strict, 3),
                    "ms_per_frame_render_and_classify": round(1000 * elapsed / sc.frames, 1),
                }
            )
        )


def carpark_real() -> None:
    from tests.parks.carpark_eval import REAL, score_real

    if not REAL.exists():
        print(json.dumps({"bench": "carpark_real", "skipped": f"{REAL} not present"}))
        return
    start = time.perf_counter()
    sc = score_real(every=3)
    print(
        json.dumps(
            {
                "bench": "carpark_real",
                "per_space_accuracy": round(sc.per_space, 4),
                "reference": 0.95,
                "ratio": round(sc.per_space / 0.95, 4),
                "judged_space_frames": sc.judged,
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one day, one short sequence")
    ap.add_argument(
        "--counters",
        action="store_true",
        help="only the 24 counter days (seeds 100-111, weekday and weekend)",
    )
    args = ap.parse_args()
    if args.counters:
        rows = occupancy(list(range(100, 112)), "all_faults")
        rows += occupancy(list(range(100, 112)), "weekend_all_faults")
        occupancy_summary(rows)
        return 0
    if args.quick:
        occupancy_summary(occupancy([100], "all_faults"))
        carpark([("dawn", 901, 600.0, 720.0)])
        return 0
    rows = occupancy(list(range(100, 112)), "all_faults")
    rows += occupancy(list(range(100, 112)), "weekend_all_faults")
    occupancy_summary(rows)
    # held-out car park sequences (development used seeds 1-4), whole 30 minutes
    carpark(
        [
            ("dawn", 901, 0.0, 1800.0),
            ("dusk", 902, 0.0, 1800.0),
            ("dawn", 903, 0.0, 1800.0),
            ("day_busy", 904, 0.0, 1800.0),
            ("dawn_busy", 905, 0.0, 1800.0),
            ("dusk", 906, 0.0, 1800.0),
            ("dawn_busy", 907, 0.0, 1800.0),
        ]
    )
    carpark_real()
    return 0


if __name__ == "__main__":
    sys.exit(main())
