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
