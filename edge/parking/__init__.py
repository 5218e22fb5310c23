"""Car park occupancy on the edge: a camera with marked spaces -> free spaces, "full" alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.device import DeviceWorker, WorkerOptions
    from whistle.config.camera import CameraConfig
    from whistle.config.site import SiteConfig


def build_workers(
    site: SiteConfig, devices: list[CameraConfig], options: WorkerOptions
) -> list[DeviceWorker]:
    """One :class:`~edge.parking.worker.CarparkWorker` per camera with spaces."""
    from edge.parking.worker import CarparkWorker

    return [CarparkWorker(site, d, options) for d in devices if d.spaces]
