"""``whistle sim camera render|serve``: the simulated market (or car park) camera."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    cam = subparsers.add_parser(
        "camera",
        help="simulated fixed market camera: render a scenario or serve it as MJPEG",
        description="Synthetic 640x360 market camera with named, seeded scenarios and ground "
        "truth (scenarios: see `whistle sim camera scenarios`).",
    )
    sub = cam.add_subparsers(dest="camera_command", metavar="ACTION", required=True)

    ls = sub.add_parser("scenarios", help="list the market scenarios with durations")
    ls.set_defaults(func=_cmd_scenarios)

    r = sub.add_parser("render", help="render a scenario to a video file plus ground-truth JSON")
    _common(r)
    r.add_argument("--out", type=Path, required=True, help="output directory")
    r.add_argument(
        "--duration-s",
        type=float,
        default=None,
        help="simulated seconds to render (default: the scenario's length)",
    )
    r.add_argument(
        "--format",
        choices=["avi", "mp4"],
        default="avi",
        help="avi = Motion-JPEG (default), mp4 = mp4v",
    )
    r.add_argument(
        "--truth-every-s",
        type=float,
        default=1.0,
        help="per-frame truth every N simulated seconds (default 1)",
    )
    r.set_defaults(func=_cmd_render)

    s = sub.add_parser("serve", help="serve a scenario as an MJPEG-over-HTTP IP camera")
    _common(s)
    s.add_argument("--port", type=int, default=8081, help="TCP port (default 8081; 0 = any)")
    s.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    s.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    s.add_argument(
        "--start",
        default=None,
        help="ISO 8601 device time at scenario start (default: today at the "
        "scenario's start time, Asia/Shanghai)",
    )
    s.add_argument(
        "--max-real-fps",
        type=float,
        default=None,
        help="cap on frames sent per real second (default: --fps)",
    )
    s.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="MODE@START+DUR",
        help="inject a fault (stall|freeze|garbage|disconnect) at START real "
        "seconds for DUR seconds, e.g. stall@30+10; repeatable",
    )
    s.set_defaults(func=_cmd_serve)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--simulator",
        choices=["market", "carpark"],
        default="market",
        help="which scene (default market)",
    )
    p.add_argument("--scenario", default=None, help="scenario name (default: market_morning)")
    p.add_argument("--seed", type=int, default=0, help="scenario seed (default 0)")
    p.add_argument("--fps", type=float, default=5.0, help="frames per simulated second")


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from firmware_sim.camera.scenarios import SCENARIOS

    for spec in SCENARIOS.values():
        h, m = divmod(int(spec.start_tod_s) // 60, 60)
        print(f"{spec.name:20s} {spec.duration_s:7.0f} s  from {h:02d}:{m:02d}  {spec.description}")
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from firmware_sim.camera.renderer import make_renderer
    from firmware_sim.camera.video import render_video

    try:
        renderer = make_renderer(args.simulator, args.scenario, args.seed)
    except (ValueError, RuntimeError) as exc:
        log.error("%s", exc)
        return 2
    duration = args.duration_s or float(getattr(renderer, "duration_s", 600.0))
    stem = f"{args.scenario or 'default'}_seed{args.seed}"
    video = args.out / f"{stem}.{args.format}"
    if args.simulator == "market" and args.duration_s:
        from firmware_sim.camera.market import MarketRenderer
        from firmware_sim.camera.scenarios import build_script

        renderer = MarketRenderer(
            build_script(args.scenario or "market_morning", args.seed, duration)
        )
    n = render_video(renderer, video, duration, args.fps)
    truth_path = None
    from firmware_sim.camera.market import MarketRenderer

    if isinstance(renderer, MarketRenderer):
        from firmware_sim.camera.truth import write_truth

        truth_path = write_truth(renderer, args.out, stem, args.fps, args.truth_every_s)
    print(json.dumps({"video": str(video), "frames": n, "truth": str(truth_path)}))
    return 0


def _parse_fault(text: str) -> tuple[str, float, float]:
    try:
        mode, rest = text.split("@", 1)
        start, dur = rest.split("+", 1)
        return mode, float(start), float(dur)
    except ValueError as exc:
        raise SystemExit(f"--fault {text!r}: expected MODE@START+DUR, e.g. stall@30+10") from exc


def default_start(renderer: object) -> datetime:
    """Today (Asia/Shanghai) at the renderer's scenario start time of day."""
    from datetime import time as dtime
    from zoneinfo import ZoneInfo

    tod = getattr(renderer, "start_time_of_day", dtime(4, 30))
    tz = ZoneInfo("Asia/Shanghai")
    return datetime.combine(datetime.now(tz).date(), tod, tzinfo=tz)


def _cmd_serve(args: argparse.Namespace) -> int:
    from firmware_sim.camera.renderer import make_renderer
    from firmware_sim.camera.server import MjpegServer
    from firmware_sim.clock import SimClock

    try:
        renderer = make_renderer(args.simulator, args.scenario, args.seed)
        start = datetime.fromisoformat(args.start) if args.start else default_start(renderer)
        clock = SimClock(start, args.speed)
        faults = [_parse_fault(f) for f in args.fault]
        server = MjpegServer(
            renderer,
            clock,
            fps=args.fps,
            host=args.host,
            port=args.port,
            max_real_fps=args.max_real_fps,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        log.error("%s", exc)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with server:
        if faults:
            server.schedule_faults(faults)
        log.info(
            "serving %s (seed %d) at %s, snapshot /snapshot.jpg, start %s, speed %g",
            args.scenario or "default",
            args.seed,
            server.url,
            start.isoformat(),
            args.speed,
        )
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    return 0
