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
