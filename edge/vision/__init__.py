"""Market camera workers: frames -> detectors -> episodes, evidence and health telemetry."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.device import DeviceWorker, WorkerOptions
    from whistle.config.camera import CameraConfig
    from whistle.config.site import SiteConfig


def build_workers(
    site: SiteConfig, devices: list[CameraConfig], options: WorkerOptions
) -> list[DeviceWorker]:
    """One camera worker per device (cameras without car park ``spaces``)."""
    from edge.vision.worker import build_workers as _build

    return _build(site, devices, options)
