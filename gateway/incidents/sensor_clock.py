"""The sensors' own clock, for checks that compare sensor data with a moment of the workflow.

Sensor verification asks "quiet for 10 minutes after the resolution" of telemetry stamped with
*device* times. In production device clocks follow NTP and equal the gateway's; a simulated
morning replayed at 10x real time (the demo, the tests) runs on its own clock. So the moment of
resolution is also recorded on the sensors' clock: the newest telemetry minute of the
incident's devices, then, and "now" for verification is the newest minute seen since.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.db.models import Alert, TelemetryMinute
from gateway.incidents.models import IncidentAlert

#: A telemetry minute row covers [minute, minute + 1 min); its data runs up to the end.
MINUTE = timedelta(minutes=1)


def incident_devices(session: Session, incident_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Alert.device)
            .join(IncidentAlert, IncidentAlert.alert_id == Alert.alert_id)
            .where(IncidentAlert.incident_id == incident_id)
            .distinct()
        )
    )


def sensor_now(session: Session, site: str, devices: Iterable[str]) -> datetime | None:
    """The newest device time seen from ``devices`` (end of their newest telemetry minute)."""
    names = sorted(set(devices))
    if not names:
        return None
    newest = session.scalar(
        select(func.max(TelemetryMinute.minute)).where(
            TelemetryMinute.site == site, TelemetryMinute.device.in_(names)
        )
    )
    if newest is None:
        return None
    if newest.tzinfo is None:  # func.max keeps the column type on most backends; be sure
        newest = newest.replace(tzinfo=UTC)
    return newest + MINUTE
