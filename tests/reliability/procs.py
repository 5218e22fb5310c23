"""Real processes for the reliability tests: the gateway and edge agents as subprocesses,
a database reader for what the gateway stored, and an HTTP client with a token."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from gateway.db.models import Alert, AlertMessage, DeadLetter, Event
from gateway.db.session import Store
from tests.e2e.helpers import Api, whistle_cmd

PASSWORD = "reliability-pw"


class GatewayProcess:
    """``whistle gateway`` in a subprocess; ``ready`` is set once it has subscribed."""

    def __init__(
        self,
        *,
        broker_url: str,
        data_dir: Path,
        client_id: str,
        db_url: str | None = None,
        http_port: int | None = None,
        sites_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.log_path = data_dir.parent / f"{client_id}.log"
        args = [
            "gateway",
            "--demo",
            "--demo-password",
            PASSWORD,
            "--broker",
            broker_url,
            "--data-dir",
            str(data_dir),
            "--client-id",
            client_id,
            "--sites-dir",
            str(sites_dir or data_dir.parent / "no-sites"),
        ]
        if db_url:
            args += ["--db-url", db_url]
        args += ["--port", str(http_port)] if http_port else ["--no-http"]
        args += extra_args
        env = dict(os.environ, WHISTLE_FLUSH_INTERVAL_S="0.2", **(extra_env or {}))
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            whistle_cmd(*args),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.api = Api(f"http://127.0.0.1:{http_port}") if http_port else None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.log_path.open("ab") as log:
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                if b"ingest ready" in line:
                    self.ready.set()

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        if not self.ready.wait(timeout_s):
            self.terminate()
            raise AssertionError(f"gateway did not get ready: {self.log_path.read_text()}")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        return int(self.proc.returncode)


class EdgeProcess:
    """``whistle edge`` with simulated devices in a subprocess."""

    def __init__(self, site_file: Path, agent: str, broker_url: str, data_dir: Path) -> None:
        self.log_path = data_dir.parent / f"{agent}.log"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            whistle_cmd(
                "edge",
                "--site",
                str(site_file),
                "--agent",
                agent,
                "--broker",
                broker_url,
                "--data-dir",
                str(data_dir),
                "--sim-speed",
                "10",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def terminate(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


def park_site(directory: Path, site_id: str, agents: int = 2) -> Path:
    """A park site served by ``agents`` agents, each with a simulated counter and its area."""
    lines = [f"id: {site_id}", "name: reliability park", "kind: park", "agents:"]
    for n in range(agents):
        lines += [f"  - id: edge-{n}", f"    devices: [gate-{n}, area-{n}]"]
    lines.append("devices:")
    for n in range(agents):
        lines += [
            f"  - id: gate-{n}",
            "    kind: counter",
            f"    name: gate {n}",
            "    source: {kind: simulator}",
            f"  - id: area-{n}",
            "    kind: area",
            f"    name: area {n}",
            "    capacity: 100",
            f"    gates: [gate-{n}]",
        ]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{site_id}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def alert_counts(store: Store, site: str) -> tuple[int, int, int]:
    """(alerts, alert messages, alert events) the gateway stored for ``site``."""
    with store.session() as s:
        alerts = s.scalar(select(func.count()).select_from(Alert).where(Alert.site == site))
        messages = s.scalar(
            select(func.count()).select_from(AlertMessage).join(Alert).where(Alert.site == site)
        )
        events = s.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.kind == "alert", Event.data["site"].as_string() == site)
        )
    return int(alerts or 0), int(messages or 0), int(events or 0)


def dead_letters(store: Store, site: str) -> dict[str, int]:
    """Dead letters on ``site``'s topics by reason."""
    with store.session() as s:
        rows = s.execute(
            select(DeadLetter.reason, func.count())
            .where(DeadLetter.topic.like(f"%/{site}/%"))
            .group_by(DeadLetter.reason)
        ).all()
    return {str(reason): int(n) for reason, n in rows}


def poll(predicate, timeout_s: float, step_s: float = 0.1) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return bool(predicate())


def metrics(api: Api) -> dict[tuple[str, str], float]:
    """``whistle_ingest_messages_total`` from ``/metrics``, by (outcome, reason)."""
    import re
    import urllib.request

    req = urllib.request.Request(f"{api.base_url}/metrics")
    req.add_header("Authorization", f"Bearer {api.token}")
    with urllib.request.urlopen(req, timeout=5) as resp:
        text = resp.read().decode()
    pattern = re.compile(
        r'^whistle_ingest_messages_total\{outcome="([^"]*)",reason="([^"]*)"\} (\S+)$', re.M
    )
    return {(o, r): float(v) for o, r, v in pattern.findall(text)}
