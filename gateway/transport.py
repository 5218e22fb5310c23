"""MQTT transport of the gateway: the only gateway module that imports paho.

MQTT 5 against Mosquitto: a persistent session (clean start off, a session expiry) so QoS 1
messages published while the gateway is away wait on the broker; QoS 1 messages are
acknowledged by :meth:`MqttTransport.ack` only after they are stored (paho ``manual_ack``),
so a kill -9 loses nothing (the broker re-sends what was not acknowledged).

Protocol ``auto`` tries MQTT 5 and falls back to 3.1.1 with ``clean_session=False`` when the
broker refuses it (the embedded amqtt demo broker). Shared subscriptions need MQTT 5; on 3.1.1
a plain subscription is used (one instance only).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from whistle.contract import SUBSCRIPTION, TOPIC_ROOT

log = logging.getLogger(__name__)

#: Status topics, subscribed plainly even with a shared subscription: retained messages are
#: not delivered on shared subscriptions, and every instance wants presence at start.
STATUS_FILTER = f"{TOPIC_ROOT}/+/+/status"
#: The gateway uses two connections so that a telemetry backlog on one socket never delays
#: alerts on the other. The telemetry connection takes exactly the telemetry topics
#: (``{site}/{device}/telemetry/{stream}``); the control connection takes everything else it
#: can name, valid or not, so malformed topics are rejected and counted once: every topic of
#: one to three levels under the root (alert, status, command, a bare ``telemetry``), four
#: levels under the known non-telemetry channels (evidence and malformed ones), and anything of
#: five levels or more. MQTT filters cannot exclude, so a four-level topic under an *unknown*
#: channel (``{site}/{device}/gossip/x``) is not subscribed; the broker's ACL refuses agents
#: such topics in production (deploy/mosquitto/acl).
CONTROL_FILTERS = (
    f"{TOPIC_ROOT}/+",
    f"{TOPIC_ROOT}/+/+",
    f"{TOPIC_ROOT}/+/+/+",
    f"{TOPIC_ROOT}/+/+/evidence/+",
    f"{TOPIC_ROOT}/+/+/alert/+",
    f"{TOPIC_ROOT}/+/+/status/+",
    f"{TOPIC_ROOT}/+/+/command/+",
    f"{TOPIC_ROOT}/+/+/+/+/+/#",
)
TELEMETRY_FILTERS = (f"{TOPIC_ROOT}/+/+/telemetry/+",)
#: How many unacknowledged QoS 1 messages the broker may have in flight to us (MQTT 5
#: Receive Maximum; Mosquitto also caps it with ``max_inflight_messages``).
RECEIVE_MAXIMUM = 1000
CONNECT_TIMEOUT_S = 10.0
#: How long protocol "auto" waits for a CONNACK to its MQTT 5 CONNECT. amqtt (3.1.1 only)
#: neither answers nor closes for about 10 s when the CONNECT carries MQTT 5 properties.
AUTO_PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class Received:
    """One received message; ``generation`` identifies the connection it came on."""

    topic: str
    payload: bytes
    qos: int
    mid: int
    generation: int
    received_monotonic: float


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"broker URL {url!r} must be mqtt://host:port or mqtts://host:port")
        tls = parts.scheme == "mqtts"
        return cls(parts.hostname, parts.port or (8883 if tls else 1883), tls)


class MqttTransport:
    """Connects, subscribes, hands each message to ``on_message``, acks on request."""

    def __init__(
        self,
        *,
        broker_url: str,
        client_id: str,
        protocol: str = "auto",
        username: str | None = None,
        password: str | None = None,
        shared_group: str | None = None,
        session_expiry_s: int = 7 * 24 * 3600,
        on_message: Callable[[Received], None],
        on_connection_change: Callable[[bool], None] | None = None,
        filters: Sequence[str] = (SUBSCRIPTION,),
        plain_filters: Sequence[str] = (STATUS_FILTER,),
    ) -> None:
        """``filters`` are subscribed shared when ``shared_group`` is set (MQTT 5);
        ``plain_filters`` are then subscribed plainly as well (retained status)."""
        if protocol not in ("auto", "5", "3.1.1"):
            raise ValueError(f"mqtt protocol {protocol!r} is not auto, 5 or 3.1.1")
        self.address = BrokerAddress.parse(broker_url)
        self.client_id = client_id
        self.protocol = protocol
        self.username = username
        self.password = password
        self.shared_group = shared_group
        self.filters = tuple(filters)
        self.plain_filters = tuple(plain_filters)
        self._own_filters = (*self.filters, *self.plain_filters)
        self.session_expiry_s = session_expiry_s
        self._on_message_cb = on_message
        self._on_connection_change = on_connection_change
        self._client: mqtt.Client | None = None
        self._stop = threading.Event()
        self._connector: threading.Thread | None = None
        self._generation = 0
        self._lock = threading.Lock()
        self.connected = False
        self.subscribed = threading.Event()
        #: The protocol in use once connected: "5" or "3.1.1".
        self.negotiated: str | None = None
        #: Messages the broker delivered on topics none of our filters match (the embedded
        #: amqtt broker sends retained messages to every subscriber): dropped, counted here.
        self.unsubscribed_dropped = 0

    # -- public ---------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (retrying until the broker answers)."""
        self._connector = threading.Thread(
            target=self._connect_loop, name="mqtt-connect", daemon=True
        )
        self._connector.start()

    def stop(self) -> None:
        self._stop.set()
        client = self._client
        if client is not None:
            try:
                client.disconnect()
            finally:
                client.loop_stop()
        if self._connector is not None:
            self._connector.join(timeout=5)

    def ack(self, message: Received) -> None:
        """Acknowledge a QoS 1 message once it is stored (no-op for QoS 0 or an old link)."""
        if message.qos == 0:
            return
        client = self._client
        if client is None or message.generation != self._generation:
            return  # that connection is gone; the broker re-sends the message
        client.ack(message.mid, message.qos)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        client = self._client
        if client is None or not self.connected:
            raise ConnectionError("not connected to the MQTT broker")
        info = client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise ConnectionError(f"publish to {topic!r} failed: {mqtt.error_string(info.rc)}")

    # -- connection -----------------------------------------------------------------------

    def _make_client(self, protocol: str) -> mqtt.Client:
        kwargs: dict[str, Any] = {}
        if protocol == "5":
            kwargs["protocol"] = mqtt.MQTTv5
        else:
            kwargs["protocol"] = mqtt.MQTTv311
            kwargs["clean_session"] = False
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=self.client_id, manual_ack=True, **kwargs
        )
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.address.tls:
            client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.max_queued_messages_set(0)
        client.on_message = self._handle_message
        return client

    def _try_connect(self, protocol: str) -> str:
        """Connect once with ``protocol``: "ok", "refused_protocol", "refused" or "no_answer"."""
        client = self._make_client(protocol)
        outcome: dict[str, str] = {}
        answered = threading.Event()

        def on_connect(c: mqtt.Client, _u: Any, flags: Any, rc: Any, _p: Any) -> None:
            if not answered.is_set():
                if rc.is_failure:
                    text = str(rc).lower()
                    outcome["result"] = "refused_protocol" if "protocol" in text else "refused"
                    outcome["detail"] = str(rc)
                else:
                    outcome["result"] = "ok"
                answered.set()
            if not rc.is_failure:
                self._on_connected(c, protocol, flags)

        def on_disconnect(_c: mqtt.Client, _u: Any, _f: Any, rc: Any, _p: Any) -> None:
            if not answered.is_set():
                outcome["result"] = "no_answer"
                outcome["detail"] = str(rc)
                answered.set()
            self._set_connected(False)

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        properties = None
        if protocol == "5":
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.session_expiry_s
            properties.ReceiveMaximum = RECEIVE_MAXIMUM
        try:
            if protocol == "5":
                client.connect(
                    self.address.host,
                    self.address.port,
                    keepalive=30,
                    clean_start=False,
                    properties=properties,
                )
            else:
                client.connect(self.address.host, self.address.port, keepalive=30)
        except OSError as exc:
            log.warning(
                "MQTT broker %s:%d unreachable: %s", self.address.host, self.address.port, exc
            )
            return "no_answer"
        client.loop_start()
        probing = self.protocol == "auto" and protocol == "5"
        if not answered.wait(AUTO_PROBE_TIMEOUT_S if probing else CONNECT_TIMEOUT_S):
            outcome["result"] = "no_answer"
        result = outcome.get("result", "no_answer")
        if result == "ok":
            self._client = client
            return result
        client.loop_stop()
        with contextlib.suppress(Exception):  # best effort on a dead link
            client.disconnect()
        log.warning(
            "MQTT %s connect to %s:%d failed: %s",
            protocol,
            self.address.host,
            self.address.port,
            outcome.get("detail", result),
        )
        return result

    def _connect_loop(self) -> None:
        delay = 0.5
        protocols = ["5", "3.1.1"] if self.protocol == "auto" else [self.protocol]
        while not self._stop.is_set():
            for protocol in protocols:
                result = self._try_connect(protocol)
                if result == "ok":
                    return
                if result != "refused_protocol" and not (
                    self.protocol == "auto" and result == "no_answer" and protocol == "5"
                ):
                    break  # broker down or credentials refused: back off, start over
            self._stop.wait(delay)
            delay = min(delay * 2, 10.0)

    def _on_connected(self, client: mqtt.Client, protocol: str, flags: Any) -> None:
        with self._lock:
            self._generation += 1
        self.negotiated = protocol
        shared = self.shared_group if protocol == "5" else None
        if self.shared_group and not shared:
            log.warning(
                "MQTT 3.1.1 broker: no shared subscription; %s subscribes plainly "
                "(run one instance only)",
                self.client_id,
            )
        wanted = [f"$share/{shared}/{f}" for f in self.filters] if shared else list(self.filters)
        if shared:
            wanted += [f for f in self.plain_filters if f not in wanted]
        if protocol == "5":
            topics: list[tuple[str, Any]] = [(f, SubscribeOptions(qos=1)) for f in wanted]
        else:
            topics = [(f, 1) for f in wanted]
        client.on_subscribe = self._on_subscribe
        client.subscribe(topics)
        log.info(
            "MQTT %s connected to %s:%d as %s (session present: %s)",
            protocol,
            self.address.host,
            self.address.port,
            self.client_id,
            getattr(flags, "session_present", "?"),
        )
        self._set_connected(True)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _mid: int, codes: Any, _p: Any) -> None:
        failed = [str(c) for c in codes if getattr(c, "is_failure", False)]
        if failed:
            log.error("MQTT subscription refused: %s", ", ".join(failed))
        self.subscribed.set()
        log.info("%s subscribed to %s", self.client_id, ", ".join(self.filters))

    def _set_connected(self, value: bool) -> None:
        if value != self.connected:
            self.connected = value
            if not value and not self._stop.is_set():
                log.warning("MQTT connection lost; paho reconnects")
            if self._on_connection_change is not None:
                self._on_connection_change(value)

    def _matches_own_filters(self, topic: str) -> bool:
        return any(mqtt.topic_matches_sub(f, topic) for f in self._own_filters)

    def _handle_message(self, client: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        if not self._matches_own_filters(message.topic):
            # A broker that delivers what was not asked for (amqtt 0.12 hands retained
            # messages to every new subscription): not ours to handle. Acknowledged so that
            # the broker does not re-send it; dropped and counted.
            self.unsubscribed_dropped += 1
            log.debug("%s dropped %s: matches none of its filters", self.client_id, message.topic)
            if message.qos > 0:
                client.ack(message.mid, message.qos)
            return
        payload = message.payload
        self._on_message_cb(
            Received(
                message.topic,
                payload if isinstance(payload, bytes) else bytes(payload),
                message.qos,
                message.mid,
                self._generation,
                time.monotonic(),
            )
        )
