"""Sites from the site YAML files (``settings.sites_dir``) with the presence of their devices."""

from __future__ import annotations

import logging
from pathlib import Path
from threading import Lock

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from gateway.api.config import ApiConfig
from gateway.api.schemas import SiteDevice, SiteOut
from gateway.auth.deps import CurrentPrincipal, DbSession
from gateway.auth.scope import alert_clause, can_see_site, scope_of
from gateway.db.models import Alert, Device
from whistle.config.loader import ConfigError
from whistle.config.site import SiteConfig, load_site

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/sites", tags=["sites"])

_cache: dict[Path, tuple[float, SiteConfig | None]] = {}
_cache_lock = Lock()


def load_site_files(directory: Path) -> list[SiteConfig]:
    """Every valid site file in ``directory`` (re-read when it changes; bad files logged and
    left out, so one typo does not take the API down)."""
    sites: list[SiteConfig] = []
    try:
        paths = sorted(directory.glob("*.yaml"))
    except OSError as exc:
        log.warning("cannot list site files in %s: %s", directory, exc)
        return sites
    for path in paths:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        with _cache_lock:
            cached = _cache.get(path)
        if cached is None or cached[0] != mtime:
            site: SiteConfig | None
            try:
                site = load_site(path)
            except (ConfigError, OSError, ValueError) as exc:
                log.warning("site file %s left out: %s", path, exc)
                site = None
            with _cache_lock:
                _cache[path] = (mtime, site)
            cached = (mtime, site)
        if cached[1] is not None:
            sites.append(cached[1])
    return sites


@router.get("", response_model=list[SiteOut])
def list_sites(request: Request, principal: CurrentPrincipal, session: DbSession) -> list[SiteOut]:
    """The sites the caller may see, their devices with presence, and their open alerts."""
    config: ApiConfig = request.app.state.api_config
    sites = [s for s in load_site_files(config.sites_dir) if can_see_site(principal, s.id)]
    if not sites:
        return []
    ids = [s.id for s in sites]
    presence = {
        (d.site, d.device_id): d
        for d in session.scalars(select(Device).where(Device.site.in_(ids)))
    }
    open_counts: dict[str, int] = {
        site_id: int(n)
        for site_id, n in session.execute(
            select(Alert.site, func.count())
            .where(
                Alert.site.in_(ids),
                Alert.state != "closed",
                alert_clause(principal, scope_of(request.app.state.service)),
            )
            .group_by(Alert.site)
        )
    }
    out = []
    for site in sites:
        served = {dev: a.id for a in site.agents for dev in a.devices}
        devices = []
        for dev in site.devices:
            row = presence.get((site.id, dev.id))
            devices.append(
                SiteDevice(
                    id=dev.id,
                    kind=dev.kind,
                    agent=served.get(dev.id),
                    state=row.state if row is not None else "unknown",
                    last_seen=row.last_seen if row is not None else None,
                )
            )
        out.append(
            SiteOut(
                id=site.id,
                name=site.name,
                name_en=site.name_en,
                kind=site.kind,
                timezone=site.timezone,
                grid=site.grid,
                capacity=site.capacity,
                location=site.location.model_dump() if site.location else None,
                devices=devices,
                devices_online=sum(d.state == "online" for d in devices),
                open_alerts=int(open_counts.get(site.id, 0)),
            )
        )
    return out
