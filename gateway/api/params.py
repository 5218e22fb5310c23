"""Parameter types shared by the routers: ids as on the wire, times normalised to aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

#: A site, device, stream, zone or evidence id: one MQTT topic level ([a-z0-9_-]{1,64}).
WireIdStr = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]

#: Oldest and newest times accepted in queries (inside what every backend stores).
MIN_TIME = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(9000, 1, 1, tzinfo=UTC)


def _to_utc(value: datetime) -> datetime:
    """Naive times are taken as UTC; the result is aware UTC within MIN_TIME..MAX_TIME."""
    try:
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"time out of range: {exc}") from None
    if not MIN_TIME <= aware <= MAX_TIME:
        raise ValueError(f"time must be between {MIN_TIME.isoformat()} and {MAX_TIME.isoformat()}")
    return aware


#: An ISO 8601 time; without an offset it is UTC.
UtcDatetime = Annotated[datetime, AfterValidator(_to_utc)]
