"""The MQTT connection of an edge agent: the only edge module that imports paho.

It connects (MQTT 5, or 3.1.1, or ``auto``: 5 first and 3.1.1 when the broker answers
"unsupported protocol version", as the embedded amqtt demo broker does), sets the last will,
reconnects with backoff (paho's, doubling from ``reconnect_min_s`` to ``reconnect_max_s``) and
reports connects, disconnects, incoming messages and QoS 1 acknowledgements to the agent
through plain callbacks. It keeps no messages of its own beyond paho's in-flight window: the
disk outbox (:mod:`edge.outbox`) is the store-and-forward.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.config import BrokerConfig

log = logging.getLogger(__name__)

#: CONNACK reason of an MQTT 5 CONNECT refused by a 3.1.1-only broker.
UNSUPPORTED_PROTOCOL = 132
#: ``auto``: seconds to wait for the CONNACK of an MQTT 5 CONNECT before trying 3.1.1 (amqtt
#: 0.12 neither answers nor closes a CONNECT 5 that carries a will).
CONNACK_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


@dataclass
class TransportCallbacks:
    on_connect: Callable[[], None]
    on_disconnect: Callable[[], None]
    on_ack: Callable[[int], None]
    on_message: Callable[[str, bytes], None]


class Transport:
    """One broker connection, kept up in paho's network thread."""

    def __init__(
        self,
        broker: BrokerConfig,
        client_id: str,
        will: Will,
        callbacks: TransportCallbacks,
        *,
        subscriptions: tuple[str, ...] = (),
        max_inflight: int = 20,
    ) -> None:
        self.broker = broker
        self.client_id = client_id
        self.will = will
        self.callbacks = callbacks
        self.subscriptions = subscriptions
        self.max_inflight = max_inflight
        self.protocol = mqtt.MQTTv311 if broker.protocol == "3.1.1" else mqtt.MQTTv5
        self._connected = threading.Event()
        self._lock = threading.RLock()
        self._stopping = False
        self._ever_connected = False
        self._client = self._make_client()

    @property
    def protocol_name(self) -> str:
        return "5" if self.protocol == mqtt.MQTTv5 else "3.1.1"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def _make_client(self) -> mqtt.Client:
        b = self.broker
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=self.protocol,
            clean_session=True if self.protocol == mqtt.MQTTv311 else None,
        )
        if b.username:
            client.username_pw_set(b.username, b.password)
        if b.tls:
            client.tls_set(
                ca_certs=str(b.tls_ca_file) if b.tls_ca_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.will_set(self.will.topic, self.will.payload, self.will.qos, self.will.retain)
        client.reconnect_delay_set(b.reconnect_min_s, b.reconnect_max_s)
        client.max_inflight_messages_set(self.max_inflight)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_socket_open = self._on_socket_open
        return client

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho keeps retrying with backoff until :meth:`stop`."""
        with self._lock:
            kwargs: dict[str, Any] = {}
            if self.protocol == mqtt.MQTTv5:
                kwargs["clean_start"] = True
            self._client.connect_async(
                self.broker.host, self.broker.port, keepalive=self.broker.keepalive_s, **kwargs
            )
            self._client.loop_start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Disconnect cleanly (the broker discards the will) and stop the network thread."""
        with self._lock:
            self._stopping = True
            client = self._client
        try:
            client.disconnect()
        except Exception:
            log.debug("disconnect failed", exc_info=True)
        client.loop_stop()
        self._connected.clear()

    def _fall_back(self) -> None:
        """Rebuild the client for MQTT 3.1.1 (called from a helper thread, not paho's)."""
        with self._lock:
            if self._stopping or self.protocol == mqtt.MQTTv311:
                return
            old = self._client
            old.loop_stop()
            log.info("broker %s does not speak MQTT 5; using 3.1.1", self.broker.url)
            self.protocol = mqtt.MQTTv311
            self._client = self._make_client()
        self.start()

    # -- publishing -----------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool = False) -> int | None:
        """Publish; return the message id, or None if the message did not go out."""
        if not self._connected.is_set():
            return None
        with self._lock:
            info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            if qos > 0 and info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN:
                # paho keeps QoS>0 messages queued even when not connected and will send them
                # on reconnect; report it as sent, the ack arrives later.
                return int(info.mid)
            log.debug("publish to %s failed: %s", topic, mqtt.error_string(info.rc))
            return None
        return int(info.mid)

    def publish_wait(
        self, topic: str, payload: bytes, qos: int, retain: bool, timeout_s: float
    ) -> bool:
        """Publish and wait until it is sent (QoS 0) or acknowledged (QoS 1)."""
        if not self._connected.is_set():
            return False
        with self._lock:
            info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return False
        try:
            info.wait_for_publish(timeout_s)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    # -- paho callbacks (network thread) --------------------------------------------------

    def _probing(self) -> bool:
        return (
            self.broker.protocol == "auto"
            and self.protocol == mqtt.MQTTv5
            and not self._ever_connected
        )

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._probing():
            timer = threading.Timer(CONNACK_TIMEOUT_S, self._check_connack)
            timer.daemon = True
            timer.start()

    def _check_connack(self) -> None:
        if self._probing() and not self._connected.is_set():
            self._fall_back()

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            if (
                self.broker.protocol == "auto"
                and self.protocol == mqtt.MQTTv5
                and reason_code.value == UNSUPPORTED_PROTOCOL
            ):
                threading.Thread(target=self._fall_back, name="mqtt-fallback", daemon=True).start()
                return
            log.warning("broker %s refused the connection: %s", self.broker.url, reason_code)
            return
        self._ever_connected = True
        log.info("connected to %s (MQTT %s)", self.broker.url, self.protocol_name)
        for topic in self.subscriptions:
            if self.protocol == mqtt.MQTTv5:
                props = Properties(PacketTypes.SUBSCRIBE)
                client.subscribe(topic, qos=1, properties=props)
            else:
                client.subscribe(topic, qos=1)
        self._connected.set()
        try:
            self.callbacks.on_connect()
        except Exception:
            log.exception("on_connect handler failed")

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        was = self._connected.is_set()
        self._connected.clear()
        if not was and self._probing():
            # closed before any CONNACK while speaking MQTT 5: try 3.1.1
            threading.Thread(target=self._fall_back, name="mqtt-fallback", daemon=True).start()
            return
        if was:
            level = logging.INFO if self._stopping else logging.WARNING
            log.log(level, "disconnected from %s: %s", self.broker.url, reason_code)
            try:
                self.callbacks.on_disconnect()
            except Exception:
                log.exception("on_disconnect handler failed")

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: Any,
        properties: Properties | None,
    ) -> None:
        # MQTT 5 PUBACK may carry a failure reason (e.g. not authorised): the broker refused it
        # but answered, so the message will never be accepted; it is still acknowledged here
        # and the refusal logged (re-sending it forever would block the queue).
        if getattr(reason_code, "is_failure", False):
            log.warning("broker refused message %d: %s", mid, reason_code)
        try:
            self.callbacks.on_ack(mid)
        except Exception:
            log.exception("ack handler failed")

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self.callbacks.on_message(msg.topic, bytes(msg.payload))
        except Exception:
            log.exception("handling a message on %s failed", msg.topic)
