"""Prometheus metrics of the gateway. The API serves ``/metrics`` from :data:`REGISTRY`
(or from ``service.metrics.registry``, the same object unless a test passes its own).

``whistle_ingest_messages_total{outcome, reason}``: outcome ``stored`` | ``duplicate`` |
``rejected`` | ``dropped`` (telemetry shed under overload); reason is the channel for stored and
duplicate messages, the :class:`whistle.contract.ContractError` reason (or ``store_error``,
``unexpected_channel``) for rejected ones, ``queue_full`` for dropped ones.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

REGISTRY = CollectorRegistry(auto_describe=True)


class GatewayMetrics:
    """All gateway metrics on one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.ingest_messages = Counter(
            "whistle_ingest_messages",
            "MQTT messages handled by the gateway, by outcome and reason",
            ["outcome", "reason"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "whistle_ingest_queue_depth",
            "Messages waiting in an ingest queue",
            ["queue"],
            registry=r,
        )
        self.alert_store_seconds = Histogram(
            "whistle_alert_store_seconds",
            "Time from MQTT receipt to the committed alert row, seconds",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.telemetry_flush_rows = Counter(
            "whistle_telemetry_minute_rows",
            "Minute aggregate rows written (upserts)",
            registry=r,
        )
        self.influx_points = Counter(
            "whistle_influx_points",
            "Points handled by the InfluxDB sink, by outcome",
            ["outcome"],
            registry=r,
        )
        self.influx_buffer = Gauge(
            "whistle_influx_buffer_points", "Points waiting for InfluxDB", registry=r
        )
        self.devices_stale = Counter(
            "whistle_devices_stale", "Devices marked stale after silence", registry=r
        )
        self.mqtt_connected = Gauge(
            "whistle_mqtt_connected", "1 while connected to the broker", registry=r
        )

    def value(self, outcome: str, reason: str) -> float:
        """The current count of one ``whistle_ingest_messages_total`` series (for tests)."""
        got = self.registry.get_sample_value(
            "whistle_ingest_messages_total", {"outcome": outcome, "reason": reason}
        )
        return got or 0.0

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


_default: GatewayMetrics | None = None


def default_metrics() -> GatewayMetrics:
    """The process-wide metrics on :data:`REGISTRY` (created on first use)."""
    global _default
    if _default is None:
        _default = GatewayMetrics(REGISTRY)
    return _default
