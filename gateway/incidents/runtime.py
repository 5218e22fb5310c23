"""The incidents part as the gateway runs it: engine, notification dispatcher, periodic work.

``gateway.incidents.setup(service)`` builds one :class:`IncidentsRuntime` and keeps it as
``service.incidents``. Tests and the end-to-end harness drive time through :meth:`set_clock`
and run the periodic work at once with :meth:`tick` instead of waiting for the threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.incidents.engine import IncidentEngine
from gateway.incidents.escalation import escalate_overdue
from gateway.incidents.verification import verify_resolved
from gateway.notify.outbox import DeliveryStats, Dispatcher

log = logging.getLogger(__name__)


@dataclass
class TickResult:
    escalated: list[int] = field(default_factory=list)
    verification: dict[int, str] = field(default_factory=dict)
    delivery: DeliveryStats = field(default_factory=DeliveryStats)


@dataclass
class IncidentsRuntime:
    engine: IncidentEngine
    dispatcher: Dispatcher
    store: Any  # gateway.db.session.Store

    def set_clock(self, clock: Callable[[], datetime]) -> None:
        """Replace the clock of the engine, notifier and dispatcher (they all read this one)."""
        self.engine.clock = clock

    def check_sla(self) -> list[int]:
        with self.store.session() as session:
            return escalate_overdue(self.engine, session)

    def verify(self) -> dict[int, str]:
        with self.store.session() as session:
            return verify_resolved(self.engine, session)

    def deliver(self) -> DeliveryStats:
        return self.dispatcher.deliver_due(self.store)

    def tick(self) -> TickResult:
        """All periodic work once, in order: escalate, verify, deliver notifications."""
        result = TickResult()
        result.escalated = self.check_sla()
        result.verification = self.verify()
        result.delivery = self.deliver()
        return result


def build_engine(settings: Any, clock: Callable[[], datetime] | None = None) -> IncidentEngine:
    """An engine from the gateway settings: ``routing_file`` (defaults when absent: everything
    to the street centre) and ``notify_file`` (None: no notifications)."""
    from pathlib import Path

    from gateway.db.base import utcnow
    from gateway.incidents.routing import RoutingConfig, load_routing
    from gateway.notify.config import load_notify
    from gateway.notify.outbox import Notifier

    routing_file = Path(settings.routing_file)
    if routing_file.is_file():
        routing = load_routing(routing_file)
    else:
        log.warning("routing file %s not found: everything goes to the street centre", routing_file)
        routing = RoutingConfig()
    notify_file = getattr(settings, "notify_file", None)
    notify_config = load_notify(notify_file) if notify_file else None
    engine: IncidentEngine

    def engine_clock() -> datetime:
        return engine.clock()

    engine = IncidentEngine(
        routing=routing,
        notifier=Notifier(notify_config, engine_clock),
        clock=clock or utcnow,
        data_dir=Path(settings.data_dir),
        public_url=notify_config.public_url if notify_config else "",
    )
    return engine


def build_runtime(
    settings: Any, store: Any, clock: Callable[[], datetime] | None = None
) -> IncidentsRuntime:
    engine = build_engine(settings, clock)
    return IncidentsRuntime(
        engine, Dispatcher(engine.notifier.config, engine.notifier.clock), store
    )
