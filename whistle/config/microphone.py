"""Noise sensor (microphone) device config. Owned by the noise work (issue 3)."""

from __future__ import annotations

from typing import Literal

from whistle.config.devices import DeviceBase
from whistle.config.loader import StrictModel


class MicrophoneSource(StrictModel):
    kind: Literal["simulator", "tcp", "file"]
    url: str | None = None
    scenario: str | None = None
    seed: int = 0


class MicrophoneConfig(DeviceBase):
    kind: Literal["microphone"]
    source: MicrophoneSource
    #: Datasheet sensitivity: dBFS of a 94 dB SPL, 1 kHz tone.
    sensitivity_dbfs: float = -26.0
    #: GB 3096-2008 acoustic environment class of the place.
    zone_class: Literal["0", "1", "2", "3", "4a", "4b"] = "2"
