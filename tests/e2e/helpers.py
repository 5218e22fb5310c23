"""Driving real processes from end-to-end tests: the gateway's API and child processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def whistle_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "whistle.cli", *args]


def demo_cmd(port: int, data_dir: Path, password: str, *extra: str) -> list[str]:
    """``whistle demo`` on gateway ``port`` with its own broker port, data and password."""
    from tests.conftest import free_port

    return whistle_cmd(
        "demo",
        "--port",
        str(port),
        "--mqtt-port",
        str(free_port()),
        "--data-dir",
        str(data_dir),
        "--demo-password",
        password,
        *extra,
    )


def start(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_until(
    what: str, probe: Callable[[], T | None], timeout_s: float, interval_s: float = 0.5
) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = probe()
        except (OSError, urllib.error.URLError, ValueError) as exc:
            last_error = exc
            result = None
        if result:
            return result
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what} (last: {last_error})")


class Api:
    """A tiny client of the gateway's HTTP API with a bearer token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token: str | None = None

    def login(self, username: str, password: str) -> None:
        body = urllib.parse.urlencode({"username": username, "password": password}).encode()
        req = urllib.request.Request(f"{self.base_url}/api/auth/token", data=body, method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            self.token = json.loads(resp.read())["access_token"]

    def get(self, path: str) -> Any:
        req = urllib.request.Request(f"{self.base_url}{path}")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        req = urllib.request.Request(
            f"{self.base_url}{path}", data=json.dumps(body).encode(), method="POST"
        )
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def healthy(self) -> bool:
        with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as resp:
            return resp.status == 200


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> int:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
