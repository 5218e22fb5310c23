"""Telling the supervisor the agent is alive: systemd's notify socket and a heartbeat file.

Under systemd (``Type=notify``, ``WatchdogSec=``) the agent sends ``READY=1`` once its workers
run and ``WATCHDOG=1`` from its main loop; a hung agent is restarted. In a container the same
beat touches ``<data_dir>/heartbeat``, which the compose health check reads. No dependency:
the notify protocol is one datagram on the socket named by ``$NOTIFY_SOCKET``.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path

log = logging.getLogger(__name__)


def sd_notify(state: str, environ: dict[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``) to systemd; False when not run by systemd."""
    address = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode("ascii"))
    except OSError as exc:
        log.warning("sd_notify(%s) failed: %s", state, exc)
        return False
    return True


class Heartbeat:
    """Beats at most every ``interval_s``: touches the heartbeat file and pings the watchdog."""

    def __init__(self, data_dir: Path, interval_s: float = 10.0) -> None:
        self.path = data_dir / "heartbeat"
        self.interval_s = interval_s
        self._last = float("-inf")

    def ready(self) -> None:
        self.beat(force=True)
        sd_notify("READY=1")

    def beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval_s:
            return
        self._last = now
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.touch()
        except OSError as exc:
            log.warning("cannot touch %s: %s", self.path, exc)
        sd_notify("WATCHDOG=1")

    def stopping(self) -> None:
        sd_notify("STOPPING=1")
