"""Noise monitoring on the edge: one worker per microphone (see docs/noise.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge.device import DeviceWorker, WorkerOptions
    from whistle.config.microphone import MicrophoneConfig
    from whistle.config.site import SiteConfig


def build_workers(
    site: SiteConfig, devices: list[MicrophoneConfig], options: WorkerOptions
) -> list[DeviceWorker]:
    """One :class:`~edge.noise.worker.NoiseWorker` per microphone of ``site`` this agent serves."""
    from edge.noise.worker import NoiseWorker

    return [NoiseWorker(site, dev, options) for dev in devices]
