"""``whistle vision analyze``: run the market-camera detectors over a video file, fast."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "vision", help="camera analytics tools (run the detectors over a video file)"
    )
    sub = parser.add_subparsers(dest="vision_command", metavar="SUBCOMMAND", required=True)
    analyze = sub.add_parser(
        "analyze",
        help="run the detectors over a video as fast as possible and print its episodes",
    )
    analyze.add_argument("video", help="video file (anything OpenCV can read)")
    analyze.add_argument(
        "--camera-config", required=True, help="YAML file holding one camera config (zones...)"
    )
    analyze.add_argument(
        "--start",
        required=True,
        help="device time of the first frame, ISO 8601 with offset (2026-11-27T04:30:00+08:00)",
    )
    analyze.add_argument("--json", action="store_true", help="one JSON object per episode")
    analyze.set_defaults(func=run_analyze)


def _fail(message: str) -> int:
    print(f"whistle vision analyze: {message}", file=sys.stderr)
    return 2


def run_analyze(args: argparse.Namespace) -> int:
    import cv2

    from edge.device import EpisodeState
    from edge.vision.session import CameraSession
    from whistle.config.camera import CameraConfig
    from whistle.config.loader import ConfigError, load_yaml_model

    try:
        start = datetime.fromisoformat(args.start)
    except ValueError:
        return _fail(f"--start {args.start!r} is not an ISO 8601 time")
    if start.tzinfo is None:
        return _fail("--start needs a UTC offset, e.g. 2026-11-27T04:30:00+08:00")
    try:
        cfg = load_yaml_model(args.camera_config, CameraConfig)
    except ConfigError as exc:
        return _fail(str(exc).replace("\n", "; "))
    cap = cv2.VideoCapture(args.video)
    ok, image = cap.read() if cap.isOpened() else (False, None)
    if not ok or image is None:
        return _fail(f"{args.video}: cannot read video (missing, empty or not a video file)")
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if 0 < fps < 1000 else 25.0
    assert start.tzinfo is not None
    session = CameraSession(cfg, start.tzinfo)
    period = 1.0 / cfg.analysis_fps
    opened: dict[Any, tuple[str, str | None, float, list[float] | None]] = {}
    index, next_t = 0, 0.0
    last_ts = start
    while ok and image is not None:
        t = index / fps
        if t + 1e-9 >= next_t:
            next_t += period * max(1, int((t - next_t) / period) + 1)
            frame = cv2.resize(image, (640, 360), interpolation=cv2.INTER_AREA)
            last_ts = start + timedelta(seconds=t)
            for ev in session.process(last_ts, frame):
                _report(ev, start, opened, args.json, EpisodeState)
        ok, image = cap.read()
        index += 1
    for ev in session.close_all(last_ts):
        _report(ev, start, opened, args.json, EpisodeState)
    return 0


def _report(ev: Any, start: datetime, opened: dict[Any, Any], as_json: bool, states: Any) -> None:
    box = ev.details.get("box")
    if ev.state is states.OPENED:
        zone = ev.zone or ev.details.get("subtype")
        opened[ev.alert_id] = (ev.type, zone, (ev.started_at - start).total_seconds(), box)
        return
    if ev.state is states.UPDATED:
        if box is not None and ev.alert_id in opened:
            kind, zone, t0, _ = opened[ev.alert_id]
            opened[ev.alert_id] = (kind, zone, t0, box)
        return
    kind, zone, t0, first_box = opened.pop(ev.alert_id, (ev.type, ev.zone, 0.0, None))
    closed = ((ev.ended_at or ev.ts) - start).total_seconds()
    shown = box or first_box
    zone_name = zone or "camera"
    if as_json:
        print(
            json.dumps(
                {
                    "kind": kind,
                    "zone": zone_name,
                    "opened_s": round(t0, 2),
                    "closed_s": round(closed, 2),
                    "box": shown,
                }
            )
        )
    else:
        box_s = "-" if shown is None else "[" + ", ".join(f"{v:.3f}" for v in shown) + "]"
        print(f"{kind:18s} {zone_name:16s} opened {t0:8.1f}s closed {closed:8.1f}s box {box_s}")
    sys.stdout.flush()
