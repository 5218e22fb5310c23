"""`whistle sim counters ...`: play simulated gate counters against a receiver, print truth."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "counters",
        help="simulated park gate counters (vendor JSON over HTTP)",
        description="Simulated bidirectional gate counters of a park: push their vendor-format "
        "reports (POST /counts) to an edge receiver, or print the day's truth.",
    )
    sub = p.add_subparsers(dest="counters_cmd", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--scenario", default="all_faults", help="scenario name (default all_faults; see 'list')"
    )
    common.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    common.add_argument(
        "--date", default=None, help="local date YYYY-MM-DD of the simulated day (default today)"
    )
    common.add_argument("--timezone", default="Asia/Shanghai", help="local time zone")
    run = sub.add_parser("run", parents=[common], help="push a day's reports to a receiver")
    run.add_argument("--url", required=True, help="receiver, e.g. http://127.0.0.1:8710/counts")
    run.add_argument("--speed", type=float, default=60.0, help="simulated seconds per second")
    run.add_argument("--start", default="05:00", help="local time of day to start at (HH:MM)")
    run.set_defaults(func=_run)
    truth = sub.add_parser(
        "truth", parents=[common], help="print the true occupancy per minute as CSV"
    )
    truth.set_defaults(func=_truth)
    lst = sub.add_parser("list", help="list the scenarios")
    lst.set_defaults(func=_list)


def _day(args: argparse.Namespace, start_s: float | None = None) -> Any:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from firmware_sim.counters.scenarios import simulate_day

    d = date.fromisoformat(args.date) if args.date else date.today()
    midnight = datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(args.timezone))
    return simulate_day(args.scenario, args.seed, midnight, start_s=start_s)


def _run(args: argparse.Namespace) -> int:
    import threading
    from datetime import timedelta

    from firmware_sim.clock import SimClock
    from firmware_sim.counters.device import SimulatedCounter

    hh, mm = (int(x) for x in args.start.split(":"))
    start_s = hh * 3600.0 + mm * 60.0
    day = _day(args, start_s)
    clock = SimClock(day.day_start + timedelta(seconds=start_s), args.speed)
    stop = threading.Event()
    threads = [
        SimulatedCounter(args.url, day.deliveries[g], clock, start_s, stop, name=g)
        for g in day.gates
    ]
    for t in threads:
        t.start()
    print(
        f"pushing {len(threads)} counters of scenario {args.scenario} to {args.url} "
        f"at x{args.speed:g}; Ctrl-C to stop"
    )
    try:
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.5)
    except KeyboardInterrupt:
        stop.set()
    return 0


def _truth(args: argparse.Namespace) -> int:
    day = _day(args)
    t, occ = day.truth_per_minute()
    print("local_time,occupancy")
    for ts, o in zip(t, occ, strict=True):
        print(f"{int(ts // 3600):02d}:{int(ts % 3600 // 60):02d},{int(o)}")
    print(f"# visitors {day.crossings.visitors}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from firmware_sim.counters.scenarios import SCENARIOS

    for name in SCENARIOS:
        print(name)
    return 0
