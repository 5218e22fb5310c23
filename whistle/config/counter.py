"""People counter and counted-area device configs. Owned by the parks work (issue 8)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from whistle.config.common import Identifier, TimeWindow
from whistle.config.devices import DeviceBase
from whistle.config.loader import StrictModel


class CounterSource(StrictModel):
    #: ``http``: the counter pushes its vendor JSON to the edge's receiver (``listen``);
    #: ``simulator``: the edge starts a simulated counter that pushes to that receiver.
    kind: Literal["simulator", "mqtt", "http"]
    url: str | None = None
    #: Simulator scenario (see ``firmware_sim.counters.scenarios``), e.g. ``all_faults``.
    scenario: str | None = None
    seed: int = 0
    #: ``simulator``: which gate of the scenario's park this counter is (0-based).
    sim_gate: Annotated[int, Field(ge=0)] = 0
    #: ``http``: where the edge listens for this counter's pushes (``host:port``; counters of
    #: one agent share one listener: the first address given wins).
    listen: str = "0.0.0.0:8710"


class CounterConfig(DeviceBase):
    """A bidirectional gate counter (beam or thermal) that reports cumulative in/out totals."""

    kind: Literal["counter"]
    source: CounterSource
    #: The counter's serial number as it appears in its reports (defaults to the device id).
    serial: str | None = None
    #: Seconds between the counter's reports (vendor setting).
    report_period_s: Annotated[float, Field(gt=0)] = 10.0
    #: Bits of the counter's totals registers: they wrap at 2**bits.
    counter_bits: Annotated[int, Field(ge=8, le=64)] = 16
    #: Resolving time of the sensor (datasheet): two people crossing within it count as one.
    resolving_time_s: Annotated[float, Field(ge=0, lt=5)] = 0.0
    #: Fraction of people missed because they pass side by side, measured by a manual count
    #: (the calibrated undercount bias; the edge scales counts up by 1 / (1 - this)).
    undercount_ratio: Annotated[float, Field(ge=0, lt=0.5)] = 0.0
    #: No report for this long: the counter is offline.
    offline_after_s: Annotated[float, Field(gt=0)] = 180.0
    #: Totals unchanged for this long while the other gates of its area count people: stuck.
    stuck_after_s: Annotated[float, Field(gt=0)] = 1800.0

    @property
    def serial_number(self) -> str:
        return self.serial or self.id


class AreaConfig(DeviceBase):
    """A park or part of one (a playground, a riverside path) whose occupancy is counted.

    A virtual device: its occupancy telemetry and capacity alerts are published under its id.
    """

    kind: Literal["area"]
    capacity: Annotated[int, Field(gt=0)]
    gates: Annotated[list[Identifier], Field(min_length=1)]
    #: Warning and critical levels, as fractions of capacity.
    warn_ratio: Annotated[float, Field(gt=0, le=2)] = 0.8
    critical_ratio: Annotated[float, Field(gt=0, le=2)] = 1.0
    #: When the area is closed and known empty: occupancy is re-zeroed at each window's start
    #: (after the last visitor has left). Empty list: open round the clock, never re-zeroed.
    closed: list[TimeWindow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _levels(self) -> AreaConfig:
        if self.critical_ratio < self.warn_ratio:
            raise ValueError("critical_ratio must not be below warn_ratio")
        if len(set(self.gates)) != len(self.gates):
            raise ValueError("a gate is listed twice")
        return self
