"""What the API takes from the gateway's Settings, resolved once when the app is built."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Lifetime of a bearer token and of a cookie session, seconds.
TOKEN_TTL_S = 12 * 3600
SESSION_TTL_S = 12 * 3600
#: Largest request body accepted, bytes (the API takes forms and small JSON; 413 beyond).
MAX_BODY_BYTES = 1024 * 1024


@dataclass
class ApiConfig:
    secret_key: bytes
    sites_dir: Path
    evidence_dir: Path
    demo: bool = False
    demo_password: str | None = None
    admin_password: str | None = None
    #: A static bearer token Prometheus may use for ``/metrics`` (besides an admin's token).
    metrics_token: str | None = None
    token_ttl_s: int = TOKEN_TTL_S
    session_ttl_s: int = SESSION_TTL_S
    #: None: mark the cookie Secure when the request came over https.
    cookie_secure: bool | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    #: How often the SSE stream polls the event table, seconds.
    stream_poll_s: float = 0.5
    #: Create the demo users / the admin account at startup.
    bootstrap_users: bool = True

    @classmethod
    def from_settings(cls, settings: Any) -> ApiConfig:
        secret: Any = getattr(settings, "secret_key", None)
        if hasattr(secret, "get_secret_value"):
            secret = secret.get_secret_value()
        if not secret:
            # Settings.check_production refuses this outside the demo; tests get a random key.
            log.warning("no secret_key set: tokens are signed with a random per-process key")
            secret = secrets.token_urlsafe(32)
        data_dir = Path(getattr(settings, "data_dir", "data/gateway"))
        evidence_dir = getattr(settings, "evidence_dir", None) or data_dir / "evidence"
        return cls(
            secret_key=str(secret).encode("utf-8"),
            sites_dir=Path(getattr(settings, "sites_dir", "config/sites")),
            evidence_dir=Path(evidence_dir),
            demo=bool(getattr(settings, "demo", False)),
            demo_password=getattr(settings, "demo_password", None),
            admin_password=getattr(settings, "admin_password", None),
            metrics_token=settings.metrics_token,
        )
