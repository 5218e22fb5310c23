"""Soak: run the demo site (``whistle demo --speed 10``) for a set time and check that nothing
grows without bound.

Sampled at the start (after a warm-up) and at the end, printed as JSON lines:

* memory: RSS of every process of the demo (gateway, each edge agent, the demo itself),
  from ``/proc/PID/status`` (kB);
* file handles: ``/proc/PID/fd`` count of each process;
* queue depths: each agent's outbox depth (rows waiting in its SQLite outbox, read-only) and
  the gateway's ingest queues (``whistle_ingest_queue_depth`` from ``/metrics``).

Verdict per metric (end vs start, the start sample being the same run's reference):
memory may grow at most 50 % + 30 MB (caches warm up), file handles at most +10, queues must
end at most 100 messages or below their start. ``--quick`` runs about 45 s (a shorter
warm-up samples the camera agent while it is still opening its sockets).

    python bench/soak.py --duration-s 600 --speed 10
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import free_port  # noqa: E402
from tests.e2e.helpers import demo_cmd  # noqa: E402
from whistle.procs import descendants  # noqa: E402

PASSWORD = "soak-password"


def process_name(pid: int) -> str:
    """gateway, edge:<agent> or the command's first words."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return f"pid{pid}"
    args = [a.decode(errors="replace") for a in argv if a]
    if "gateway" in args:
        return "gateway"
    if "edge" in args and "--agent" in args:
        return f"edge:{args[args.index('--agent') + 1]}"
    if "demo" in args:
        return "demo"
    return " ".join(Path(a).name for a in args[:2]) or f"pid{pid}"


def rss_kb(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else None


def fd_count(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def outbox_depths(data_dir: Path) -> dict[str, int]:
    depths: dict[str, int] = {}
    for db in sorted((data_dir / "edge").glob("*/outbox.sqlite3")):
        try:
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
            try:
                depths[f"outbox:{db.parent.name}"] = int(
                    conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
                )
            finally:
                conn.close()
        except sqlite3.Error:
            continue
    return depths


class Gateway:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.token: str | None = None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def login(self) -> None:
        body = urllib.parse.urlencode({"username": "admin", "password": PASSWORD}).encode()
        req = urllib.request.Request(f"{self.base}/api/auth/token", data=body, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.token = json.loads(r.read())["access_token"]

    def queue_depths(self) -> dict[str, float]:
        req = urllib.request.Request(f"{self.base}/metrics")
        req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                text = r.read().decode()
        except OSError:
            return {}
        found = re.findall(r'^whistle_ingest_queue_depth\{queue="([^"]+)"\} (\S+)$', text, re.M)
        return {f"gateway_queue:{q}": float(v) for q, v in found}


def sample(demo_pid: int, data_dir: Path, gateway: Gateway) -> dict[str, float]:
    values: dict[str, float] = {}
    for pid in [demo_pid, *descendants(demo_pid)]:
        name = process_name(pid)
        rss, fds = rss_kb(pid), fd_count(pid)
        if rss is not None:
            values[f"rss_kb:{name}"] = float(rss)
        if fds is not None:
            values[f"fds:{name}"] = float(fds)
    values.update({k: float(v) for k, v in outbox_depths(data_dir).items()})
    values.update(gateway.queue_depths())
    return values


def verdict(metric: str, start: float, end: float) -> tuple[str, float]:
    """("ok" | "grows", the allowed end value)."""
    if metric.startswith("rss_kb:"):
        allowed = start * 1.5 + 30 * 1024
    elif metric.startswith("fds:"):
        allowed = start + 10
    else:  # queues
        allowed = max(start, 100.0)
    return ("ok" if end <= allowed else "grows"), allowed


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=float, default=600.0, help="soak time after warm-up")
    parser.add_argument("--speed", type=float, default=10.0, help="simulated clock speed")
    parser.add_argument("--warmup-s", type=float, default=30.0, help="time before the start sample")
    parser.add_argument("--quick", action="store_true", help="about 30 s in all")
    parser.add_argument("--data-dir", type=Path, help="keep the demo's data here")
    args = parser.parse_args(argv)
    if args.quick:
        # the 17 camera workers open their sockets over the first ~25 s: sample after that
        args.duration_s, args.warmup_s = 10.0, 25.0
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="whistle-soak-"))
    port = free_port()
    log = (data_dir / "soak-demo.log").open("wb") if data_dir.exists() else None
    if log is None:
        data_dir.mkdir(parents=True)
        log = (data_dir / "soak-demo.log").open("wb")
    demo = subprocess.Popen(
        demo_cmd(port, data_dir / "demo", PASSWORD, "--speed", str(args.speed)),
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    gateway = Gateway(port)
    status = 1
    try:
        deadline = time.monotonic() + 120
        while not gateway.healthy():
            if demo.poll() is not None or time.monotonic() > deadline:
                emit({"error": "the demo did not come up", "log": str(data_dir)})
                return 1
            time.sleep(1)
        gateway.login()
        time.sleep(args.warmup_s)
        start = sample(demo.pid, data_dir / "demo", gateway)
        emit({"phase": "start", "values": start})
        began = time.monotonic()
        time.sleep(args.duration_s)
        end = sample(demo.pid, data_dir / "demo", gateway)
        emit({"phase": "end", "elapsed_s": round(time.monotonic() - began, 1), "values": end})
        growing = []
        for metric in sorted(set(start) & set(end)):
            result, allowed = verdict(metric, start[metric], end[metric])
            ratio = end[metric] / start[metric] if start[metric] else None
            emit(
                {
                    "metric": metric,
                    "start": start[metric],
                    "end": end[metric],
                    "ratio": None if ratio is None else round(ratio, 3),
                    "allowed_end": round(allowed, 1),
                    "verdict": result,
                }
            )
            if result != "ok":
                growing.append(metric)
        missing = sorted(set(start) ^ set(end))
        emit(
            {
                "summary": "soak",
                "duration_s": args.duration_s,
                "speed": args.speed,
                "metrics": len(set(start) & set(end)),
                "growing": growing,
                "appeared_or_vanished": missing,
                "verdict": "ok" if not growing else "grows",
            }
        )
        status = 0 if not growing else 1
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()
        log.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
