"""People counter device config. Owned by the parks work (issue 8)."""

from __future__ import annotations

from typing import Literal

from whistle.config.devices import DeviceBase
from whistle.config.loader import StrictModel


class CounterSource(StrictModel):
    kind: Literal["simulator", "mqtt", "http"]
    url: str | None = None
    scenario: str | None = None
    seed: int = 0


class CounterConfig(DeviceBase):
    kind: Literal["counter"]
    source: CounterSource


class AreaConfig(DeviceBase):
    """A park or part of one (a playground, a riverside path) whose occupancy is counted.

    A virtual device: its occupancy telemetry and capacity alerts are published under its id.
    """

    kind: Literal["area"]
    capacity: int
    gates: list[str]
