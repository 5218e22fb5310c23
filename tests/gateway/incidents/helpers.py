"""The incidents test world: gateway API + incidents over a real database, a local HTTP
receiver for notifications, an injectable clock, and alerts stored through core's ingest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from gateway import web
from gateway.api.app import create_app
from gateway.api.config import ApiConfig
from gateway.auth.users import create_user
from gateway.db.models import TelemetryMinute
from gateway.db.session import Store
from gateway.incidents import setup
from gateway.incidents.runtime import IncidentsRuntime
from gateway.ingest.alerts import store_alert
from gateway.service import GatewayService
from gateway.settings import Settings
from whistle.contract import AlertPayload

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "correct horse battery staple"
SECRET = "incidents-test-secret-0123456789"
DING_SECRET = "SECtest0123456789abcdef"
HOOK_SECRET = "hook-secret"
#: 05:00 Beijing time on a market morning.
T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)

USERS: dict[str, tuple[str, str | None, str | None]] = {
    "admin": ("admin", None, None),
    "viewer": ("viewer", None, None),
    "mgr_gumo": ("manager", "gumo", None),
    "centre": ("officer", None, "street_centre"),
    "off_market": ("officer", None, "market_supervision"),
    "off_police": ("officer", None, "police"),
    "off_city": ("officer", None, "city_enforcement"),
}


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes


class Receiver:
    """A real HTTP server on 127.0.0.1 standing in for the robots and the webhook. It checks
    DingTalk and webhook signatures and answers like the robots do; ``fail_next`` makes it
    answer 500 that many times."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.bad_signatures: list[str] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                parsed = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                with outer.lock:
                    if outer.fail_next > 0:
                        outer.fail_next -= 1
                        self.send_response(500)
                        self.end_headers()
                        self.wfile.write(b"boom")
                        return
                    outer._check(parsed.path, query, dict(self.headers), raw)
                    outer.received.append(
                        Received(parsed.path, query, dict(self.headers), json.loads(raw), raw)
                    )
                body = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _check(self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes) -> None:
        if path.endswith("/robot/send"):
            ts = query.get("timestamp", "")
            mac = hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(), hashlib.sha256)
            if query.get("sign") != base64.b64encode(mac.digest()).decode():
                self.bad_signatures.append(f"dingtalk {query}")
            if query.get("access_token") != "ding-token":
                self.bad_signatures.append("dingtalk token")
        if path.endswith("/hook"):
            ts = headers.get("X-Whistle-Timestamp", "")
            mac = hmac.new(HOOK_SECRET.encode(), f"{ts}.".encode() + raw, hashlib.sha256)
            if headers.get("X-Whistle-Signature") != "sha256=" + mac.hexdigest():
                self.bad_signatures.append("webhook")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def of(self, path_end: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path.endswith(path_end)]

    def clear(self) -> None:
        with self.lock:
            self.received.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def notify_yaml(url: str) -> str:
    return f"""
version: 1
language: both
channels:
  - {{id: market-group, kind: wecom, url: "{url}/cgi-bin/webhook/send?key=market-key"}}
  - {{id: centre-ding, kind: dingtalk, url: "{url}/robot/send?access_token=ding-token",
     secret: {DING_SECRET}}}
  - {{id: all-hook, kind: webhook, url: "{url}/hook", secret: {HOOK_SECRET}, rate_per_min: 600}}
rules:
  - {{channel: market-group, departments: [market_supervision], audience: officers,
     events: [incident_opened, incident_reopened, incident_escalated]}}
  - {{channel: centre-ding, departments: [street_centre, district_centre], audience: centre,
     events: [incident_escalated], mention_mobiles: ["13800000000"]}}
  - {{channel: centre-ding, grids: [huancui-gumo], audience: grid, events: [grid_miss]}}
  - {{channel: all-hook}}
retry: {{max_attempts: 3, base_s: 30, max_backoff_s: 600}}
"""


