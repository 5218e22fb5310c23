"""Serve any :class:`SceneRenderer` as an IP camera: MJPEG over HTTP, with fault injection.

Endpoints (HTTP/1.0 style, one thread per client):

- ``GET /video`` (also ``/`` and ``/mjpeg``): ``multipart/x-mixed-replace; boundary=whistleframe``;
  each part has ``Content-Type: image/jpeg``, ``Content-Length`` and ``X-Timestamp`` (ISO 8601
  device time of capture, with offset) headers.
- ``GET /snapshot.jpg``: the latest frame as one JPEG, with ``X-Timestamp``.
- ``GET /fault?mode=stall|freeze|garbage|disconnect|none``: switch a fault on (or all off).

Faults: ``stall`` keeps connections open but sends nothing; ``freeze`` repeats the same JPEG
with new timestamps; ``garbage`` sends undecodable bytes in well-formed parts; ``disconnect``
drops every connection and refuses new ones while on.

Frames are rendered and encoded only while someone is watching, by the process's shared
:class:`~firmware_sim.camera.producer.RenderPool` (a couple of threads for every simulated camera
of the process, earliest frame first); simulated time comes from a
:class:`~firmware_sim.clock.SimClock`. Frames lie on a grid of ``fps`` frames per simulated
second; when ``speed * fps`` exceeds ``max_real_fps`` only every ``stride``-th grid frame is
served, ``stride = ceil(speed * fps / max_real_fps)``, so at most ``max_real_fps`` frames go out
per real second and they stay evenly spaced in simulated time (speed 10, 5 fps, 5 real fps:
one frame every 2.0 simulated seconds).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import cv2
import numpy as np

from firmware_sim.camera.producer import RenderPool, shared_pool
from firmware_sim.camera.renderer import SceneRenderer
from firmware_sim.clock import SimClock

log = logging.getLogger(__name__)

BOUNDARY = "whistleframe"
FAULTS = ("stall", "freeze", "garbage", "disconnect")


class MjpegServer:
    def __init__(
        self,
        renderer: SceneRenderer,
        clock: SimClock,
        *,
        fps: float = 5.0,
        host: str = "127.0.0.1",
        port: int = 0,
        quality: int = 80,
        max_real_fps: float | None = None,
        pool: RenderPool | None = None,
    ) -> None:
        if fps <= 0:
            raise ValueError("fps must be positive")
        if max_real_fps is not None and max_real_fps <= 0:
            raise ValueError("max_real_fps must be positive")
        self.renderer = renderer
        self.clock = clock
        self.fps = fps
        self._host = host
        self.quality = quality
        self.max_real_fps = max_real_fps if max_real_fps is not None else fps
        #: Grid frames per served frame (1 when the real rate allows every frame).
        self.stride = max(1, math.ceil(fps * clock.speed / self.max_real_fps - 1e-9))
        self._pool = pool
        self._tick_lock = threading.Lock()
        self._last_index = -1
        self._fault: str | None = None
        self._cond = threading.Condition()
        self._latest: tuple[int, bytes, datetime] | None = None  # (seq, jpeg, device time)
        self._seq = 0
        self._watchers = 0
        self._running = False
        self._rng = np.random.default_rng(0)
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}/video"

    @property
    def fault(self) -> str | None:
        return self._fault

    def set_fault(self, mode: str | None) -> None:
        if mode not in (None, *FAULTS):
            raise ValueError(f"unknown fault {mode!r} (known: {', '.join(FAULTS)})")
        log.info("camera sim on port %d: fault %s", self.port, mode or "off")
        with self._cond:
            self._fault = mode
            self._cond.notify_all()

    def schedule_faults(self, plan: list[tuple[str, float, float]]) -> None:
        """Switch faults ``(mode, start_s, duration_s)`` on and off at real times from now."""

        def run() -> None:
            t0 = time.monotonic()
            events = sorted(
                [(s, m) for m, s, _ in plan] + [(s + d, None) for _, s, d in plan],
                key=lambda e: e[0],
            )
            for at, mode in events:
                while self._running and time.monotonic() - t0 < at:
                    time.sleep(0.05)
                if not self._running:
                    return
                self.set_fault(mode)

        self._spawn(run, "fault-plan")

    def start(self) -> MjpegServer:
        self._running = True
        self._spawn(self._httpd.serve_forever, "http")
        if self._pool is None:
            self._pool = shared_pool()
        self._pool.add(self._tick)
        return self

    def stop(self) -> None:
        self._running = False
        if self._pool is not None:
            self._pool.remove(self._tick)
        with self._cond:
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        for t in self._threads:
            t.join(timeout=2.0)

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: Any, name: str) -> None:
        t = threading.Thread(target=target, name=f"camsim-{name}-{self.port}", daemon=True)
        t.start()
        self._threads.append(t)

    # -- frames ---------------------------------------------------------------------------

    def _render(self, index: int) -> tuple[bytes, datetime]:
        t_s = index / self.fps
        img = self.renderer.frame_at(t_s)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        return buf.tobytes(), self.clock.start + timedelta(seconds=t_s)

    def _tick(self) -> float | None:
        """One pool turn: publish the newest due frame; returns when to run next."""
        if not self._running:
            return None
        if self._watchers == 0:
            return time.monotonic() + 0.5  # a new client pokes the pool
        with self._tick_lock:
            step = self.stride
            index = math.floor(self.clock.elapsed_s() * self.fps + 1e-9) // step * step
            if index > self._last_index:
                try:
                    self._publish(index)
                except Exception:  # a renderer bug must not kill the camera
                    log.exception("camera sim: rendering frame %d failed", index)
                self._last_index = index
            next_sim = (self._last_index + step) / self.fps
            wait = (next_sim - self.clock.elapsed_s()) / self.clock.speed
        return time.monotonic() + max(wait, 0.0)

    def _publish(self, index: int) -> None:
        fault = self._fault
        if fault == "freeze" and self._latest is not None:
            data = self._latest[1]
            ts = self.clock.start + timedelta(seconds=index / self.fps)
        else:
            data, ts = self._render(index)
            if fault == "garbage":
                data = self._rng.integers(0, 256, len(data), dtype=np.uint8).tobytes()
        with self._cond:
            self._seq += 1
            self._latest = (self._seq, data, ts)
            self._cond.notify_all()

    def snapshot(self) -> tuple[bytes, datetime]:
        latest = self._latest
        if latest is not None and self._watchers > 0:
            return latest[1], latest[2]
        index = math.floor(self.clock.elapsed_s() * self.fps + 1e-9)
        return self._render(index)

    def _ready(self, seen: int) -> bool:
        return (
            not self._running
            or self._fault == "disconnect"
            or (self._latest is not None and self._latest[0] > seen)
        )

    def stream(self, write: Any) -> None:
        """Write parts to ``write`` until the client goes, a disconnect fault or stop."""
        with self._cond:
            self._watchers += 1
        if self._pool is not None:
            self._pool.poke(self._tick)
        try:
            seen = 0
            while self._running:
                with self._cond:
                    self._cond.wait_for(functools.partial(self._ready, seen), timeout=1.0)
                    latest, fault = self._latest, self._fault
                if fault == "disconnect" or not self._running:
                    return
                if latest is None or latest[0] <= seen:
                    continue
                seen = latest[0]
                if fault == "stall":
                    continue
                _, data, ts = latest
                head = (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(data)}\r\nX-Timestamp: {ts.isoformat()}\r\n\r\n"
                )
                write(head.encode("ascii") + data + b"\r\n")
        finally:
            with self._cond:
                self._watchers -= 1


def _handler_for(server: MjpegServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("camera sim %s: " + format, self.address_string(), *args)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/fault":
                mode = parse_qs(url.query).get("mode", ["none"])[0]
                try:
                    server.set_fault(None if mode == "none" else mode)
                except ValueError as exc:
                    self.send_error(400, str(exc))
                    return
                self._send(b"ok\n", "text/plain")
                return
            if server.fault == "disconnect":
                self.close_connection = True
                return  # drop without a response, like a camera going off the network
            if url.path in ("/", "/video", "/mjpeg"):
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError, TimeoutError):
                    server.stream(self._write)
                self.close_connection = True
            elif url.path == "/snapshot.jpg":
                data, ts = server.snapshot()
                self._send(data, "image/jpeg", {"X-Timestamp": ts.isoformat()})
            else:
                self.send_error(404, "not found: try /video or /snapshot.jpg")

        def _write(self, data: bytes) -> None:
            self.wfile.write(data)
            self.wfile.flush()

        def _send(self, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

    return Handler
