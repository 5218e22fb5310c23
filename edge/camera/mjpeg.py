"""HTTP MJPEG (multipart/x-mixed-replace) reader written on the standard library.

Reads each part's ``Content-Length`` when given (else up to the next boundary) and its
``X-Timestamp`` header (ISO 8601 device time). Protocol errors raise ``ValueError`` naming what
was wrong; the source then reconnects.
"""

from __future__ import annotations

import base64
import http.client
import threading
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

from edge.camera.source import SourceSettings, ThreadedSource

MAX_PART_BYTES = 8 * 1024 * 1024
MAX_JUNK_BYTES = 1024 * 1024


def parse_timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        ts = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


class MjpegSource(ThreadedSource):
    def __init__(
        self,
        name: str,
        url: str,
        *,
        width: int = 640,
        height: int = 360,
        fps: float = 5.0,
        settings: SourceSettings | None = None,
    ) -> None:
        super().__init__(name, width=width, height=height, fps=fps, settings=settings)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"camera {name}: not an http(s) MJPEG url: {url!r}")
        self.url = url

    def _session(self, stop: threading.Event) -> Iterator[tuple[bytes, datetime | None]]:
        parts = urlsplit(self.url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        timeout = max(min(self.settings.stall_after_s, 10.0), 0.5)
        conn = cls(parts.hostname or "", parts.port, timeout=timeout)
        headers = {"Accept": "multipart/x-mixed-replace, image/jpeg"}
        if parts.username:
            cred = f"{parts.username}:{parts.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(cred).decode()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                raise ValueError(f"HTTP {resp.status} {resp.reason} from {self.url}")
            ctype = resp.getheader("Content-Type", "")
            boundary = _boundary(ctype)
            if boundary is None:
                raise ValueError(f"not a multipart MJPEG stream (Content-Type {ctype!r})")
            yield from _parts(resp, boundary, stop)
        finally:
            conn.close()


def _boundary(ctype: str) -> bytes | None:
    if "multipart" not in ctype.lower():
        return None
    for param in ctype.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value:
            b = value.strip().strip('"')
            return (b if b.startswith("--") else "--" + b).encode("latin-1")
    return None


def _parts(
    resp: http.client.HTTPResponse, boundary: bytes, stop: threading.Event
) -> Iterator[tuple[bytes, datetime | None]]:
    fp = resp.fp
    pending: bytes | None = None
    while not stop.is_set():
        junk = 0
        while True:  # find the boundary line
            line = pending if pending is not None else fp.readline(65536)
            pending = None
            if not line:
                raise ConnectionError("stream closed by the camera")
            if line.strip().startswith(boundary):
                break
            junk += len(line)
            if junk > MAX_JUNK_BYTES:
                raise ValueError("no multipart boundary in 1 MB of data")
        headers: dict[str, str] = {}
        while True:
            line = fp.readline(65536)
            if not line:
                raise ConnectionError("stream closed inside part headers")
            if not line.strip():
                break
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        length = headers.get("content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError as exc:
                raise ValueError(f"bad Content-Length {length!r}") from exc
            if not 0 <= n <= MAX_PART_BYTES:
                raise ValueError(f"part of {n} bytes is out of range")
            data = fp.read(n)
            if len(data) < n:
                raise ConnectionError("stream closed inside a part")
        else:
            chunks: list[bytes] = []
            size = 0
            while True:
                line = fp.readline(65536)
                if not line:
                    raise ConnectionError("stream closed inside a part")
                if line.strip().startswith(boundary):
                    pending = line
                    break
                chunks.append(line)
                size += len(line)
                if size > MAX_PART_BYTES:
                    raise ValueError("part without Content-Length exceeds 8 MB")
            data = b"".join(chunks).rstrip(b"\r\n")
        yield data, parse_timestamp(headers.get("x-timestamp"))
