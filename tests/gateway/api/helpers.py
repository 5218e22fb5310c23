"""The API test world: a gateway API over a real database, seeded with known data.

One world per backend and test session: migrated schema, users of every role and scope,
alerts at two sites, evidence blobs, telemetry minutes and devices. Tests read it; tests that
write (events) only look at what they wrote.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gateway.api.app import create_app
from gateway.api.config import ApiConfig
from gateway.auth.users import create_user
from gateway.db.models import Alert, Device, Evidence, TelemetryMinute
from gateway.db.session import Store
from gateway.service import GatewayService
from gateway.settings import Settings

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-0123456789abcdef"

#: username -> (role, site, department)
USERS: dict[str, tuple[str, str | None, str | None]] = {
    "admin": ("admin", None, None),
    "viewer": ("viewer", None, None),
    "mgr_gumo": ("manager", "gumo", None),
    "mgr_park": ("manager", "haiyuan", None),
    "off_market": ("officer", None, "market_supervision"),
    "off_police": ("officer", None, "police"),
    "off_sanitation": ("officer", None, "sanitation"),
}

#: (site, device, type) cycled over the seeded alerts.
ALERT_KINDS = [
    ("gumo", "noise-01", "noise_exceedance"),
    ("gumo", "cam-01", "encroachment"),
    ("gumo", "cam-02", "rubbish_left"),
    ("haiyuan", "gate-1", "crowding"),
    ("haiyuan", "cam-p1", "vehicle_intrusion"),
]
N_ALERTS = 40
BASE_TIME = datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
PARK_SITE = """\
id: haiyuan
name: 海源公园
name_en: Haiyuan park
kind: park
capacity: 800
"""
JPEG = b"\xff\xd8\xff\xe0" + b"fake jpeg body" * 20 + b"\xff\xd9"


@dataclass
class World:
    backend: str
    store: Store
    service: GatewayService
    app: Any
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    #: alert_id -> (site, type, started_at, state)
    alerts: dict[str, tuple[str, str, datetime, str]] = field(default_factory=dict)
    noise_alert: str = ""
    park_alert: str = ""
    html_alert: str = ""

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def get(self, url: str, user: str = "admin", **kwargs: Any) -> Any:
        return self.client.get(url, headers=self.headers(user), **kwargs)


def _alert_id(i: int) -> str:
    return str(uuid.UUID(int=(i + 1) * 0x1000_0000_0000_0001))


def _seed(world: World, settings: Settings) -> None:
    evidence_dir = settings.evidence_dir
    evidence_dir.mkdir(parents=True, exist_ok=True)
    with world.store.session() as s:
        for username, (role, site, dep) in USERS.items():
            create_user(s, username, PASSWORD, role, site, dep)
        for i in range(N_ALERTS):
            site, device, kind = ALERT_KINDS[i % len(ALERT_KINDS)]
            # pairs of alerts share a start time, so pages must break ties by id
            started = BASE_TIME + timedelta(minutes=(i // 2) * 3)
            state = ("opened", "updated", "closed")[i % 3]
            aid = _alert_id(i)
            s.add(
                Alert(
                    alert_id=aid,
                    type=kind,
                    severity="warning",
                    site=site,
                    device=device,
                    zone=None,
                    state=state,
                    last_seq=0 if state == "opened" else 1,
                    started_at=started,
                    ended_at=started + timedelta(minutes=2) if state == "closed" else None,
                    updated_at=started,
                    measured={"laeq_db": 55.0 + i},
                    threshold=50.0,
                    unit="dB(A)",
                    summary=f"alert {i}",
                    details={"i": i},
                    evidence=[],
                )
            )
            world.alerts[aid] = (site, kind, started, state)
        world.noise_alert = _alert_id(0)
        world.park_alert = _alert_id(3)
        world.html_alert = _alert_id(5)  # gumo noise, too
        blobs = [
            (world.noise_alert, "snap-1", "image/jpeg", JPEG),
            (world.park_alert, "snap-1", "image/jpeg", JPEG + b"park"),
            (world.html_alert, "page-1", "text/html", b"<script>alert(1)</script>"),
        ]
        for aid, eid, ctype, data in blobs:
            rel = f"{aid}/{eid}"
            (evidence_dir / aid).mkdir(parents=True, exist_ok=True)
            (evidence_dir / rel).write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            s.add(
                Evidence(
                    evidence_id=eid,
                    alert_id=aid,
                    kind="snapshot",
                    content_type=ctype,
                    size_bytes=len(data),
                    sha256=sha,
                    path=rel,
                )
            )
            alert = s.get(Alert, aid)
            assert alert is not None
            ref = {
                "evidence_id": eid,
                "kind": "snapshot",
                "content_type": ctype,
                "size_bytes": len(data),
                "sha256": sha,
            }
            # a second ref whose blob never arrived
            alert.evidence = [ref, {**ref, "evidence_id": "trace-1", "kind": "level_trace"}]
        for site, device, state in [
            ("gumo", "noise-01", "online"),
            ("gumo", "cam-01", "stale"),
            ("haiyuan", "gate-1", "online"),
        ]:
            s.add(
                Device(
                    site=site,
                    device_id=device,
                    kind="microphone" if device.startswith("noise") else "camera",
                    agent="edge-1",
                    state=state,
                    last_seen=BASE_TIME,
                    software_version="1.0",
                    config_hash="abc",
                )
            )
        # 10 minutes of LAeq: minute k has count 60, mean 50+k, min 40+k, max 60+k, last 51+k
        for k in range(10):
            for zone in ("", "north"):
                s.add(
                    TelemetryMinute(
                        site="gumo",
                        device="noise-01",
                        stream="noise",
                        zone=zone,
                        minute=BASE_TIME + timedelta(minutes=k),
                        field="laeq_db",
                        count=60,
                        mean=50.0 + k,
                        min=40.0 + k,
                        max=60.0 + k,
                        last=51.0 + k,
                    )
                )


def make_world(backend: str, url: str, tmp: Path) -> Iterator[World]:
    sites_dir = tmp / "sites"
    sites_dir.mkdir()
    shutil.copy(REPO / "config" / "sites" / "gumo.yaml", sites_dir / "gumo.yaml")
    (sites_dir / "haiyuan.yaml").write_text(PARK_SITE, encoding="utf-8")
    (sites_dir / "broken.yaml").write_text("id: [not closed\n", encoding="utf-8")
    settings = Settings(
        data_dir=tmp / "data",
        sites_dir=sites_dir,
        secret_key=SECRET,
        database_url=url,
        metrics_token="scrape-token-1234",  # WHISTLE_METRICS_TOKEN
    )
    store = Store.from_url(url)
    store.migrate()
    service = GatewayService(settings, store=store)
    config = ApiConfig.from_settings(settings)
    config.stream_poll_s = 0.05
    app = create_app(service, config)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(backend, store, service, app, client)
        _seed(world, settings)
        for username in USERS:
            r = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            world.tokens[username] = r.json()["access_token"]
        yield world
        assert list(app.state.internal_errors) == [], "a request produced a 500"
    store.dispose()
