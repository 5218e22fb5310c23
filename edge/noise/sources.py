"""PCM sources of a noise worker: the HTTP L16 stream, a raw TCP L16 stream, a WAV file.

Each ``open()`` returns a :class:`Stream`: the device time of its first sample, the rate, and
an iterator of int16 blocks. Device time = first-sample time + samples / rate.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt

from firmware_sim.clock import SimClock


class SourceError(Exception):
    """The device cannot be read (refused, bad header, stream ended)."""


class EndOfFile(SourceError):
    """A ``file`` source was played to its end (nothing more will come)."""


@dataclass
class Stream:
    start: datetime
    fs_hz: int
    blocks: Iterator[npt.NDArray[np.int16]]
    close: object = None


_L16 = re.compile(r"audio/l16\s*;(.*)", re.IGNORECASE)


def parse_l16_content_type(value: str) -> tuple[int, int]:
    """``audio/L16;rate=48000;channels=1`` -> (48000, 1) (RFC 2586)."""
    m = _L16.match(value.strip())
    if not m:
        raise SourceError(f"not an audio/L16 stream: Content-Type {value!r}")
    params = dict(p.strip().lower().split("=", 1) for p in m.group(1).split(";") if "=" in p)
    try:
        return int(params["rate"]), int(params.get("channels", "1"))
    except (KeyError, ValueError) as exc:
        raise SourceError(f"bad audio/L16 parameters in {value!r}") from exc


def open_http(url: str, stop: threading.Event, timeout_s: float = 15.0) -> Stream:
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port or 80, timeout=timeout_s)
    try:
        conn.request("GET", u.path or "/", headers={"Accept": "audio/L16"})
        resp = conn.getresponse()
    except OSError as exc:
        conn.close()
        raise SourceError(f"{url}: cannot connect: {exc}") from exc
    if resp.status != 200:
        conn.close()
        raise SourceError(f"{url}: HTTP {resp.status} {resp.reason}")
    fs, channels = parse_l16_content_type(resp.getheader("Content-Type", ""))
    start_hdr = resp.getheader("X-Device-Start")
    try:
        start = datetime.fromisoformat(start_hdr) if start_hdr else datetime.now(UTC)
    except ValueError as exc:
        conn.close()
        raise SourceError(f"{url}: bad X-Device-Start header {start_hdr!r}") from exc
    frame = 2 * channels

    def blocks() -> Iterator[npt.NDArray[np.int16]]:
        want = (fs // 10) * frame
        carry = b""
        try:
            while not stop.is_set():
                data = resp.read(want)
                if not data:
                    raise SourceError(f"{url}: the stream ended")
                data = carry + data
                cut = len(data) - len(data) % frame
                carry = data[cut:]
                pcm = np.frombuffer(data[:cut], dtype=">i2").astype(np.int16)
                yield pcm[::channels] if channels > 1 else pcm
        except (OSError, http.client.HTTPException) as exc:
            raise SourceError(f"{url}: read failed: {exc}") from exc
        finally:
            conn.close()

    return Stream(start, fs, blocks(), conn.close)


def open_raw_tcp(url: str, fs_hz: int, stop: threading.Event) -> Stream:
    u = urlparse(url)
    try:
        sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 0), timeout=15)
    except OSError as exc:
        raise SourceError(f"{url}: cannot connect: {exc}") from exc
    start = datetime.now(UTC)

    def blocks() -> Iterator[npt.NDArray[np.int16]]:
        carry = b""
        try:
            while not stop.is_set():
                data = sock.recv(fs_hz // 5)
                if not data:
                    raise SourceError(f"{url}: the stream ended")
                data = carry + data
                cut = len(data) - len(data) % 2
                carry = data[cut:]
                yield np.frombuffer(data[:cut], dtype=">i2").astype(np.int16)
        except OSError as exc:
            raise SourceError(f"{url}: read failed: {exc}") from exc
        finally:
            sock.close()

    return Stream(start, fs_hz, blocks(), sock.close)


def open_wav(path: str, clock: SimClock, stop: threading.Event) -> Stream:
    from edge.noise.wavio import WavError, read_wav

    try:
        fs, data = read_wav(path)
    except WavError as exc:
        raise SourceError(str(exc)) from exc

    def blocks() -> Iterator[npt.NDArray[np.int16]]:
        step = fs // 10
        for i in range(0, data.shape[0], step):
            clock.sleep_until((i + step) / fs)
            if stop.is_set():
                return
            yield np.asarray(data[i : i + step])
        raise EndOfFile(f"{path}: end of file")

    return Stream(clock.start, fs, blocks(), None)
