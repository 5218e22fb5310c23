"""The web test world: a real gateway (uvicorn in a thread, SQLite, incidents, pages) and
helpers that feed it alerts, evidence, telemetry and device presence through core's storage
functions (the same code the MQTT ingest calls)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from gateway.api.app import create_app
from gateway.api.config import ApiConfig
from gateway.auth.users import create_user
from gateway.db.models import Device, TelemetryMinute
from gateway.db.session import Store
from gateway.ingest.alerts import store_alert
from gateway.service import GatewayService
from gateway.settings import Settings
from tests.uvicorn_thread import ServerThread
from whistle.contract import AlertPayload, EvidencePayload

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "web test password 42"
SECRET = "web-test-secret-0123456789abcdef"
USERS: dict[str, tuple[str, str | None, str | None]] = {
    "admin": ("admin", None, None),
    "viewer": ("viewer", None, None),
    "mgr": ("manager", "gumo", None),
    "officer": ("officer", None, "market_supervision"),
    "centre": ("officer", None, "street_centre"),
}
PARK_SITE = """\
id: haiyuan-park
name: 海源公园
name_en: Haiyuan park
kind: park
capacity: 800
location: {lat: 37.5255, lon: 122.0950}
devices:
  - {id: gate-n, kind: counter, name: 北门, name_en: North gate, source: {kind: http}}
  - {id: park-main, kind: area, name: 海源公园全园, name_en: Whole park, capacity: 800,
     gates: [gate-n]}
