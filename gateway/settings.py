"""Gateway settings: defaults < YAML file (``Settings.load(path)``) < ``WHISTLE_*`` env < CLI.

Production mode (``demo`` false) needs ``secret_key`` and ``admin_password``
(:meth:`Settings.check_production`); the demo generates a secret key and uses
``demo_password`` for its demo users.
"""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "WHISTLE_"


class SettingsError(Exception):
    """Settings are missing or invalid; ``str()`` is the user-facing text."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    broker_url: str = "mqtt://127.0.0.1:1883"
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_protocol: Literal["auto", "5", "3.1.1"] = "auto"
    #: MQTT client id; must be stable across restarts (persistent session) and unique per
    #: instance. Default: whistle-gw-<hostname>.
    client_id: str = ""
    #: Shared subscription group for scale-out; None = a plain subscription.
    shared_group: str | None = None
    #: MQTT 5 session expiry: how long the broker keeps our queue while we are away, seconds.
    session_expiry_s: int = 7 * 24 * 3600
    database_url: str = ""  # default: sqlite in data_dir
    data_dir: Path = Path("data/gateway")
    sites_dir: Path = Path("config/sites")
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    secret_key: str | None = None
    admin_password: str | None = None
    #: A static bearer token Prometheus may scrape /metrics with (no user password in its config).
    metrics_token: str | None = None
    demo: bool = False
    demo_password: str | None = None
    evidence_retention_days: float = 90.0
    evidence_max_bytes: int = 256 * 1024
    telemetry_retention_days: float = 30.0
    dead_letter_retention_days: float = 14.0
    event_retention_days: float = 30.0
    #: Bound of the telemetry queue between the MQTT thread and the telemetry worker.
    telemetry_queue_size: int = 50_000
    #: How often in-memory minute aggregates and last-seen times are written, seconds.
    flush_interval_s: float = 2.0
    #: How often devices are checked for silence, seconds.
    presence_check_interval_s: float = 10.0
    influx_url: str | None = None
    influx_token: str = ""
    influx_org: str = "whistle"
    influx_bucket: str = "whistle"
    #: Points the gateway keeps for InfluxDB while it is unreachable (oldest dropped past it).
    influx_buffer_points: int = 200_000
    routing_file: Path = Path("config/routing.yaml")
    notify_file: Path | None = None
    #: Serve HTTP (off for ingest-only runs and benchmarks).
    serve_http: bool = True

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.client_id:
            self.client_id = f"whistle-gw-{socket.gethostname()}"[:64]
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'whistle.db').resolve()}"
        if self.demo and not self.secret_key:
            self.secret_key = secrets.token_urlsafe(32)
        if not self.broker_url.startswith(("mqtt://", "mqtts://")):
            raise ValueError(f"broker_url {self.broker_url!r} must start with mqtt:// or mqtts://")
        return self

    @classmethod
    def load(cls, path: Path | str | None = None, **overrides: Any) -> Settings:
        """Settings from an optional YAML file, then env, then ``overrides`` (None skipped)."""
        data: dict[str, Any] = {}
        if path is not None:
            try:
                loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise SettingsError(f"{path}: cannot read settings: {exc}") from exc
            if not isinstance(loaded, dict):
                raise SettingsError(f"{path}: settings must be a mapping")
            # Environment variables win over the file.
            data = {k: v for k, v in loaded.items() if f"{ENV_PREFIX}{k}".upper() not in os.environ}
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**data)
        except ValidationError as exc:
            where = f"{path}: " if path else ""
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(settings)'}: {e['msg']}"
                for e in exc.errors()
            )
            raise SettingsError(f"{where}{problems}") from exc

    def check_production(self) -> None:
        """Raise :class:`SettingsError` if a production (non-demo) run lacks its secrets."""
        if self.demo:
            if not self.demo_password:
                raise SettingsError("--demo needs --demo-password (or WHISTLE_DEMO_PASSWORD)")
            return
        missing = [n for n in ("secret_key", "admin_password") if not getattr(self, n)]
        if missing:
            names = ", ".join(f"{n} ({ENV_PREFIX}{n.upper()})" for n in missing)
            raise SettingsError(
                f"production mode needs {names}; set them in the settings file or the "
                "environment, or run with --demo --demo-password X"
            )

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"
