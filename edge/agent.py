"""The edge agent: workers in threads, the disk outbox, births and wills, one MQTT connection.

Threads:

* one per device worker (:class:`WorkerRunner`): ``worker.run(sink, stop)``; if it raises, the
  error is logged and counted and the worker restarted after a doubling backoff;
* the sender (:meth:`EdgeAgent._sender_loop`): on each (re)connect publishes the births, then
  moves messages from the outbox to the broker (at most ``outbox.inflight`` unacknowledged),
  alternating one live message and one backlog message, processes acknowledgements and
  publishes the agent's ``health`` telemetry;
* paho's network thread (:mod:`edge.transport`), which only queues acks and wakes the sender.

See ``docs/edge.md`` for the delivery guarantees.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from edge.config import AgentConfig, config_hash
from edge.device import DeviceWorker, WorkerOptions
from edge.health import AgentHealth, wire_key
from edge.liveness import Heartbeat
from edge.outbox import Kind, Outbox, Queued
from edge.sink import AgentSink, mark_replay
from edge.transport import Transport, TransportCallbacks, Will
from edge.workers import BuiltWorkers, build_all
from whistle import __version__
from whistle import contract as c
from whistle.config.site import SiteConfig

log = logging.getLogger(__name__)

WorkerFactory = Callable[[SiteConfig, str, WorkerOptions, AgentHealth], BuiltWorkers]

#: A worker that ran this long without failing starts its next backoff from the minimum.
HEALTHY_RUN_S = 60.0


class WorkerRunner:
    """Runs one worker in its own thread and restarts it with backoff when it raises."""

    def __init__(
        self,
        worker: DeviceWorker,
        sink: AgentSink,
        stop: threading.Event,
        health: AgentHealth,
        restart_min_s: float,
        restart_max_s: float,
    ) -> None:
        self.worker = worker
        self.sink = sink
        self.stop = stop
        self.health = health
        self.restart_min_s = restart_min_s
        self.restart_max_s = restart_max_s
        self.failing = False
        self.last_error = ""
        self.thread = threading.Thread(
            target=self._run, name=f"worker-{worker.device_id}", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.is_alive() and not self.failing

    def _run(self) -> None:
        delay = self.restart_min_s
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                self.worker.run(self.sink, self.stop)
            except Exception as exc:
                self.failing = True
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.health.count("worker_restarts")
                if time.monotonic() - started >= HEALTHY_RUN_S:
                    delay = self.restart_min_s
                log.exception(
                    "worker of %s failed; restarting in %.1f s", self.worker.device_id, delay
                )
                self.sink.health(self.worker.device_id, {"worker_ok": 0.0}, ("worker_failed",))
                if self.stop.wait(delay):
                    return
                delay = min(delay * 2, self.restart_max_s)
                self.failing = False
                continue
            if not self.stop.is_set():
                log.info("worker of %s finished", self.worker.device_id)
            return


class EdgeAgent:
    def __init__(
        self,
        config: AgentConfig,
        site: SiteConfig,
        *,
        worker_factory: WorkerFactory = build_all,
        software_version: str = __version__,
    ) -> None:
        self.config = config
        self.site = site
        self.assignment = site.agent(config.agent)
        self.agent_id = config.agent
        self.software_version = software_version
        self.boot_epoch = int(time.time() * 1000)
        self.config_hash = config_hash(site, config)
        self.health = AgentHealth()
        self._worker_factory = worker_factory
        ob = config.outbox
        self.outbox = Outbox(
            config.outbox_path,
            max_bytes=ob.max_bytes,
            telemetry_soft_cap=ob.telemetry_soft_cap,
            thin_keep_every=ob.thin_keep_every,
            synchronous=ob.synchronous,
        )
        self._wake = threading.Event()
        self._acks: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._mids: dict[int, int] = {}
        self._connected_pending = threading.Event()
        self._rebirth = threading.Event()
        self._watermark = 0
        self._prefer_live = True
        self._qos0: deque[tuple[str, bytes]] = deque()
        self._qos0_lock = threading.Lock()
        self._workers_stop = threading.Event()
        self._sender_stop = threading.Event()
        self._sender = threading.Thread(target=self._sender_loop, name="sender", daemon=True)
        self.runners: list[WorkerRunner] = []
        self.capabilities: dict[str, tuple[str, ...]] = {}
        self.sink = AgentSink(site.id, self.outbox, self.health, self._publish_live, self._wake.set)
        self.transport = Transport(
            config.broker,
            client_id=self.agent_id,
            will=Will(self._status_topic(self.agent_id), self._status(c.DeviceState.OFFLINE)),
            callbacks=TransportCallbacks(
                on_connect=self._on_connect,
                on_disconnect=self._on_disconnect,
                on_ack=self._on_ack,
                on_message=self._on_message,
            ),
            subscriptions=(c.command_topic(site.id, self.agent_id),),
            max_inflight=ob.inflight,
        )
        self._started = False

    # -- statuses -------------------------------------------------------------------------

    def _status_topic(self, device: str) -> str:
        return c.status_topic(self.site.id, device)

    def _status(self, state: c.DeviceState, device: str | None = None) -> bytes:
        is_agent = device is None
        caps: tuple[str, ...]
        if is_agent:
            served = {x for v in self.capabilities.values() for x in v}
            caps = tuple(sorted({"outbox", "rebirth", *served}))
            interval = min(self.config.telemetry.health_interval_s * 3, 86400.0)
        else:
            caps = self.capabilities.get(device or "", ())
            interval = self.config.telemetry.device_expected_interval_s
        return c.StatusPayload(
            schema_version=c.SCHEMA_VERSION,
            state=state,
            boot_epoch=self.boot_epoch,
            ts=datetime.now(UTC),
            agent=self.agent_id,
            software_version=self.software_version,
            config_hash=self.config_hash,
            capabilities=tuple(wire_key(x) for x in caps),
            devices=tuple(self.assignment.devices) if is_agent else (),
            expected_interval_s=interval,
        ).to_json()

    def served_devices(self) -> list[str]:
        """Devices that have a worker (the others are reported as faults in health)."""
        return [d for d in self.assignment.devices if d not in self.health.device_faults]

    def _publish_statuses(self, state: c.DeviceState, wait_s: float | None = None) -> None:
        messages = [(self._status_topic(d), self._status(state, d)) for d in self.served_devices()]
        agent_msg = (self._status_topic(self.agent_id), self._status(state))
        # births: agent first (it lists the devices); stops: devices first, agent last
        if state is c.DeviceState.ONLINE:
            ordered = [agent_msg, *messages]
        else:
            ordered = [*messages, agent_msg]
        for topic, payload in ordered:
            if wait_s is None:
                self.transport.publish(topic, payload, 1, retain=True)
            else:
                self.transport.publish_wait(topic, payload, 1, retain=True, timeout_s=wait_s)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Close episodes a crash left open, build and start workers, connect."""
        if self._started:
            raise RuntimeError("agent already started")
        self._started = True
        for alert_id, device, last in self.outbox.open_episodes():
            log.info("closing episode %s of %s left open by the previous run", alert_id, device)
            self.sink.close_episode(last, "agent_restart")
        options = WorkerOptions(
            data_dir=self.config.data_dir,
            sim_start=self.config.sim_start,
            sim_speed=self.config.sim_speed,
        )
        built = self._worker_factory(self.site, self.agent_id, options, self.health)
        self.health.device_faults.update(built.faults)
        for worker in built.workers:
            self.capabilities[worker.device_id] = tuple(worker.capabilities)
            self.runners.append(
                WorkerRunner(
                    worker,
                    self.sink,
                    self._workers_stop,
                    self.health,
                    self.config.workers.restart_min_s,
                    self.config.workers.restart_max_s,
                )
            )
        self._sender.start()
        self.transport.start()
        for runner in self.runners:
            runner.start()
        log.info(
            "agent %s started (boot epoch %d): %d worker(s), %d device fault(s)",
            self.agent_id,
            self.boot_epoch,
            len(self.runners),
            len(self.health.device_faults),
        )

    def stop(self, flush_timeout_s: float = 10.0) -> None:
        """Stop workers, close open episodes, flush the outbox, publish ``stopped``, disconnect."""
        self._workers_stop.set()
        for runner in self.runners:
            runner.thread.join(timeout=5.0)
            if runner.thread.is_alive():
                log.warning("worker of %s did not stop in 5 s", runner.worker.device_id)
        for alert_id, _device, last in self.outbox.open_episodes():
            log.info("closing episode %s at stop", alert_id)
            self.sink.close_episode(last, "agent_stop")
        deadline = time.monotonic() + flush_timeout_s
        while time.monotonic() < deadline and self.transport.connected:
            if self.outbox.depth()["queued"] == 0 and not self._qos0_pending():
                break
            self._wake.set()
            time.sleep(0.05)
        self._sender_stop.set()
        self._wake.set()
        if self._sender.is_alive():
            self._sender.join(timeout=5.0)
        if self.transport.connected:
            self._publish_statuses(c.DeviceState.STOPPED, wait_s=2.0)
        self.transport.stop()
        left = self.outbox.depth()["queued"]
        if left:
            log.warning("%d message(s) stay in the outbox for the next run", left)
        self.outbox.close()

    def run(self, stop: threading.Event) -> int:
        heartbeat = Heartbeat(self.config.data_dir)
        self.start()
        heartbeat.ready()
        while not stop.wait(0.5):
            if self._sender.is_alive():  # a dead sender stops the beat: systemd restarts us
                heartbeat.beat()
        heartbeat.stopping()
        self.stop()
        return 0

    # -- transport callbacks (paho thread: never block) -----------------------------------

    def _on_connect(self) -> None:
        self._connected_pending.set()
        self._wake.set()

    def _on_disconnect(self) -> None:
        self.health.count("disconnects")
        self._wake.set()

    def _on_ack(self, mid: int) -> None:
        self._acks.put(mid)
        self._wake.set()

    def _on_message(self, topic: str, payload: bytes) -> None:
        try:
            message = c.decode(topic, payload)
        except c.ContractError as exc:
            log.warning("ignoring bad command on %s: %s", topic, exc)
            return
        if isinstance(message.payload, c.CommandPayload) and message.payload.command == "rebirth":
            log.info("rebirth requested (%s)", message.payload.request_id)
            self._rebirth.set()
            self._wake.set()

    # -- live QoS 0 ----------------------------------------------------------------------

    def _publish_live(self, topic: str, payload: bytes, qos: int) -> None:
        if self.transport.connected and self.transport.publish(topic, payload, qos) is not None:
            return
        self._buffer_qos0(topic, payload)

    def _buffer_qos0(self, topic: str, payload: bytes) -> None:
        cap = self.config.outbox.qos0_buffer
        with self._qos0_lock:
            if cap == 0:
                self.health.drop("telemetry_qos0_overflow")
                return
            if len(self._qos0) >= cap:
                self._qos0.popleft()
                self.health.drop("telemetry_qos0_overflow")
            self._qos0.append((topic, payload))

    def _qos0_pending(self) -> bool:
        with self._qos0_lock:
            return bool(self._qos0)

    def _flush_qos0(self) -> None:
        while self.transport.connected:
            with self._qos0_lock:
                if not self._qos0:
                    return
                topic, payload = self._qos0.popleft()
            if self.transport.publish(topic, mark_replay(payload), 0) is None:
                with self._qos0_lock:
                    self._qos0.appendleft((topic, payload))
                return

    # -- the sender -----------------------------------------------------------------------

    def _sender_loop(self) -> None:
        interval = self.config.telemetry.health_interval_s
        next_health = time.monotonic() + min(interval, 1.0)
        first_connect = True
        while not self._sender_stop.is_set():
            try:
                self._drain_acks()
                if self._connected_pending.is_set() and self.transport.connected:
                    self._connected_pending.clear()
                    if not first_connect:
                        self.health.count("reconnects")
                    first_connect = False
                    self._watermark = self.outbox.max_id()
                    self._publish_statuses(c.DeviceState.ONLINE)
                if self._rebirth.is_set() and self.transport.connected:
                    self._rebirth.clear()
                    self._publish_statuses(c.DeviceState.ONLINE)
                if self.transport.connected:
                    self._flush_qos0()
                    self._pump()
                if time.monotonic() >= next_health:
                    next_health = time.monotonic() + interval
                    self._publish_health()
            except Exception:
                log.exception("sender loop error; carrying on")
                time.sleep(0.5)
            self._wake.wait(0.25)
            self._wake.clear()
        self._drain_acks()

    def _drain_acks(self) -> None:
        while True:
            try:
                mid = self._acks.get_nowait()
            except queue.Empty:
                return
            row = self._mids.pop(mid, None)
            if row is not None:
                self.outbox.ack(row)

    def _pick(self) -> Queued | None:
        live = self.outbox.next_unsent(backlog=False, watermark=self._watermark)
        back = self.outbox.next_unsent(backlog=True, watermark=self._watermark)
        chosen: Queued | None
        if live is not None and back is not None:
            chosen = live if self._prefer_live else back
            self._prefer_live = not self._prefer_live
        else:
            chosen = live or back
        # a live message of an episode never overtakes its own queued history: the backlog
        # (in its own order) goes first until that history is out
        if (
            chosen is live
            and live is not None
            and back is not None
            and self.outbox.earlier_of_alert(live) is not None
        ):
            return back
        return chosen

    def _pump(self) -> None:
        window = self.config.outbox.inflight
        while self.outbox.inflight < window and self.transport.connected:
            message = self._pick()
            if message is None:
                return
            payload = message.payload
            if message.id <= self._watermark and message.kind in (Kind.ALERT, Kind.TELEMETRY):
                payload = mark_replay(payload)
            self.outbox.mark_inflight(message.id)
            mid = self.transport.publish(message.topic, payload, message.qos)
            if mid is None:
                self.outbox.unmark_inflight(message.id)
                return
            self._mids[mid] = message.id

    def _publish_health(self) -> None:
        depth = self.outbox.depth()
        with self._qos0_lock:
            buffered = len(self._qos0)
        gauges: dict[str, float] = {
            **{k: float(v) for k, v in depth.items()},
            "inflight": float(self.outbox.inflight),
            "qos0_buffered": float(buffered),
            "workers_running": float(sum(r.running for r in self.runners)),
            "workers_failed": float(sum(r.failing for r in self.runners)),
            "device_faults": float(len(self.health.device_faults)),
            "connected": 1.0 if self.transport.connected else 0.0,
        }
        self.sink.agent_health(self.agent_id, self.health.values(gauges, self.outbox.drops))
        for device in sorted(self.health.device_faults):
            self.sink.health(device, {"worker_ok": 0.0}, ("no_worker",))
