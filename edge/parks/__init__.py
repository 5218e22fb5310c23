"""Parks on the edge: gate counters' vendor pushes -> counts, area occupancy, capacity alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.device import DeviceWorker, WorkerOptions
    from whistle.config.counter import AreaConfig, CounterConfig
    from whistle.config.site import SiteConfig


def build_workers(
    site: SiteConfig, devices: list[CounterConfig | AreaConfig], options: WorkerOptions
) -> list[DeviceWorker]:
    """One :class:`~edge.parks.worker.ParksWorker` for all the agent's counters and areas.

    An area's gates must be counters of the same agent; unknown gates are an error.
    """
    from edge.parks.worker import ParksWorker
    from whistle.config.counter import AreaConfig, CounterConfig

    counters = [d for d in devices if isinstance(d, CounterConfig)]
    areas = [d for d in devices if isinstance(d, AreaConfig)]
    known = {c.id for c in counters}
    for a in areas:
        missing = [g for g in a.gates if g not in known]
        if missing:
            raise ValueError(
                f"area {a.id}: gates {', '.join(missing)} are not counters served by this agent"
            )
    if not counters:
        return []
    return [ParksWorker(site, counters, areas, options)]
