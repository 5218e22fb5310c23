"""The embedded demo broker: amqtt (MQTT 3.1.1) on loopback only, in a thread of its own.

For the one-command demo only. amqtt has no MQTT 5, no shared subscriptions and no real
authentication (its anonymous plugin admits any client that names a user), so production uses
Mosquitto (see docker-compose.yml and docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


def broker_config(port: int) -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{LOOPBACK}:{port}"}},
        "plugins": {
            "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
        },
    }


class EmbeddedBroker:
    """Runs an amqtt broker bound to 127.0.0.1:``port`` until :meth:`stop`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://{LOOPBACK}:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        # amqtt and its state machine log every state change at INFO: keep the demo readable
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._thread.start()
        if not self._started.wait(timeout_s):
            raise RuntimeError(f"the embedded broker did not start within {timeout_s} s")
        if self._error is not None:
            raise RuntimeError(f"the embedded broker failed to start: {self._error}")
        log.info("embedded MQTT broker (amqtt, MQTT 3.1.1) on %s", self.url)

    def _run(self) -> None:
        from amqtt.broker import Broker

        asyncio.set_event_loop(self._loop)
        try:
            self._broker = Broker(broker_config(self.port), loop=self._loop)
            self._loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # report any start failure to the caller of start()
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._broker is None or not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            future.result(timeout_s)
        except Exception as exc:  # a failed shutdown must not prevent stopping the loop
            log.warning("embedded broker shutdown: %s", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout_s)
