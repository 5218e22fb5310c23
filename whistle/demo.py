"""The one-command demo: broker, gateway, simulators and edge agents on this machine.

Starts the embedded broker (or uses ``--broker``), then the gateway and one edge agent per
agent in the site files as child processes, each with its simulated devices playing a scripted
morning at ``speed`` times real time. Children die with the demo (``PR_SET_PDEATHSIG``) and are
stopped in order on Ctrl-C, so nothing is left behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from whistle.broker import EmbeddedBroker
from whistle.config.site import SiteConfig, load_site
from whistle.procs import alive, descendants

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SITES_DIR = REPO_ROOT / "config" / "sites"
#: The scripted morning starts before the market opens (04:30) so the demo shows it filling up.
DEFAULT_START = dtime(4, 20)
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path
    sites_dir: Path = DEFAULT_SITES_DIR
    http_port: int = 8080
    mqtt_port: int = 0  # 0: a free port
    broker_url: str | None = None  # None: the embedded broker
    demo_password: str | None = None  # None: the one kept in data_dir (generated once)
    speed: float = 10.0
    start: datetime | None = None  # None: today at 04:20 in the first site's time zone
    duration_s: float | None = None  # None: until Ctrl-C


#: File in the demo's data directory holding the password it generated for the demo users.
PASSWORD_FILE = "demo-password"


def stored_password(data_dir: Path) -> str:
    """The demo users' password kept in ``data_dir``, generated on the first run.

    The gateway creates the demo users once and leaves existing users' passwords alone, so a
    second run over the same data must print the first run's password, not a new one.
    """
    path = data_dir / PASSWORD_FILE
    if path.is_file():
        kept = path.read_text(encoding="utf-8").strip()
        if not kept:
            raise ValueError(
                f"{path} is empty: pass --demo-password with the demo users' password, or "
                f"delete {data_dir} to start the demo afresh"
            )
        return kept
    data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(9)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(password + "\n")
    return password


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def default_start(sites: list[SiteConfig]) -> datetime:
    zone = ZoneInfo(sites[0].timezone if sites else "Asia/Shanghai")
    today = datetime.now(zone).date()
    return datetime.combine(today, DEFAULT_START, tzinfo=zone)


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, env: dict[str, str]) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=_die_with_parent,
        )
        log_file.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout_s: float) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in %.0f s; killing it", self.name, timeout_s)
            self.proc.kill()
            self.proc.wait()


class Demo:
    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self.site_files = [(p, load_site(p)) for p in sorted(options.sites_dir.glob("*.yaml"))]
        self.sites = [site for _, site in self.site_files]
        if not self.sites:
            raise ValueError(f"no site files (*.yaml) in {options.sites_dir}")
        self.password = options.demo_password or stored_password(options.data_dir)
        self.start_time = options.start or default_start(self.sites)
        self.broker: EmbeddedBroker | None = None
        self.children: list[Child] = []
        self._stop = threading.Event()

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.options.http_port}"

    def _whistle(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "whistle.cli", *args]

    def _plan(self, broker_url: str, protocol: str) -> list[Child]:
        """The gateway and one edge agent per agent of the site files, all on ``broker_url``
        speaking MQTT ``protocol`` (auto, 5 or 3.1.1)."""
        o = self.options
        logs = o.data_dir / "logs"
        children = [
            Child(
                "gateway",
                self._whistle(
                    "gateway",
                    "--demo",
                    "--demo-password",
                    self.password,
                    "--port",
                    str(o.http_port),
                    "--broker",
                    broker_url,
                    "--mqtt-protocol",
                    protocol,
                    "--data-dir",
                    str(o.data_dir / "gateway"),
                    "--sites-dir",
                    str(o.sites_dir),
                ),
                logs / "gateway.log",
            )
        ]
        for site_file, site in self.site_files:
            for agent in site.agents:
                children.append(
                    Child(
                        f"edge {agent.id}",
                        self._whistle(
                            "edge",
                            "--site",
                            str(site_file),
                            "--agent",
                            agent.id,
                            "--broker",
                            broker_url,
                            "--mqtt-protocol",
                            protocol,
                            "--data-dir",
                            str(o.data_dir / "edge" / agent.id),
                            "--sim-start",
                            self.start_time.isoformat(),
                            "--sim-speed",
                            str(o.speed),
                        ),
                        logs / f"edge-{agent.id}.log",
                    )
                )
        return children

    def start(self) -> None:
        o = self.options
        o.data_dir.mkdir(parents=True, exist_ok=True)
        if o.broker_url:
            broker_url, protocol = o.broker_url, "auto"
        else:
            self.broker = EmbeddedBroker(o.mqtt_port or free_port())
            self.broker.start()
            # amqtt speaks 3.1.1 only: an MQTT 5 attempt first ("auto") would be refused
            # with a warning per client, and its dropped socket logs a traceback
            broker_url, protocol = self.broker.url, "3.1.1"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.children = self._plan(broker_url, protocol)
        for child in self.children:
            log.info("starting %s", child.name)
            child.start(env)
        self._wait_for_gateway()
        self._print_banner(broker_url)

    def _wait_for_gateway(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        gateway = self.children[0]
        while time.monotonic() < deadline:
            if not gateway.alive():
                raise RuntimeError(f"the gateway exited; see {gateway.log_path}")
            try:
                with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the gateway did not answer /healthz in {timeout_s} s")

    def _print_banner(self, broker_url: str) -> None:
        o = self.options
        lines = [
            "",
            "Whistle demo is running (Ctrl-C stops everything).",
            f"  Dashboard / API : {self.http_url}/   (API docs: {self.http_url}/docs)",
            f"  MQTT broker     : {broker_url}",
            f"  Simulated time  : {self.start_time.isoformat()} at {o.speed:g}x real time",
            f"  Users           : admin, manager, officer, viewer  password: {self.password}",
            f"  Data and logs   : {o.data_dir}",
            "",
        ]
        print("\n".join(lines), flush=True)

    def run_until_stopped(self) -> int:
        """Block until Ctrl-C, SIGTERM, ``duration_s`` or a child dying; return an exit status."""
        deadline = time.monotonic() + self.options.duration_s if self.options.duration_s else None
        status = 0
        while not self._stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                break
            dead = [c for c in self.children if not c.alive()]
            if dead:
                for child in dead:
                    log.error("%s exited unexpectedly; see %s", child.name, child.log_path)
                status = 1
                break
            self._stop.wait(0.5)
        return status

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        # agents first (they publish `stopped`), then the gateway, then the broker
        leftovers = descendants(os.getpid())
        for child in reversed(self.children):
            child.stop(timeout_s=15)
        for pid in leftovers:  # anything a child started and left behind
            if alive(pid):
                log.warning("process %d outlived its parent; killing it", pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.broker is not None:
            self.broker.stop()
            self.broker = None


def run_demo(options: DemoOptions) -> int:
    demo = Demo(options)

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %d: stopping the demo", signum)
        demo.request_stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        demo.start()
        return demo.run_until_stopped()
    finally:
        demo.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        print("Whistle demo stopped.", flush=True)
