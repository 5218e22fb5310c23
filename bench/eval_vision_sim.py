"""Accuracy of the camera detectors on simulator scenarios at held-out seeds.

For each scenario and seed: render at 5 fps, run the detectors (they never see the truth),
match episodes to the script's ground truth (opened within dwell + 30 s; tamper within 10 s;
rubbish covering no more of its zone than ``max_litter`` is no episode to find, reported as
``below_threshold``) and print JSON lines: per-kind recall and false episodes per camera-hour,
then the totals.
``--quick`` runs one short scenario for a smoke test; ``--jobs N`` runs N scenario runs at once
(separate processes; the figures do not depend on it).
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "vision"))

import simeval  # noqa: E402

SHORT = (
    "stall_outside_line",
    "people_standing",
    "vehicle_entry",
    "entrance_crowd",
    "doorway_linger",
    "after_close_rubbish",
    "tamper_covered",
    "tamper_defocus",
    "tamper_moved",
)


def _run(job: tuple[str, int, float | None, float]) -> tuple[str, int, simeval.Score]:
    """Score one scenario run (in a worker process when ``--jobs`` > 1)."""
    name, seed, duration_s, yesterday_s = job
    found, truths, dur = simeval.run_scenario(
        name, seed, duration_s=duration_s, yesterday_s=yesterday_s
    )
    return name, seed, simeval.score(found, truths, dur, simeval.CLEAN_CHECK_S.get(name, 0.0))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short scenario, one seed")
    parser.add_argument("--seeds", default="1001,1002,1003", help="comma-separated seeds")
    parser.add_argument("--scenarios", default=",".join(SHORT) + ",dawn_quiet")
    parser.add_argument("--max-duration-s", type=float, default=None)
    parser.add_argument("--jobs", type=int, default=1, help="scenario runs at once (processes)")
    parser.add_argument(
        "--yesterday-s",
        type=float,
        default=0.0,
        help="seconds of the day before's empty street at 10:00 that the camera saw before "
        "its agent restarted in the night: the cleanliness zones start with the clean street "
        "learned then, as the agent restores it (default 0: a camera installed this morning; "
        "they judge what lay still)",
    )
    args = parser.parse_args()
    seeds = [1001] if args.quick else [int(s) for s in args.seeds.split(",")]
    scenarios = ["vehicle_entry"] if args.quick else args.scenarios.split(",")
    duration_s = 120.0 if args.quick else args.max_duration_s
    jobs = [(name, seed, duration_s, args.yesterday_s) for name in scenarios for seed in seeds]
    total = simeval.Score()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, seed, sc in pool.map(_run, jobs):
            total.add(sc)
            print(
                json.dumps(
                    {
                        "scenario": name,
                        "seed": seed,
                        "truths": sc.truths,
                        "hits": sc.hits,
                        "false": sc.false,
                        "below_threshold": sc.below,
                        "hours": round(sc.hours, 3),
                    }
                ),
                flush=True,
            )
    kinds = sorted(set(total.truths) | set(total.false))
    for k in kinds:
        n = total.truths.get(k, 0)
        print(
            json.dumps(
                {
                    "kind": k,
                    "truths": n,
                    "below_threshold": total.below.get(k, 0),
                    "recall": round(total.hits.get(k, 0) / n, 3) if n else None,
                    "goal_recall_min": 0.95,
                    "false_per_camera_hour": round(
                        total.false.get(k, 0) / max(total.hours, 1e-9), 2
                    ),
                    "goal_false_per_camera_hour_max": 1.0,
                    "camera_hours": round(total.hours, 3),
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
