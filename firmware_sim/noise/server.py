"""The simulated networked noise sensor: HTTP streaming of raw PCM, like an IP audio sensor.

Interface (documented in docs/noise.md):

``GET /audio.l16`` -> ``200 OK``, ``Transfer-Encoding: chunked``,
``Content-Type: audio/L16;rate=48000;channels=1`` (RFC 2586: 16-bit signed, big-endian),
``X-Device-Start: <ISO 8601 time of the first sample of this response>``,
``X-Sensitivity-Dbfs: -26.0`` (informational; the edge config is authoritative).
The body is the live stream, 100 ms per chunk. The device clock counts samples: sample k of the
response was recorded at ``X-Device-Start + k / rate``. ``GET /status`` -> JSON.

The simulator plays its scenario on a :class:`~firmware_sim.clock.SimClock`: a chunk is sent
once the simulated clock has passed its end, so speed N streams N seconds of audio per second
(or as fast as the reader takes it, if that is slower: the device time stays sample-exact).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from firmware_sim.clock import SimClock
from firmware_sim.noise.scenario import Renderer, Scenario

log = logging.getLogger(__name__)

CONTENT_TYPE = "audio/L16;rate={rate};channels=1"


class NoiseSensorServer:
    """Serves one scenario on ``host:port`` (port 0: an ephemeral port) from a thread."""

    def __init__(
        self,
        scenario: Scenario,
        clock: SimClock,
        *,
        fs_hz: int = 48000,
        sensitivity_dbfs: float = -26.0,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.scenario = scenario
        self.clock = clock
        self.fs_hz = fs_hz
        self.sensitivity_dbfs = sensitivity_dbfs
        self.seed = seed
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._served = False
        handler = _make_handler(self)
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/audio.l16"

    def start(self) -> NoiseSensorServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            name="noise-sim",
            kwargs={"poll_interval": 0.1},
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def stream(self, write: Any, n0: int) -> None:
        """Write the live stream from sample ``n0`` with ``write`` (raises if the client leaves)."""
        fs = self.fs_hz
        renderer = Renderer(self.scenario, fs, self.sensitivity_dbfs, self.seed)
        chunk = fs // 10
        while not self._stop.is_set():
            pcm = renderer.render(n0, fs).astype(">i2").tobytes()
            for j in range(10):
                self.clock.sleep_until((n0 + (j + 1) * chunk) / fs)
                if self._stop.is_set():
                    return
                write(pcm[j * chunk * 2 : (j + 1) * chunk * 2])
            n0 += fs

    def first_sample(self) -> int:
        """Where a new connection starts: the first client gets the stream from boot (the
        device buffers it); later ones join live, on a whole second."""
        with self._lock:
            if not self._served:
                self._served = True
                return 0
        return int(self.clock.elapsed_s() * self.fs_hz) // self.fs_hz * self.fs_hz

    def device_time(self, sample: int) -> datetime:
        return self.clock.start + timedelta(seconds=sample / self.fs_hz)


def _make_handler(server: NoiseSensorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("noise sim: " + format, *args)

        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/status":
                body = json.dumps(
                    {
                        "scenario": server.scenario.name,
                        "rate": server.fs_hz,
                        "now": server.clock.now().isoformat(),
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if self.path.split("?")[0] != "/audio.l16":
                self.send_error(404, "try /audio.l16 or /status")
                return
            fs = server.fs_hz
            start_sample = server.first_sample()
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE.format(rate=fs))
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("X-Device-Start", server.device_time(start_sample).isoformat())
            self.send_header("X-Sensitivity-Dbfs", f"{server.sensitivity_dbfs:.2f}")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()

            def write(data: bytes) -> None:
                self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")

            try:
                server.stream(write, start_sample)
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError, OSError):
                log.debug("noise sim: client went away")

    return Handler


def pcm_from_l16(data: bytes) -> np.ndarray:
    """RFC 2586 L16 (big-endian int16) to native int16."""
    return np.frombuffer(data, dtype=">i2").astype(np.int16)
