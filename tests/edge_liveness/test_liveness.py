"""The agent's liveness signals reach a real notify socket and the heartbeat file."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from edge.liveness import Heartbeat, sd_notify


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> socket.socket:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    return sock


def test_ready_and_watchdog_reach_systemd(notify_socket: socket.socket, tmp_path: Path) -> None:
    beat = Heartbeat(tmp_path / "data", interval_s=60)
    beat.ready()
    assert notify_socket.recv(100) == b"WATCHDOG=1"
    assert notify_socket.recv(100) == b"READY=1"
    assert (tmp_path / "data" / "heartbeat").exists()
    beat.beat()  # within the interval: nothing sent
    beat.stopping()
    assert notify_socket.recv(100) == b"STOPPING=1"


def test_heartbeat_file_is_refreshed(tmp_path: Path) -> None:
    beat = Heartbeat(tmp_path, interval_s=0)
    beat.beat()
    first = (tmp_path / "heartbeat").stat().st_mtime_ns
    os.utime(tmp_path / "heartbeat", ns=(0, 0))
    beat.beat()
    assert (tmp_path / "heartbeat").stat().st_mtime_ns > 0
    assert first > 0


def test_without_systemd_nothing_is_sent() -> None:
    assert sd_notify("READY=1", environ={}) is False
