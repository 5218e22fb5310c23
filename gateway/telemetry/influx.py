"""InfluxDB sink for raw telemetry points, with the gateway's own bounded retry buffer.

Schema (low cardinality; see docs/influxdb.md): measurement = telemetry stream (``noise``,
``counts``, ``occupancy``, ...); tags ``site``, ``device``, ``zone`` (omitted when none) and
``stream``; one field per value of the message; timestamp = the message's ``ts`` (ms). Never
an id with unbounded values (alert ids, seqs) as a tag.

influxdb-client's batching writer drops a batch once its retries run out and keeps its buffer
in memory only, so this sink writes with the SYNCHRONOUS API from its own thread and keeps
unwritten points in a bounded deque: while the server is down batches are retried with
exponential back-off; past ``max_points`` the oldest points are dropped and counted.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gateway.metrics import GatewayMetrics

log = logging.getLogger(__name__)

_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_MEASUREMENT_ESCAPES = str.maketrans({",": r"\,", " ": r"\ "})


def line(
    measurement: str,
    tags: Mapping[str, str | None],
    fields: Mapping[str, float],
    ts: datetime,
) -> str:
    """One point in InfluxDB line protocol, millisecond precision."""
    tag_text = "".join(
        f",{k.translate(_TAG_ESCAPES)}={v.translate(_TAG_ESCAPES)}"
        for k, v in sorted(tags.items())
        if v
    )
    field_text = ",".join(f"{k.translate(_TAG_ESCAPES)}={float(v)!r}" for k, v in fields.items())
    ms = int(ts.timestamp() * 1000)
    return f"{measurement.translate(_MEASUREMENT_ESCAPES)}{tag_text} {field_text} {ms}"


class InfluxSink:
    """Buffer points and write them in batches; survive the server being away."""

    def __init__(
        self,
        url: str,
        token: str,
        org: str,
        bucket: str,
        *,
        max_points: int = 200_000,
        batch_size: int = 5000,
        flush_interval_s: float = 1.0,
        max_backoff_s: float = 30.0,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.url, self.token, self.org, self.bucket = url, token, org, bucket
        self.max_points = max_points
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.max_backoff_s = max_backoff_s
        self.metrics = metrics
        self._buffer: deque[str] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.dropped = 0
        self.failures = 0

    def add(self, point: str) -> None:
        with self._lock:
            self._buffer.append(point)
            if len(self._buffer) > self.max_points:
                self._buffer.popleft()
                self.dropped += 1
                if self.metrics is not None:
                    self.metrics.influx_points.labels("dropped").inc()
            if len(self._buffer) >= self.batch_size:
                self._wake.set()

    def add_telemetry(
        self,
        site: str,
        device: str,
        stream: str,
        zone: str | None,
        ts: datetime,
        values: Mapping[str, float],
    ) -> None:
        self.add(line(stream, {"site": site, "device": device, "zone": zone}, values, ts))

    def __len__(self) -> int:
        return len(self._buffer)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="influx-sink", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop, trying to write what is buffered for up to ``timeout_s``."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s + 1)

    def _take(self) -> list[str]:
        with self._lock:
            n = min(self.batch_size, len(self._buffer))
            return [self._buffer.popleft() for _ in range(n)]

    def _put_back(self, batch: list[str]) -> None:
        with self._lock:
            self._buffer.extendleft(reversed(batch))
            while len(self._buffer) > self.max_points:
                self._buffer.popleft()
                self.dropped += 1
                if self.metrics is not None:
                    self.metrics.influx_points.labels("dropped").inc()

    def _run(self) -> None:
        from influxdb_client import InfluxDBClient, WritePrecision
        from influxdb_client.client.write_api import SYNCHRONOUS

        client = InfluxDBClient(
            url=self.url, token=self.token, org=self.org, timeout=5000, retries=False
        )
        writer: Any = client.write_api(write_options=SYNCHRONOUS)
        backoff = 0.0
        try:
            while True:
                if backoff:
                    if self._stop.wait(backoff):
                        break
                elif not self._stop.is_set():
                    self._wake.wait(self.flush_interval_s)
                    self._wake.clear()
                stopping = self._stop.is_set()
                while True:
                    batch = self._take()
                    if not batch:
                        break
                    try:
                        writer.write(
                            bucket=self.bucket,
                            org=self.org,
                            record=batch,
                            write_precision=WritePrecision.MS,
                        )
                    except Exception as exc:
                        self._put_back(batch)
                        self.failures += 1
                        backoff = min(max(backoff * 2, 0.5), self.max_backoff_s)
                        log.warning(
                            "InfluxDB write of %d points failed (%s); %d buffered, retry in %.1f s",
                            len(batch),
                            exc,
                            len(self._buffer),
                            backoff,
                        )
                        break
                    backoff = 0.0
                    self.written += len(batch)
                    if self.metrics is not None:
                        self.metrics.influx_points.labels("written").inc(len(batch))
                        self.metrics.influx_buffer.set(len(self._buffer))
                if stopping:
                    break
        finally:
            client.close()
