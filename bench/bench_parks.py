"""Parks benchmark: occupancy errors on simulated all-fault days and car park accuracy.

Prints JSON lines. Each figure sits next to its reference (the issue's target) and the ratio.
``--quick`` runs one day and a short car park sequence.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def occupancy(seeds: list[int], scenario: str) -> None:
    from tests.parks.helpers import play_day

    for seed in seeds:
        t0 = time.perf_counter()
        p = play_day(scenario, seed)
        agg = p.engine.areas["park"].agg
        rz = [c for c in agg.corrections if c.kind == "rezero"][0]
        day = agg.previous
        assert day is not None
        t = (day.minutes + 1) * 60.0 - p.base_s
        truth = p.day.crossings.occupancy_at(t)
        tl, live = p.live()
        truth_l = p.day.crossings.occupancy_at(tl)
        drift_pct = 100 * abs(rz.amount) / p.day.crossings.visitors
        curve_pct = 100 * float(np.abs(day.occupancy - truth).max()) / truth.max()
        live_pct = 100 * float(np.abs(live - truth_l).max()) / truth.max()
        print(json.dumps({"bench": "occupancy_day", "scenario": scenario, "seed": seed,
                          "end_of_day_drift_pct_of_visitors": round(drift_pct, 3),
                          "reference_pct": 1.0, "ratio": round(drift_pct / 1.0, 3),
                          "curve_max_err_pct_of_peak": round(curve_pct, 2),
                          "curve_reference_pct": 5.0, "curve_ratio": round(curve_pct / 5, 3),
                          "live_max_err_pct_of_peak": round(live_pct, 2),
                          "min_occupancy": float(min(live.min(), day.occupancy.min())),
                          "replay_s": round(time.perf_counter() - t0, 2)}))


def carpark(seeds: list[int], scenario: str, step_s: float) -> None:
    from tests.parks.test_carpark import run_sim

    for seed in seeds:
        t0 = time.perf_counter()
        acc, exact = run_sim(scenario, seed, step_s)
        print(json.dumps({"bench": "carpark_sim", "scenario": scenario, "seed": seed,
                          "per_space_accuracy": round(acc, 4), "reference": 0.98,
                          "ratio": round(acc / 0.98, 4), "free_count_exact": round(exact, 3),
                          "exact_reference": 0.95, "exact_ratio": round(exact / 0.95, 3),
                          "seconds": round(time.perf_counter() - t0, 1)}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="one day, one short sequence")
    args = ap.parse_args()
    if args.quick:
        occupancy([100], "all_faults")
        carpark([901], "dawn", 60.0)
        return 0
    occupancy(list(range(100, 112)), "all_faults")
    occupancy(list(range(100, 112)), "weekend_all_faults")
    for scen, seed in (("dawn", 901), ("dawn", 903), ("dusk", 902), ("day_busy", 904)):
        carpark([seed], scen, 10.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