@dataclass
class World:
    backend: str
    store: Store
    service: GatewayService
    runtime: IncidentsRuntime
    client: TestClient
    receiver: Receiver
    clock: FakeClock
    tokens: dict[str, str] = field(default_factory=dict)

    def h(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, url: str, user: str = "admin", **kw: Any) -> Any:
        return self.client.get(url, headers=self.h(user), **kw)

    def post(self, url: str, user: str = "admin", **kw: Any) -> Any:
        return self.client.post(url, headers=self.h(user), **kw)

    def move(self, incident_id: int, to: str, user: str, **body: Any) -> Any:
        return self.post(f"/api/incidents/{incident_id}/transitions", user, json={"to": to, **body})

    def alert(
        self,
        *,
        type: str = "noise_exceedance",
        zone: str,
        site: str = "gumo",
        device: str = "noise-01",
        state: str = "opened",
        seq: int = 0,
        alert_id: uuid.UUID | None = None,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
        severity: str = "warning",
        threshold: float = 50.0,
        measured: dict[str, float] | None = None,
        details: dict[str, Any] | None = None,
    ) -> uuid.UUID:
        """Store an alert message through core's storage function and the listeners."""
        alert_id = alert_id or uuid.uuid4()
        started = started_at or self.clock.now
        payload = AlertPayload(
            schema_version=1,
            alert_id=alert_id,
            state=state,  # type: ignore[arg-type]
            seq=seq,
            type=type,
            severity=severity,  # type: ignore[arg-type]
            site=site,
            device=device,
            zone=zone,
            started_at=started,
            ended_at=ended_at,
            ts=self.clock.now,
            measured=measured if measured is not None else {"laeq": 63.0},
            threshold=threshold,
            unit="dB(A)",
            summary=f"{type} at {zone}",
            details=details or {},
        )
        with self.store.session() as s:
            assert store_alert(s, payload, self.service.alert_listeners) == "stored"
        return alert_id

    def telemetry(self, *, device: str, minute: datetime, mean: float, zone: str = "") -> None:
        with self.store.session() as s:
            s.add(
                TelemetryMinute(
                    site="gumo",
                    device=device,
                    stream="noise_1min",
                    zone=zone,
                    minute=minute.replace(second=0, microsecond=0),
                    field="laeq",
                    count=60,
                    mean=mean,
                    min=mean - 5,
                    max=mean + 8,
                    last=mean,
                )
            )

    def incident_of(self, alert_id: uuid.UUID) -> dict[str, Any]:
        from sqlalchemy import select

        from gateway.incidents.models import IncidentAlert

        with self.store.session() as s:
            iid = s.scalar(
                select(IncidentAlert.incident_id).where(IncidentAlert.alert_id == str(alert_id))
            )
        assert iid is not None, "the alert opened no incident"
        r = self.get(f"/api/incidents/{iid}")
        assert r.status_code == 200, r.text
        return dict(r.json())


def make_world(backend: str, url: str, tmp: Path) -> Iterator[World]:
    receiver = Receiver()
    notify_file = tmp / "notify.yaml"
    notify_file.write_text(notify_yaml(receiver.url), encoding="utf-8")
    settings = Settings(
        data_dir=tmp / "data",
        sites_dir=REPO / "config" / "sites",
        secret_key=SECRET,
        database_url=url,
        routing_file=REPO / "config" / "routing.yaml",
        notify_file=notify_file,
    )
    store = Store.from_url(url)
    store.migrate()
    service = GatewayService(settings, store=store)
    clock = FakeClock(T0)
    runtime = setup(service)  # what service.start() does, without the threads
    web.setup(service)  # and the pages' /web/api helpers (the centre's CSV)
    runtime.set_clock(clock)
    config = ApiConfig.from_settings(settings)
    app = create_app(service, config)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(backend, store, service, runtime, client, receiver, clock)
        with store.session() as s:
            for username, (role, site, dep) in USERS.items():
                create_user(s, username, PASSWORD, role, site, dep)
        for username in USERS:
            r = client.post("/api/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            world.tokens[username] = r.json()["access_token"]
        yield world
        assert app.state.internal_errors == [], "a request produced a 500"
    receiver.close()
    store.dispose()
