"""Devices and agents as the gateway last heard of them (presence from births, wills, silence)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from gateway.api.params import WireIdStr
from gateway.api.schemas import DeviceOut
from gateway.auth.deps import CurrentPrincipal, DbSession
from gateway.auth.roles import MANAGER
from gateway.db.models import Device

router = APIRouter(prefix="/api/devices", tags=["devices"])

MAX_DEVICES = 5000


@router.get("", response_model=list[DeviceOut])
def list_devices(
    principal: CurrentPrincipal,
    session: DbSession,
    site: WireIdStr | None = None,
    state: Literal["online", "offline", "stopped", "stale"] | None = None,
    agents: Annotated[
        bool | None, Query(description="true: only agents; false: only devices")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_DEVICES)] = 1000,
) -> list[DeviceOut]:
    """Devices the caller may see (a manager: their site), by site then id."""
    query = select(Device)
    if principal.role == MANAGER:
        query = query.where(Device.site == (principal.site or ""))
    if site is not None:
        query = query.where(Device.site == site)
    if state is not None:
        query = query.where(Device.state == state)
    if agents is not None:
        query = query.where(Device.is_agent == agents)
    rows = session.scalars(query.order_by(Device.site, Device.device_id).limit(limit))
    return [DeviceOut.model_validate(d) for d in rows]
