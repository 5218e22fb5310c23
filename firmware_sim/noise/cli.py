"""`whistle sim noise ...`: list the scenarios, serve the L16-over-HTTP sensor, render a WAV.

``serve`` plays a scenario as the networked sensor of docs/noise.md (``GET /audio.l16``);
``render`` writes the scenario's PCM to a WAV file and its ground truth (the expected alert
episodes, from the script) to ``<file>.truth.json`` beside it.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_TZ = "Asia/Shanghai"


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "noise",
        help="simulated noise sensor (L16 audio over HTTP)",
        description="A simulated networked noise sensor playing scripted market scenarios at "
        "calibrated dB(A) levels: serve it over HTTP like a real sensor, or render "
        "a scenario to a WAV file with its ground truth.",
    )
    sub = p.add_subparsers(dest="noise_sim_cmd", metavar="ACTION", required=True)
    lst = sub.add_parser("scenarios", help="list the scenarios with their durations")
    lst.set_defaults(func=_scenarios)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--scenario", required=True, help="scenario name (see 'scenarios')")
    common.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    common.add_argument(
        "--rate",
        type=int,
        default=48000,
        choices=(16000, 44100, 48000),
        help="sample rate, Hz (default 48000)",
    )
    common.add_argument(
        "--sensitivity-dbfs",
        type=float,
        default=-26.0,
        help="simulated microphone: dBFS of a 94 dB SPL 1 kHz tone (default -26)",
    )
    common.add_argument(
        "--timezone", default=DEFAULT_TZ, help=f"local time zone of the site (default {DEFAULT_TZ})"
    )

    srv = sub.add_parser(
        "serve", parents=[common], help="serve the scenario as a live L16 stream (GET /audio.l16)"
    )
    srv.add_argument("--port", type=int, default=8750, help="TCP port (default 8750; 0: any)")
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    srv.add_argument(
        "--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)"
    )
    srv.add_argument(
        "--start",
        default=None,
        help="ISO 8601 device time of the first sample (default: today at the "
        "scenario's scripted start time, in --timezone)",
    )
    srv.add_argument(
        "--stop-after-s",
        type=float,
        default=None,
        help="stop after this many simulated seconds (default: until Ctrl-C)",
    )
    srv.set_defaults(func=_serve)

    ren = sub.add_parser(
        "render",
        parents=[common],
        help="write the scenario to a WAV file and its ground truth JSON",
    )
    ren.add_argument("--out", required=True, help="output WAV file (16-bit mono PCM)")
    ren.add_argument(
        "--duration-s",
        type=float,
        default=None,
        help="seconds to render (default: the scenario's duration)",
    )
    ren.add_argument(
        "--date",
        default=None,
        help="local date YYYY-MM-DD the truth's times refer to (default today)",
    )
    ren.set_defaults(func=_render)


def _err(msg: str) -> int:
    import sys

    print(f"error: {msg}", file=sys.stderr)
    return 2


def _scenarios(args: argparse.Namespace) -> int:
    from firmware_sim.noise.scenarios import SCENARIOS

    for name, make in SCENARIOS.items():
        sc = make()
        print(f"{name:16s} {sc.duration_s / 60:6.1f} min  from {sc.start:%H:%M}  {sc.description}")
    return 0


def _start_time(args: argparse.Namespace, scenario_start: Any) -> datetime:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(args.timezone)
    raw = getattr(args, "start", None)
    if raw:
        t = datetime.fromisoformat(raw)
        return t if t.tzinfo is not None else t.replace(tzinfo=tz)
    raw_date = getattr(args, "date", None)
    day = datetime.strptime(raw_date, "%Y-%m-%d").date() if raw_date else datetime.now(tz).date()
    return datetime.combine(day, scenario_start, tzinfo=tz)


def _load(args: argparse.Namespace) -> tuple[Any, datetime]:
    """The scenario and the device time of its first sample; ValueError/KeyError if bad."""
    from zoneinfo import ZoneInfoNotFoundError

    from firmware_sim.noise.scenarios import get_scenario

    sc = get_scenario(args.scenario)
    try:
        return sc, _start_time(args, sc.start)
    except ZoneInfoNotFoundError as exc:
        raise ValueError(f"unknown time zone {args.timezone!r}") from exc


def _serve(args: argparse.Namespace) -> int:
    import threading

    from firmware_sim.clock import SimClock
    from firmware_sim.noise.server import NoiseSensorServer

    try:
        sc, start = _load(args)
    except (KeyError, ValueError) as exc:
        return _err(str(exc.args[0]) if exc.args else str(exc))
    if args.speed <= 0:
        return _err("--speed must be positive")
    clock = SimClock(start, args.speed)
    try:
        server = NoiseSensorServer(
            sc,
            clock,
            fs_hz=args.rate,
            sensitivity_dbfs=args.sensitivity_dbfs,
            seed=args.seed,
            host=args.host,
            port=args.port,
        ).start()
    except OSError as exc:
        return _err(f"cannot listen on {args.host}:{args.port}: {exc}")
    print(
        f"noise sensor {sc.name} (seed {args.seed}) at {server.url} from "
        f"{start.isoformat()} at x{args.speed:g}; Ctrl-C to stop",
        flush=True,
    )
    done = threading.Event()
    try:
        while not done.wait(0.2):
            if args.stop_after_s is not None and clock.elapsed_s() >= args.stop_after_s:
                break
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _render(args: argparse.Namespace) -> int:
    import json
    import wave

    from firmware_sim.noise.scenario import Renderer, nominal_levels
    from firmware_sim.noise.truth import ground_truth

    try:
        sc, start = _load(args)
    except (KeyError, ValueError) as exc:
        return _err(str(exc.args[0]) if exc.args else str(exc))
    seconds = int(args.duration_s if args.duration_s is not None else sc.duration_s)
    if seconds < 1:
        return _err("--duration-s must be at least 1")
    out = Path(args.out)
    truth_path = out.with_suffix(".truth.json")
    renderer = Renderer(sc, args.rate, args.sensitivity_dbfs, args.seed)
    fs = args.rate
    try:
        with wave.open(str(out), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(fs)
            for k in range(seconds):
                w.writeframes(renderer.render(k * fs, fs).astype("<i2").tobytes())
    except OSError as exc:
        return _err(f"cannot write {out}: {exc}")
    truth = ground_truth(sc, start.date(), args.timezone, seconds=seconds)
    laeq, _, _ = nominal_levels(sc, seconds)
    doc = {
        "scenario": sc.name,
        "description": sc.description,
        "seed": args.seed,
        "rate_hz": fs,
        "sensitivity_dbfs": args.sensitivity_dbfs,
        "start": start.isoformat(),
        "duration_s": seconds,
        "zone_class": sc.zone_class,
        "wav": out.name,
        "episodes": [e.as_dict() for e in truth],
        "faults": [{"kind": f.kind, "start_s": f.start_s, "end_s": f.end_s} for f in sc.faults],
        "nominal_laeq_1s": [round(float(v), 2) for v in laeq],
    }
    truth_path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out} ({seconds} s at {fs} Hz) and {truth_path} ({len(truth)} expected episodes)")
    return 0