"""


def snapshot_jpeg(label: str) -> bytes:
    """An annotated snapshot like the camera worker's: a street with a boxed stall."""
    img = np.full((360, 640, 3), 90, np.uint8)
    cv2.rectangle(img, (0, 200), (640, 360), (150, 150, 150), -1)
    cv2.rectangle(img, (300, 220), (380, 300), (40, 40, 200), 3)
    cv2.putText(img, label, (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return bytes(buf.tobytes())


@dataclass
class World:
    url: str
    store: Store
    service: GatewayService
    app: Any
    settings: Settings
    alerts: list[str] = field(default_factory=list)

    def alert(
        self,
        *,
        type: str = "noise_exceedance",
        device: str = "noise-02",
        zone: str | None = None,
        site: str = "gumo",
        state: str = "opened",
        seq: int = 0,
        alert_id: uuid.UUID | None = None,
        evidence: bool = True,
    ) -> uuid.UUID:
        """Store an alert message (and its evidence blobs) the way ingest does."""
        alert_id = alert_id or uuid.uuid4()
        now = datetime.now(UTC)
        blobs: list[EvidencePayload] = []
        if evidence:
            blobs.extend(self._evidence(alert_id, type, now))
        payload = AlertPayload(
            schema_version=1,
            alert_id=alert_id,
            state=state,  # type: ignore[arg-type]
            seq=seq,
            type=type,
            severity="warning",  # type: ignore[arg-type]
            site=site,
            device=device,
            zone=zone or f"z{alert_id.hex[:6]}",
            started_at=now - timedelta(minutes=2),
            ts=now,
            measured={"laeq_mean_db": 63.4, "lafmax_peak_db": 78.0},
            threshold=50.0,
            unit="dB(A)",
            summary="LAeq,5min over 50 dB(A) (night, class 2); likely source: loudspeaker_loop",
            details={"period": "night", "zone_class": "2", "source_hint": "loudspeaker_loop"},
            evidence=tuple(b.ref() for b in blobs),
        )
        with self.store.session() as s:
            for blob in blobs:
                self.service.evidence.save(s, blob)
            assert store_alert(s, payload, self.service.alert_listeners) == "stored"
        self.alerts.append(str(alert_id))
        return alert_id

    def _evidence(self, alert_id: uuid.UUID, type: str, now: datetime) -> list[EvidencePayload]:
        from edge.noise import evidence as noise_evidence

        out = [
            EvidencePayload.build(
                alert_id=alert_id,
                evidence_id="snap-1",
                kind="snapshot",
                content_type="image/jpeg",
                ts=now,
                data=snapshot_jpeg(type),
            )
        ]
        if type.startswith("noise"):
            rows = [
                (
                    now - timedelta(seconds=120 - k),
                    48.0 + 15 * (k > 40) + (k % 7) * 0.5,
                    60.0 + 15 * (k > 40),
                    True,
                )
                for k in range(120)
            ]
            centres = np.array([31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000], float)
            bands = np.array([40, 45, 52, 58, 66, 70, 64, 55, 44], float)
            for blob in (
                noise_evidence.level_trace(rows, 50.0),
                noise_evidence.spectrum(now, centres, bands),
            ):
                out.append(
                    EvidencePayload.build(
                        alert_id=alert_id,
                        evidence_id=blob.kind.replace("_", "-"),
                        kind=blob.kind,
                        content_type=blob.content_type,
                        ts=now,
                        data=blob.data,
                    )
                )
        return out

    def noise_hour(self, device: str, base_db: float) -> None:
        """An hour of 1-minute LAeq aggregates up to now."""
        start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=59)
        with self.store.session() as s:
            for k in range(60):
                mean = base_db + 8.0 * (30 <= k < 40) + (k % 5) * 0.4
                s.add(
                    TelemetryMinute(
                        site="gumo",
                        device=device,
                        stream="noise_1min",
                        zone="",
                        minute=start + timedelta(minutes=k),
                        field="laeq",
                        count=60,
                        mean=mean,
                        min=mean - 4,
                        max=mean + 9,
                        last=mean,
                    )
                )

    def telemetry(
        self, site: str, device: str, stream: str, values: dict[str, float], minutes: int = 1
    ) -> None:
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        with self.store.session() as s:
            for k in range(minutes):
                minute = end - timedelta(minutes=10 * (minutes - 1 - k))
                for name, v in values.items():
                    v = v * (0.5 + 0.5 * (k + 1) / minutes) if name == "occupancy" else v
                    s.add(
                        TelemetryMinute(
                            site=site,
                            device=device,
                            stream=stream,
                            zone="",
                            minute=minute,
                            field=name,
                            count=6,
                            mean=v,
                            min=v,
                            max=v,
                            last=v,
                        )
                    )

    def devices(self) -> None:
        """Presence rows like births would write: most online, one stale, one offline."""
        now = datetime.now(UTC)
        with self.store.session() as s:
            for n in range(1, 18):
                state = "stale" if n == 5 else "offline" if n == 9 else "online"
                s.add(
                    Device(
                        site="gumo",
                        device_id=f"cam-{n:02d}",
                        kind="camera",
                        agent="edge-gumo-cams",
                        state=state,
                        last_seen=now,
                        software_version="0.9.3",
                        config_hash=f"c{n:02d}ab12ef",
                    )
                )
            for n in range(1, 5):
                s.add(
                    Device(
                        site="gumo",
                        device_id=f"noise-{n:02d}",
                        kind="microphone",
                        agent="edge-gumo-noise",
                        state="online",
                        last_seen=now,
                        software_version="0.9.3",
                        config_hash="9f00aa",
                    )
                )
        self.telemetry(
            "gumo", "cam-01", "health", {"fps": 4.9, "stalled": 0.0, "frozen": 0.0, "drops": 3.0}
        )
        self.telemetry(
            "gumo", "cam-05", "health", {"fps": 0.0, "stalled": 1.0, "frozen": 0.0, "drops": 40.0}
        )


def make_world(tmp: Path) -> Iterator[World]:
    from gateway import incidents, web

    sites = tmp / "sites"
    sites.mkdir()
    shutil.copy(REPO / "config" / "sites" / "gumo.yaml", sites / "gumo.yaml")
    (sites / "haiyuan-park.yaml").write_text(PARK_SITE, encoding="utf-8")
    settings = Settings(
        data_dir=tmp / "data",
        sites_dir=sites,
        secret_key=SECRET,
        database_url=f"sqlite:///{tmp / 'whistle.db'}",
        routing_file=REPO / "config" / "routing.yaml",
    )
    store = Store.from_url(settings.database_url)
    store.migrate()
    service = GatewayService(settings, store=store)
    incidents.setup(service)  # what service.start() does, without the periodic threads
    web.setup(service)
    config = ApiConfig.from_settings(settings)
    config.stream_poll_s = 0.1
    app = create_app(service, config)
    with store.session() as s:
        for username, (role, site, dep) in USERS.items():
            create_user(s, username, PASSWORD, role, site, dep)
    with ServerThread(app) as server:
        world = World(f"http://127.0.0.1:{server.port}", store, service, app, settings)
        yield world
    store.dispose()
