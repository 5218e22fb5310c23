"""The HTTP endpoint gate counters push their vendor JSON to (``POST /counts``).

A small threaded HTTP server; each accepted body is handed to ``on_body(body, recv_s)``.
Replies: 204 accepted, 400 malformed (JSON or vendor fields; the reason in the body), 404 other
paths, 413 too large. It never raises into the server thread.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20


class CountsReceiver:
    def __init__(
        self, on_body: Callable[[Any], None], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.on_body = on_body
        self.rejected = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                log.debug("counts receiver: " + format, *args)

            def _reply(self, code: int, text: str = "") -> None:
                data = text.encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/counts":
                    self._reply(404, "only POST /counts")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    receiver.rejected += 1
                    self._reply(413, "body too large")
                    return
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8"))
                    receiver.on_body(body)
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    receiver.rejected += 1
                    log.warning(
                        "counts receiver: body from %s is not JSON: %s", self.client_address[0], exc
                    )
                    self._reply(400, f"not JSON: {exc}")
                    return
                except ValueError as exc:
                    receiver.rejected += 1
                    log.warning(
                        "counts receiver: bad report from %s: %s", self.client_address[0], exc
                    )
                    self._reply(400, str(exc))
                    return
                self._reply(204)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/counts"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="counts-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
