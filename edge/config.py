"""The edge agent's own config: identity, site file, broker, outbox and telemetry policy.

One YAML file per agent, e.g. ``/etc/whistle/edge.yaml``::

    agent: edge-gumo-1
    site_file: /etc/whistle/sites/gumo.yaml
    data_dir: /var/lib/whistle
    broker:
      url: mqtts://gateway.example:8883
      username: edge-gumo-1
      password: "..."          # required when the broker needs it: there is no default secret
      tls_ca_file: /etc/whistle/ca.pem
    outbox:
      max_bytes: 268435456

The demo builds the same model from command-line flags (:func:`from_flags`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, Field, field_validator, model_validator

from whistle.config.common import Identifier
from whistle.config.loader import StrictModel, load_yaml_model
from whistle.config.site import SiteConfig


class BrokerConfig(StrictModel):
    #: ``mqtt://host[:1883]`` or ``mqtts://host[:8883]`` (TLS).
    url: str = "mqtt://127.0.0.1:1883"
    username: str | None = None
    #: Required when the broker asks for one; never defaulted.
    password: str | None = None
    #: CA bundle that signed the broker's certificate (``mqtts://``); None: the system store.
    tls_ca_file: Path | None = None
    #: ``auto`` tries MQTT 5 and falls back to 3.1.1 (the embedded amqtt demo broker is 3.1.1).
    protocol: Literal["auto", "5", "3.1.1"] = "auto"
    #: Keepalive in seconds; the broker publishes the last will after 1.5 x this of silence.
    keepalive_s: Annotated[int, Field(ge=2, le=3600)] = 30
    #: Reconnect backoff, seconds (doubling from min to max).
    reconnect_min_s: Annotated[int, Field(ge=1)] = 1
    reconnect_max_s: Annotated[int, Field(ge=1)] = 30

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(
                f"broker url {v!r} must look like mqtt://host:port or mqtts://host:port"
            )
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"broker url {v!r} has a bad port") from exc
        return v

    @model_validator(mode="after")
    def _credentials(self) -> BrokerConfig:
        if self.password is not None and not self.username:
            raise ValueError("a broker password needs a username")
        return self

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (8883 if self.tls else 1883)


class OutboxConfig(StrictModel):
    #: SQLite file; default ``<data_dir>/outbox.sqlite3``.
    path: Path | None = None
    #: Cap on the queued payload bytes. Over it: telemetry goes first, then evidence, then the
    #: oldest alerts; every drop is counted.
    max_bytes: Annotated[int, Field(ge=64 * 1024)] = 256 * 1024 * 1024
    #: Queued QoS 1 telemetry messages above which the telemetry backlog is thinned.
    telemetry_soft_cap: Annotated[int, Field(ge=10)] = 5000
    #: Thinning keeps every k-th queued telemetry message.
    thin_keep_every: Annotated[int, Field(ge=2)] = 2
    #: QoS 0 telemetry kept in memory while the broker is unreachable (oldest dropped).
    qos0_buffer: Annotated[int, Field(ge=0)] = 200
    #: Messages published and not yet acknowledged at once.
    inflight: Annotated[int, Field(ge=1, le=1000)] = 20
    #: ``full`` fsyncs every commit (survives power loss); ``normal`` survives a killed process.
    synchronous: Literal["full", "normal"] = "full"


class TelemetryPolicy(StrictModel):
    #: Seconds between the agent's own ``health`` telemetry.
    health_interval_s: Annotated[float, Field(gt=0, le=3600)] = 30.0
    #: Longest expected silence of a served device, for its birth.
    device_expected_interval_s: Annotated[float, Field(gt=0, le=86400)] = 120.0


class WorkerPolicy(StrictModel):
    #: Restart backoff of a worker whose run() raised, seconds (doubling from min to max).
    restart_min_s: Annotated[float, Field(gt=0)] = 1.0
    restart_max_s: Annotated[float, Field(gt=0)] = 60.0


class AgentConfig(StrictModel):
    agent: Identifier
    site_file: Path
    data_dir: Path = Path("/var/lib/whistle")
    broker: BrokerConfig = Field(default_factory=BrokerConfig)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    telemetry: TelemetryPolicy = Field(default_factory=TelemetryPolicy)
    workers: WorkerPolicy = Field(default_factory=WorkerPolicy)
    #: Simulated devices: start of the simulated clock and its speed.
    sim_start: AwareDatetime | None = None
    sim_speed: Annotated[float, Field(gt=0, le=1000)] = 1.0

    @property
    def outbox_path(self) -> Path:
        return self.outbox.path or self.data_dir / "outbox.sqlite3"


def load_agent_config(path: Path | str) -> AgentConfig:
    return load_yaml_model(path, AgentConfig)


def from_flags(
    *,
    agent: str,
    site_file: Path,
    broker_url: str,
    data_dir: Path,
    username: str | None = None,
    password: str | None = None,
    tls_ca_file: Path | None = None,
    protocol: str = "auto",
    sim_start: datetime | None = None,
    sim_speed: float = 1.0,
) -> AgentConfig:
    """The config of ``whistle edge --site ... --agent ...`` (the demo, no config file)."""
    document: dict[str, Any] = {
        "agent": agent,
        "site_file": site_file,
        "data_dir": data_dir,
        "broker": {
            "url": broker_url,
            "username": username,
            "password": password,
            "tls_ca_file": tls_ca_file,
            "protocol": protocol,
        },
        "sim_start": sim_start,
        "sim_speed": sim_speed,
    }
    return AgentConfig.model_validate(document)


def config_hash(site: SiteConfig, config: AgentConfig) -> str:
    """sha256 of the canonical JSON of the site and agent config (secrets left out)."""
    agent = config.model_dump(mode="json", exclude={"broker": {"password"}})
    canonical = json.dumps(
        {"site": site.model_dump(mode="json"), "agent": agent},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
