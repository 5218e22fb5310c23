"""The ingest pipeline: MQTT thread -> two queues -> workers -> the Store.

* paho's network thread only sorts messages: telemetry goes to a bounded queue (when full the
  message is dropped, acknowledged and counted: telemetry only, never alerts); alerts, status
  and evidence go to the control queue. That queue is bounded too, but a full control queue
  blocks the network thread instead of dropping (TCP back-pressure to the broker, which keeps
  QoS 1 messages), so nothing there is ever lost or grows memory without bound.
* The control worker decodes and stores each batch in one transaction, then acknowledges the
  QoS 1 messages: a kill -9 before the commit means the broker re-sends them, and the
  idempotent storage turns re-deliveries into no-ops. A database outage is retried (nothing is
  acked meanwhile); a message that fails alone goes to the dead letters as ``store_error``.
* The telemetry worker validates, skips repeats, folds values into the in-memory minute
  aggregates (and the InfluxDB sink's buffer), and acknowledges. The flusher writes aggregates,
  last-seen times and dead letters every ``flush_interval_s``, so a slow database never slows
  alert handling.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from gateway.db.base import utcnow
from gateway.ingest.alerts import store_alert
from gateway.ingest.deadletter import DeadLetterBuffer
from gateway.presence import apply_status, mark_seen
from gateway.telemetry.aggregate import MinuteAggregator, RecentSeqs, flush_minutes
from gateway.transport import (
    CONTROL_FILTERS,
    STATUS_FILTER,
    TELEMETRY_FILTERS,
    MqttTransport,
    Received,
)
from whistle.contract import (
    MAX_PAYLOAD_BYTES,
    AlertPayload,
    Channel,
    ContractError,
    EvidencePayload,
    Message,
    StatusPayload,
    TelemetryPayload,
    TopicAddress,
    check_clock,
    decode,
    parse_topic,
)

if TYPE_CHECKING:
    from gateway.service import GatewayService
    from gateway.telemetry.influx import InfluxSink

log = logging.getLogger(__name__)

CONTROL_QUEUE_SIZE = 10_000
CONTROL_BATCH = 200
TELEMETRY_BATCH = 500
TOPIC_CACHE = 20_000
TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError)


@dataclass(slots=True)
class _Item:
    received: Received
    message: Message | None
    error: ContractError | None


class IngestPipeline:
    def __init__(self, service: GatewayService) -> None:
        self.service = service
        settings = service.settings
        self.store = service.store
        self.metrics = service.metrics
        self.deadletters = DeadLetterBuffer()
        self.aggregator = MinuteAggregator()
        self.recent = RecentSeqs()
        self.control: queue.Queue[Received] = queue.Queue(CONTROL_QUEUE_SIZE)
        self.telemetry: queue.Queue[Received] = queue.Queue(settings.telemetry_queue_size)
        common: dict[str, Any] = {
            "broker_url": settings.broker_url,
            "protocol": settings.mqtt_protocol,
            "username": settings.mqtt_username,
            "password": settings.mqtt_password,
            "shared_group": settings.shared_group,
            "session_expiry_s": settings.session_expiry_s,
        }
        #: Alerts, status, evidence (and malformed topics), acknowledged after storing.
        self.transport = MqttTransport(
            client_id=settings.client_id,
            on_message=self._on_control_message,
            on_connection_change=lambda up: self.metrics.mqtt_connected.set(1 if up else 0),
            filters=CONTROL_FILTERS,
            plain_filters=(STATUS_FILTER,),
            **common,
        )
        #: Telemetry on a connection of its own, so its backlog never delays alerts.
        self.telemetry_transport = MqttTransport(
            client_id=f"{settings.client_id}-t"[:64],
            on_message=self._on_telemetry_message,
            filters=TELEMETRY_FILTERS,
            plain_filters=(),
            **common,
        )
        self.influx: InfluxSink | None = None
        if settings.influx_url:
            from gateway.telemetry.influx import InfluxSink

            self.influx = InfluxSink(
                settings.influx_url,
                settings.influx_token,
                settings.influx_org,
                settings.influx_bucket,
                max_points=settings.influx_buffer_points,
                metrics=self.metrics,
            )
        self._seen: dict[tuple[str, str], Any] = {}
        self._seen_lock = threading.Lock()
        self._topics: dict[str, TopicAddress] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._counters: dict[tuple[str, str], Any] = {}
        self._flush_lock = threading.Lock()
        #: Messages this instance stored, by channel (also logged at stop).
        self.stored: dict[str, int] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self.influx is not None:
            self.influx.start()
        for name, target in (
            ("ingest-control", self._control_loop),
            ("ingest-telemetry", self._telemetry_loop),
            ("ingest-flush", self._flush_loop),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.transport.start()
        self.telemetry_transport.start()
        threading.Thread(target=self._announce_ready, name="ingest-ready", daemon=True).start()

    def _announce_ready(self) -> None:
        while not self._stop.is_set():
            if self.wait_ready(1.0):
                log.info("ingest ready: subscribed (alerts and telemetry on separate links)")
                return

    def stop(self) -> None:
        """Disconnect, drain the queues, write what is held."""
        self.transport.stop()
        self.telemetry_transport.stop()
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.flush()
        if self.influx is not None:
            self.influx.stop()
        counts = " ".join(
            f"{c}={self.stored.get(c, 0)}" for c in ("alert", "status", "evidence", "telemetry")
        )
        log.info("ingest stopped: %s", counts)

    def wait_ready(self, timeout_s: float) -> bool:
        """Block until subscribed to the broker (for tests and benchmarks)."""
        deadline = time.monotonic() + timeout_s
        return self.transport.subscribed.wait(
            timeout_s
        ) and self.telemetry_transport.subscribed.wait(max(0.0, deadline - time.monotonic()))

    @property
    def connected(self) -> bool:
        return self.transport.connected and self.telemetry_transport.connected

    # -- MQTT thread ----------------------------------------------------------------------

    def _on_telemetry_message(self, received: Received) -> None:
        try:
            self.telemetry.put_nowait(received)
        except queue.Full:
            self._count("dropped", "queue_full")
            self.telemetry_transport.ack(received)

    def _on_control_message(self, received: Received) -> None:
        self.control.put(received)  # blocks when full: back-pressure, never a drop

    def _on_message(self, received: Received) -> None:
        """Route by channel (both connections' callbacks in one; for tests)."""
        parts = received.topic.split("/", 5)
        if len(parts) > 4 and parts[4] == Channel.TELEMETRY.value:
            self._on_telemetry_message(received)
        else:
            self._on_control_message(received)

    # -- helpers --------------------------------------------------------------------------

    def _count(self, outcome: str, reason: str, n: int = 1) -> None:
        if outcome == "stored":
            self.stored[reason] = self.stored.get(reason, 0) + n
        child = self._counters.get((outcome, reason))
        if child is None:
            counter: Counter = self.metrics.ingest_messages
            child = self._counters[(outcome, reason)] = counter.labels(outcome, reason)
        child.inc(n)

    def _reject(self, received: Received, error: ContractError) -> None:
        log.debug("rejected %s: %s (%s)", received.topic, error.reason, error)
        self._count("rejected", error.reason)
        self.deadletters.add(received.topic, error.reason, str(error), received.payload)

    def _mark_seen(self, site: str, device: str) -> None:
        now = utcnow()
        with self._seen_lock:
            self._seen[(site, device)] = now

    # -- control: alerts, status, evidence ------------------------------------------------

    def _control_loop(self) -> None:
        while True:
            try:
                first = self.control.get(timeout=0.2)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            batch = [first]
            while len(batch) < CONTROL_BATCH:
                try:
                    batch.append(self.control.get_nowait())
                except queue.Empty:
                    break
            self.metrics.queue_depth.labels("control").set(self.control.qsize())
            try:
                self._process_control(batch)
            except Exception:  # never let the worker die
                log.exception("control batch failed unexpectedly")

    def _decode(self, received: Received) -> _Item:
        try:
            return _Item(received, decode(received.topic, received.payload, utcnow()), None)
        except ContractError as exc:
            return _Item(received, None, exc)

    def _process_control(self, batch: list[Received]) -> None:
        items = [self._decode(r) for r in batch]
        for item in items:
            if item.error is not None:
                self._reject(item.received, item.error)
        good = [i for i in items if i.message is not None]
        outcomes: list[tuple[str, str]] = []
        if good:
            outcomes = self._store_batch(good)
        for item, (outcome, reason) in zip(good, outcomes, strict=True):
            self._count(outcome, reason)
            if outcome == "stored" and reason == Channel.ALERT.value:
                self.metrics.alert_store_seconds.observe(
                    time.monotonic() - item.received.received_monotonic
                )
        for item in items:
            self.transport.ack(item.received)

    def _store_batch(self, items: list[_Item]) -> list[tuple[str, str]]:
        backoff = 0.2
        while True:
            try:
                with self.store.session() as session:
                    return [self._handle(session, item, listeners=True) for item in items]
            except TRANSIENT_DB_ERRORS as exc:
                if self._stop.is_set() and self.control.empty():
                    log.error("database unavailable at shutdown: %s (not acked)", exc)
                    raise
                log.warning("database unavailable (%s); retrying in %.1f s", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            except Exception:
                if len(items) == 1:
                    return [self._store_single(items[0])]
                return [self._store_single(item) for item in items]

    def _store_single(self, item: _Item) -> tuple[str, str]:
        attempts: list[bool] = [True, True, False]  # listeners on, again (a race), off
        last: Exception | None = None
        for listeners in attempts:
            try:
                with self.store.session() as session:
                    return self._handle(session, item, listeners=listeners)
            except IntegrityError as exc:  # another instance stored it at the same moment
                last = exc
            except TRANSIENT_DB_ERRORS:
                raise
            except Exception as exc:
                last = exc
                log.exception("storing %s failed", item.received.topic)
        detail = f"{type(last).__name__}: {last}"
        self.deadletters.add(item.received.topic, "store_error", detail, item.received.payload)
        return ("rejected", "store_error")

    def _handle(self, session: Session, item: _Item, *, listeners: bool) -> tuple[str, str]:
        message = item.message
        assert message is not None
        address, payload = message.address, message.payload
        chosen = self.service.alert_listeners if listeners else []
        channel = address.channel.value
        if isinstance(payload, AlertPayload):
            outcome = store_alert(session, payload, chosen)
            self._mark_seen(address.site, address.device)
        elif isinstance(payload, StatusPayload):
            kind = self.service.device_kind(address.site, address.device)
            outcome = apply_status(
                session, address.site, address.device, payload, chosen, kind=kind
            )
        elif isinstance(payload, EvidencePayload):
            outcome = self.service.evidence.save(session, payload)
            self._mark_seen(address.site, address.device)
        else:  # our own commands echo back through whistle/v1/#
            return ("ignored", channel)
        return (outcome, channel)

    # -- telemetry ------------------------------------------------------------------------

    def _address(self, topic: str) -> TopicAddress:
        address = self._topics.get(topic)
        if address is None:
            address = parse_topic(topic)
            if len(self._topics) >= TOPIC_CACHE:
                self._topics.clear()
            self._topics[topic] = address
        return address

    def decode_telemetry(self, topic: str, raw: bytes) -> tuple[TopicAddress, TelemetryPayload]:
        """The contract's decode, with a fast path for well-formed telemetry."""
        address = self._address(topic)
        if len(raw) > MAX_PAYLOAD_BYTES:
            raise ContractError("too_large", f"{len(raw)} bytes, more than {MAX_PAYLOAD_BYTES}")
        try:
            payload = TelemetryPayload.model_validate_json(raw)
        except ValidationError:
            message = decode(topic, raw)  # raises with the contract's reason
            assert isinstance(message.payload, TelemetryPayload)
            payload = message.payload
        check_clock(payload, utcnow())
        return address, payload

    def _telemetry_loop(self) -> None:
        while True:
            try:
                batch = [self.telemetry.get(timeout=0.2)]
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            while len(batch) < TELEMETRY_BATCH:
                try:
                    batch.append(self.telemetry.get_nowait())
                except queue.Empty:
                    break
            stored = duplicate = 0
            heard: set[tuple[str, str]] = set()
            for received in batch:
                try:
                    key = self._telemetry_one(received)
                    if key is None:
                        duplicate += 1
                    else:
                        stored += 1
                        heard.add(key)
                except ContractError as exc:
                    self._reject(received, exc)
                except Exception as exc:  # never let the worker die
                    log.exception("telemetry handling failed for %s", received.topic)
                    self._reject(received, ContractError("invalid", f"{type(exc).__name__}: {exc}"))
                self.telemetry_transport.ack(received)
            if heard:
                now = utcnow()
                with self._seen_lock:
                    for key in heard:
                        self._seen[key] = now
            if stored:
                self._count("stored", "telemetry", stored)
            if duplicate:
                self._count("duplicate", "telemetry", duplicate)
            self.metrics.queue_depth.labels("telemetry").set(self.telemetry.qsize())

    def _telemetry_one(self, received: Received) -> tuple[str, str] | None:
        """Fold one message into the aggregates; its (site, device), or None for a repeat."""
        address, payload = self.decode_telemetry(received.topic, received.payload)
        key = (address.site, address.device)
        if self.recent.seen(key, (payload.seq, payload.ts)):
            return None
        stream = address.sub or ""
        self.aggregator.add(
            address.site, address.device, stream, payload.zone, payload.ts, payload.values
        )
        if self.influx is not None:
            self.influx.add_telemetry(
                address.site, address.device, stream, payload.zone, payload.ts, payload.values
            )
        return key

    # -- flusher --------------------------------------------------------------------------

    def _flush_loop(self) -> None:
        interval = self.service.settings.flush_interval_s
        while not self._stop.wait(interval):
            try:
                self.flush()
            except Exception:
                log.exception("flush failed")

    def flush(self) -> None:
        """Write minute aggregates, last-seen times and dead letters now."""
        with self._flush_lock:
            rows = self.aggregator.drain()
            with self._seen_lock:
                seen, self._seen = self._seen, {}
            try:
                with self.store.session() as session:
                    written = flush_minutes(session, rows)
                    mark_seen(session, seen, self.service.alert_listeners)
                    self.deadletters.flush(session)
            except Exception:
                self.aggregator.restore(rows)
                with self._seen_lock:
                    for key, when in seen.items():
                        self._seen.setdefault(key, when)
                raise
            if written:
                self.metrics.telemetry_flush_rows.inc(written)


def run_until(predicate: Callable[[], bool], timeout_s: float, step_s: float = 0.05) -> bool:
    """Poll ``predicate`` until true or ``timeout_s`` passes (a helper for tests/benches)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()
