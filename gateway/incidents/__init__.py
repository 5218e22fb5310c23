"""Incidents: alerts become cases routed to the departments that must act (吹哨报到).

:func:`setup` is called by the gateway service at start: it loads ``routing_file`` and
``notify_file``, registers the alert listener, the periodic tasks (SLA escalation, sensor
verification, notification delivery) and the API routers.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

#: Seconds between runs of each periodic task.
SLA_CHECK_INTERVAL_S = 15.0
VERIFY_INTERVAL_S = 30.0
DELIVER_INTERVAL_S = 3.0


def setup(service: Any) -> Any:
    """Wire incidents into ``service``; returns the :class:`IncidentsRuntime` (also kept as
    ``service.incidents``)."""
    from pathlib import Path

    from gateway.db.base import utcnow
    from gateway.incidents.engine import IncidentEngine
    from gateway.incidents.routes import routers
    from gateway.incidents.routing import RoutingConfig, load_routing
    from gateway.incidents.runtime import IncidentsRuntime
    from gateway.incidents.scope import IncidentAlertScope
    from gateway.notify.config import load_notify
    from gateway.notify.outbox import Dispatcher, Notifier

    settings = service.settings
    routing_file = Path(settings.routing_file)
    if routing_file.is_file():
        routing = load_routing(routing_file)
    else:
        log.warning("routing file %s not found: everything goes to the street centre", routing_file)
        routing = RoutingConfig()
    notify_file = getattr(settings, "notify_file", None)
    notify_config = load_notify(notify_file) if notify_file else None

    def clock() -> Any:
        return engine.clock()

    engine = IncidentEngine(
        routing=routing,
        notifier=Notifier(notify_config, clock),
        clock=getattr(service, "clock", None) or utcnow,
        data_dir=Path(settings.data_dir),
        public_url=notify_config.public_url if notify_config else "",
    )
    runtime = IncidentsRuntime(engine, Dispatcher(notify_config, clock), service.store)
    service.incidents = runtime
    service.add_alert_listener(engine.on_alert)
    service.add_periodic("incidents-sla", SLA_CHECK_INTERVAL_S, runtime.check_sla)
    service.add_periodic("incidents-verify", VERIFY_INTERVAL_S, runtime.verify)
    service.add_periodic("notify-outbox", DELIVER_INTERVAL_S, runtime.deliver)
    service.extra_routers.extend(routers())
    service.alert_scope = IncidentAlertScope()
    return runtime
