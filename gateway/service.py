"""GatewayService: the Store, MQTT ingest, periodic tasks, alert listeners and the HTTP app.

Built from :class:`gateway.settings.Settings`. Other parts hook in through
:meth:`GatewayService.add_alert_listener`, :meth:`GatewayService.add_periodic` and
``extra_routers``; ``gateway.incidents.setup(service)`` is called at start if it exists.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.db.session import Store
from gateway.metrics import GatewayMetrics, default_metrics
from gateway.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from gateway.db.models import Alert
    from gateway.evidence import EvidenceStore
    from gateway.ingest.pipeline import IngestPipeline
    from whistle.config.site import SiteConfig
    from whistle.contract import AlertPayload

log = logging.getLogger(__name__)

#: Python thread switch interval while the gateway runs (default 0.005 s), seconds.
SWITCH_INTERVAL_S = 0.001

#: ``fn(session, alert, payload, is_new_state)``, called inside the storing transaction.
AlertListener = Callable[["Session", "Alert", "AlertPayload", bool], None]


@dataclass
class PeriodicTask:
    name: str
    interval_s: float
    fn: Callable[[], object]
    runs: int = 0
    failures: int = 0
    thread: threading.Thread | None = field(default=None, repr=False)


def _server_class() -> type:
    import uvicorn

    class _Server(uvicorn.Server):
        """uvicorn re-raises SIGTERM/SIGINT after its shutdown, which would kill the process
        before the gateway flushes; here the signal only ends serving."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {
                sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
            }
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    return _Server


class GatewayService:
    """The central collector. ``start()`` / ``stop()`` for embedding, ``run()`` for the CLI."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store if store is not None else Store.from_url(settings.database_url)
        self.metrics = metrics if metrics is not None else default_metrics()
        self.alert_listeners: list[AlertListener] = []
        self.periodic_tasks: list[PeriodicTask] = []
        #: APIRouters other parts (incidents) add; create_app includes them.
        self.extra_routers: list[Any] = []
        self.sites: list[SiteConfig] = []
        self.ingest: IngestPipeline | None = None
        self._evidence: EvidenceStore | None = None
        self._stop = threading.Event()
        self._started = False

    # -- hooks ----------------------------------------------------------------------------

    def add_alert_listener(self, fn: AlertListener) -> None:
        """Call ``fn(session, alert, payload, is_new_state)`` after each stored alert message
        (not duplicates), inside the storing transaction. A listener that raises is logged and
        the alert is stored without it."""
        self.alert_listeners.append(fn)

    def add_periodic(self, name: str, interval_s: float, fn: Callable[[], object]) -> None:
        """Run ``fn()`` every ``interval_s`` seconds on its own thread while the service runs
        (exceptions are logged and counted, the task keeps its schedule)."""
        if interval_s <= 0:
            raise ValueError(f"periodic task {name!r}: interval must be positive")
        task = PeriodicTask(name, interval_s, fn)
        self.periodic_tasks.append(task)
        if self._started:
            self._start_task(task)

    @property
    def evidence(self) -> EvidenceStore:
        """The evidence blob store under ``data_dir/evidence``."""
        if self._evidence is None:
            from gateway.evidence import EvidenceStore

            self._evidence = EvidenceStore(
                self.settings.evidence_dir, max_bytes=self.settings.evidence_max_bytes
            )
        return self._evidence

    def publish_command(self, site: str, device: str, payload: bytes) -> None:
        """Publish a command to an agent (QoS 1). Needs a running ingest."""
        if self.ingest is None:
            raise RuntimeError("the gateway's MQTT ingest is not running")
        from whistle.contract import command_topic

        self.ingest.transport.publish(command_topic(site, device), payload, qos=1)

    # -- lifecycle ------------------------------------------------------------------------

    def _load_sites(self) -> None:
        from whistle.config.site import load_sites

        if self.settings.sites_dir.is_dir():
            self.sites = load_sites(self.settings.sites_dir)
            log.info("loaded %d site(s) from %s", len(self.sites), self.settings.sites_dir)

    #: Parts that hook in at start through their ``setup(service)``: incidents (listeners,
    #: periodic tasks, routes), then the web pages (routes; they may link to incidents).
    EXTENSIONS = ("gateway.incidents", "gateway.web")

    def device_kind(self, site_id: str, device_id: str) -> str:
        """What the site files say a device is: its ``kind``, "agent", or "" when unknown."""
        for site in self.sites:
            if site.id != site_id:
                continue
            if any(agent.id == device_id for agent in site.agents):
                return "agent"
            for device in site.devices:
                if device.id == device_id:
                    return str(device.kind)
        return ""

    def _setup_extensions(self) -> None:
        for name in self.EXTENSIONS:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            setup = getattr(module, "setup", None)
            if setup is not None:
                setup(self)

    def _register_core_tasks(self) -> None:
        from gateway.maintenance import register

        register(self)

    def start(self, *, ingest: bool = True) -> None:
        """Migrate the database, load sites, set up extensions, start ingest and tasks."""
        if self._started:
            return
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        # The alert worker releases the GIL at every database call and must win it back
        # from the busy MQTT and telemetry threads each time; the default 5 ms switch
        # interval adds up to tens of ms per alert under telemetry load.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.store.migrate()
        self._load_sites()
        self._setup_extensions()
        self._register_core_tasks()
        if ingest:
            from gateway.ingest.pipeline import IngestPipeline

            self.ingest = IngestPipeline(self)
            self.ingest.start()
        self._started = True
        gc.freeze()  # long-lived startup objects out of the collector's way (shorter pauses)
        for task in self.periodic_tasks:
            self._start_task(task)

    def _start_task(self, task: PeriodicTask) -> None:
        thread = threading.Thread(
            target=self._run_task, args=(task,), name=f"periodic-{task.name}", daemon=True
        )
        task.thread = thread
        thread.start()

    def _run_task(self, task: PeriodicTask) -> None:
        while not self._stop.wait(task.interval_s):
            try:
                task.fn()
                task.runs += 1
            except Exception:
                task.failures += 1
                log.exception("periodic task %s failed", task.name)

    def stop(self) -> None:
        """Stop ingest (flushing what it holds) and the periodic tasks."""
        self._stop.set()
        if self.ingest is not None:
            self.ingest.stop()
        for task in self.periodic_tasks:
            if task.thread is not None:
                task.thread.join(timeout=5)
        self._started = False

    def create_app(self) -> Any:
        """The API's app, or a minimal one (/healthz, /metrics) while gateway.api is absent."""
        try:
            module = importlib.import_module("gateway.api.app")
        except ModuleNotFoundError as exc:
            if exc.name not in ("gateway.api", "gateway.api.app"):
                raise
            from gateway.minimal_app import create_minimal_app

            return create_minimal_app(self)
        return module.create_app(self)

    def run(self) -> int:
        """Start everything, serve HTTP until interrupted (or wait, if HTTP is off), stop."""
        self.start()
        try:
            if self.settings.serve_http:
                import uvicorn

                config = uvicorn.Config(
                    self.create_app(),
                    host=self.settings.http_host,
                    port=self.settings.http_port,
                    log_level="warning",
                )
                _server_class()(config).run()
            else:
                signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
                try:
                    while not self._stop.wait(1.0):
                        pass
                except KeyboardInterrupt:
                    pass
        finally:
            self.stop()
        return 0
