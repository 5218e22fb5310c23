"""Builds the device workers of one agent, group by group, without ever failing the agent.

The agent's devices are grouped by kind and each group is handed to its module's
``build_workers(site, devices, options) -> list[DeviceWorker]``:

=========  ====================  ==========================================
group      module                devices
=========  ====================  ==========================================
noise      ``edge.noise``        microphones
vision     ``edge.vision``       cameras without car park spaces
parking    ``edge.parking``      cameras with car park spaces
parks      ``edge.parks``        people counters and counted areas
=========  ====================  ==========================================

Modules are imported lazily. A module that is missing or whose ``build_workers`` raises is
logged and recorded in :class:`~edge.health.AgentHealth` (``failed_groups`` and a fault per
device); the other groups still run.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edge.device import DeviceWorker, WorkerOptions
from edge.health import AgentHealth
from whistle.config.site import SiteConfig

log = logging.getLogger(__name__)

GROUP_MODULES: dict[str, str] = {
    "noise": "edge.noise",
    "vision": "edge.vision",
    "parking": "edge.parking",
    "parks": "edge.parks",
}


def group_of(device: Any) -> str | None:
    kind = getattr(device, "kind", None)
    if kind == "microphone":
        return "noise"
    if kind == "camera":
        return "parking" if getattr(device, "spaces", None) else "vision"
    if kind in ("counter", "area"):
        return "parks"
    return None


def group_devices(site: SiteConfig, agent_id: str) -> dict[str, list[Any]]:
    """The agent's devices by group, in the site file's order."""
    served = set(site.agent(agent_id).devices)
    groups: dict[str, list[Any]] = {}
    for device in site.devices:
        if device.id in served:
            group = group_of(device)
            if group is not None:
                groups.setdefault(group, []).append(device)
    return groups


@dataclass
class BuiltWorkers:
    workers: list[DeviceWorker] = field(default_factory=list)
    #: device id -> why no worker serves it
    faults: dict[str, str] = field(default_factory=dict)


Importer = Callable[[str], Any]


def build_all(
    site: SiteConfig,
    agent_id: str,
    options: WorkerOptions,
    health: AgentHealth,
    importer: Importer = importlib.import_module,
) -> BuiltWorkers:
    built = BuiltWorkers()
    for group, devices in group_devices(site, agent_id).items():
        module_name = GROUP_MODULES[group]
        ids = [d.id for d in devices]
        try:
            module = importer(module_name)
            workers = list(module.build_workers(site, devices, options))
        except Exception as exc:
            reason = f"{module_name}.build_workers failed: {type(exc).__name__}: {exc}"
            log.error("%s (devices %s); the other devices keep running", reason, ", ".join(ids))
            health.failed_groups[group] = reason
            for dev in ids:
                built.faults[dev] = reason
            continue
        built.workers += workers
        if not workers:
            # one worker may serve several devices (a parks worker reads every gate of an
            # area), so only a group with no worker at all is a fault
            for dev in ids:
                built.faults[dev] = f"{module_name} built no worker"
    health.device_faults.update(built.faults)
    return built
