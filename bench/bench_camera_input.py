"""Memory and CPU of the demo's camera side: 17 simulated market cameras in one process.

Each configuration runs in its own child process (peak RSS, ``VmHWM`` from /proc/self/status,
is per process) and prints one JSON line:

- ``sources``: the 17 ``config/sites/gumo.yaml`` cameras opened with
  ``edge.camera.source.open_frame_source`` (in-process simulator + MJPEG server + reader) and
  drained by one consumer thread each, the input side alone;
- ``agent``: the same cameras through the real detector workers (``edge.vision.build_workers``)
  into a capturing sink, i.e. the camera agent ``edge-gumo-cams`` without MQTT.

Figures: peak RSS (MB) next to the RSS of the same process after imports (reference, same run)
and the budget; CPU of the process in cores (user + system time / wall time) over the steady
part of the run next to one core; frames delivered (or analysed) per simulated second per camera
next to the analysis rate asked for; CPU milliseconds per delivered (sources) or analysed
(agent) frame. ``--quick`` runs the agent for 3 s with 3 cameras. The machine's other load
slows delivery (fewer frames) but hardly changes the CPU per frame.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "config" / "sites" / "gumo.yaml"
AGENT = "edge-gumo-cams"
#: Goals (issue 4): the whole agent under 400 MB; the simulator + input side under 200 MB.
BUDGET_MB = {"sources": 200.0, "agent": 400.0}


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _cpu_s() -> float:
    t = os.times()
    return t.user + t.system


class CapturingSink:
    """Keeps the latest health values per device and counts episodes (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.health_values: dict[str, dict[str, float]] = {}
        self.episodes = 0
        self.first_ts: dict[str, datetime] = {}
        self.last_ts: dict[str, datetime] = {}

    def observation(self, obs: Any) -> None:
        with self.lock:
            self.first_ts.setdefault(obs.device, obs.ts)
            self.last_ts[obs.device] = obs.ts

    def episode(self, event: Any) -> None:
        with self.lock:
            self.episodes += 1

    def health(self, device: str, values: Mapping[str, float], flags: tuple[str, ...]) -> None:
        with self.lock:
            self.health_values[device] = dict(values)


def _total(sink: CapturingSink, key: str) -> float:
    """Sum of ``key`` over the workers' latest health reports."""
    with sink.lock:
        return sum(v.get(key, 0.0) for v in sink.health_values.values())


def _analysed(sink: CapturingSink) -> float:
    """Frames analysed so far by all workers."""
    return _total(sink, "analysed")


def _cameras(n: int) -> tuple[Any, list[Any]]:
    from whistle.config.camera import CameraConfig
    from whistle.config.site import load_site

    site = load_site(SITE)
    ids = site.agent(AGENT).devices[:n]
    cams = [d for d in (site.device(i) for i in ids) if isinstance(d, CameraConfig)]
    return site, cams


def _child(mode: str, n: int, speed: float, seconds: float, warmup_s: float) -> dict[str, Any]:
    import cv2  # noqa: F401  (imports count in the reference RSS)
    import numpy as np  # noqa: F401

    import edge.camera.source as _ecs

    site, cams = _cameras(n)
    start = datetime.fromisoformat("2026-05-01T04:30:00+08:00")
    if mode == "agent":
        import edge.vision.worker  # noqa: F401
    base_mb = _status_mb("VmRSS")
    stop = threading.Event()
    threads: list[threading.Thread] = []
    counts = [0] * len(cams)
    spans: list[list[datetime]] = [[] for _ in cams]
    sink = CapturingSink()
    if mode == "sources":

        def drain(i: int, cfg: Any) -> None:
            src = _ecs.open_frame_source(
                cfg, fps=cfg.analysis_fps, sim_start=start, sim_speed=speed
            )
            for f in src.frames(stop):
                counts[i] += 1
                if not spans[i]:
                    spans[i].append(f.ts)
                spans[i][1:] = [f.ts]

        for i, cfg in enumerate(cams):
            threads.append(threading.Thread(target=drain, args=(i, cfg), daemon=True))
    else:
        import tempfile

        from edge.device import WorkerOptions
        from edge.vision import build_workers

        tmp = tempfile.mkdtemp(prefix="bench-cam-")
        workers = build_workers(
            site, cams, WorkerOptions(data_dir=Path(tmp), sim_start=start, sim_speed=speed)
        )
        for w in workers:
            threads.append(threading.Thread(target=w.run, args=(sink, stop), daemon=True))
    t_start = time.monotonic()
    for t in threads:
        t.start()
    # Warm-up: every camera delivers (sources) or reports (agent) once, then warmup_s more.
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline and not (
        all(counts) if mode == "sources" else len(sink.first_ts) == len(cams)
    ):
        time.sleep(0.1)
    startup_s = time.monotonic() - t_start
    time.sleep(warmup_s)
    cpu0, wall0 = _cpu_s(), time.monotonic()
    c0 = list(counts)
    a0 = _analysed(sink)
    time.sleep(max(seconds - warmup_s, 0.5))
    cpu1, wall1 = _cpu_s(), time.monotonic()
    c1 = list(counts)
    a1 = _analysed(sink)
    n_threads = threading.active_count()
    steady_mb = _status_mb("VmRSS")
    stop.set()
    for t in threads:
        t.join(timeout=10)
    wall = wall1 - wall0
    cores = (cpu1 - cpu0) / wall
    sim_s = wall * speed
    frames = sum(c1) - sum(c0) if mode == "sources" else a1 - a0
    per_sim_s = frames / len(cams) / sim_s
    asked = cams[0].analysis_fps if cams else 0.0
    peak = _status_mb("VmHWM")
    return {
        "name": f"camera_{mode}",
        "cameras": len(cams),
        "speed": speed,
        "measured_s": round(wall, 1),
        "peak_rss_mb": round(peak, 1),
        "ref_rss_after_imports_mb": round(base_mb, 1),
        "ratio_peak_to_imports": round(peak / base_mb, 2),
        "rss_at_end_mb": round(steady_mb, 1),
        "budget_mb": BUDGET_MB[mode],
        "ratio_peak_to_budget": round(peak / BUDGET_MB[mode], 2),
        "cpu_cores": round(cores, 2),
        "ref_cores": 1.0,
        "ratio_cpu_to_one_core": round(cores, 2),
        "frames_per_sim_s_per_camera": round(per_sim_s, 2),
        "ref_analysis_fps": asked,
        "ratio_frames_to_analysis_fps": round(per_sim_s / asked, 2) if asked else None,
        "cpu_ms_per_frame": round(1000 * (cpu1 - cpu0) / max(frames, 1), 2),
        "startup_s": round(startup_s, 1),
        "threads": n_threads,
        "episodes": sink.episodes,
        **(
            {
                f"worker_{k}": _total(sink, k)
                for k in ("analysed", "skipped", "analysis_drops", "drops", "frames")
            }
            if mode == "agent"
            else {}
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a few seconds, 3 cameras (CI)")
    ap.add_argument("--cameras", type=int, default=17, help="cameras of edge-gumo-cams to run")
    ap.add_argument("--modes", default="sources,agent", help="comma list: sources, agent")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--speed", type=float, default=None, help="only this speed")
    ap.add_argument("--seconds", type=float, default=None, help="run length per config")
    args = ap.parse_args()
    if args.child:
        out = _child(
            args.child,
            args.cameras,
            args.speed or 1.0,
            args.seconds or 20.0,
            min(5.0, (args.seconds or 20.0) / 3),
        )
        print(json.dumps(out), flush=True)
        return
    n = 3 if args.quick else args.cameras
    plan: list[tuple[str, float, float]] = []
    if args.quick:
        plan.append(("agent", args.speed or 10.0, args.seconds or 3.0))
    for mode in [] if args.quick else args.modes.split(","):
        speeds = [args.speed] if args.speed else [1.0, 10.0]
        for sp in speeds:
            plan.append((mode.strip(), sp, args.seconds or (20.0 if sp == 1.0 else 30.0)))
    for mode, sp, secs in plan:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            mode,
            "--cameras",
            str(n),
            "--speed",
            str(sp),
            "--seconds",
            str(secs),
        ]
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
        if res.returncode != 0 or not lines:
            print(
                json.dumps(
                    {
                        "name": f"camera_{mode}",
                        "speed": sp,
                        "error": res.stderr.strip().splitlines()[-3:],
                    }
                ),
                flush=True,
            )
            continue
        print(lines[-1], flush=True)


if __name__ == "__main__":
    main()
