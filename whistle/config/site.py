"""A site (the market, a park): its devices, which edge agent serves each, where they are.

One YAML file per site, e.g. ``config/sites/gumo.yaml``; :func:`load_site` reads and validates it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from whistle.config.camera import CameraConfig
from whistle.config.common import GeoPoint, Identifier, TimeZoneName
from whistle.config.counter import AreaConfig, CounterConfig
from whistle.config.loader import StrictModel, load_yaml_model
from whistle.config.microphone import MicrophoneConfig

DeviceConfig = Annotated[
    CameraConfig | MicrophoneConfig | CounterConfig | AreaConfig, Field(discriminator="kind")
]


class AgentAssignment(StrictModel):
    """An edge agent (one Raspberry Pi) and the devices it serves."""

    id: Identifier
    devices: list[Identifier]


class SiteConfig(StrictModel):
    id: Identifier
    name: str
    name_en: str = ""
    kind: Literal["market", "park"]
    timezone: TimeZoneName = "Asia/Shanghai"
    location: GeoPoint | None = None
    #: The grid (网格) the site belongs to, for routing incidents.
    grid: Identifier | None = None
    #: People the site may hold at once (parks); warnings at 80 % and 100 %.
    capacity: Annotated[int, Field(gt=0)] | None = None
    agents: list[AgentAssignment] = Field(default_factory=list)
    devices: list[DeviceConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SiteConfig:
        ids = [d.id for d in self.devices]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"device ids used twice: {', '.join(dupes)}")
        known = set(ids)
        served: dict[str, str] = {}
        for agent in self.agents:
            if agent.id in known:
                raise ValueError(f"agent id {agent.id!r} is also a device id")
            for dev in agent.devices:
                if dev not in known:
                    raise ValueError(f"agent {agent.id!r} serves unknown device {dev!r}")
                if dev in served:
                    raise ValueError(
                        f"device {dev!r} is served by both {served[dev]!r} and {agent.id!r}"
                    )
                served[dev] = agent.id
        return self

    def device(
        self, device_id: str
    ) -> CameraConfig | MicrophoneConfig | CounterConfig | AreaConfig:
        for dev in self.devices:
            if dev.id == device_id:
                return dev
        raise KeyError(device_id)

    def agent(self, agent_id: str) -> AgentAssignment:
        for agent in self.agents:
            if agent.id == agent_id:
                return agent
        raise KeyError(agent_id)


def load_site(path: Path | str) -> SiteConfig:
    return load_yaml_model(path, SiteConfig)


def load_sites(directory: Path | str) -> list[SiteConfig]:
    """Every ``*.yaml`` site file in ``directory``, sorted by file name."""
    return [load_site(p) for p in sorted(Path(directory).glob("*.yaml"))]
