"""Incidents: alerts become cases routed to the departments that must act (吹哨报到).

:func:`setup` is called by the gateway service at start: it loads ``routing_file`` and
``notify_file``, registers the alert listener, the periodic tasks (SLA escalation, sensor
verification, notification delivery) and the API routers.
"""

from __future__ import annotations

from typing import Any

#: Seconds between runs of each periodic task.
SLA_CHECK_INTERVAL_S = 15.0
VERIFY_INTERVAL_S = 30.0
DELIVER_INTERVAL_S = 3.0


def setup(service: Any) -> Any:
    """Wire incidents into ``service``; returns the :class:`IncidentsRuntime` (also kept as
    ``service.incidents``). A ``service.clock`` callable, if present, is the engine's clock."""
    from gateway.incidents.routes import routers
    from gateway.incidents.runtime import build_runtime
    from gateway.incidents.scope import IncidentAlertScope

    runtime = build_runtime(service.settings, service.store, getattr(service, "clock", None))
    service.incidents = runtime
    service.add_alert_listener(runtime.engine.on_alert)
    service.add_periodic("incidents-sla", SLA_CHECK_INTERVAL_S, runtime.check_sla)
    service.add_periodic("incidents-verify", VERIFY_INTERVAL_S, runtime.verify)
    service.add_periodic("notify-outbox", DELIVER_INTERVAL_S, runtime.deliver)
    service.extra_routers.extend(routers())
    service.alert_scope = IncidentAlertScope()
    return runtime
