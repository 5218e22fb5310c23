"""Parse the gate counters' vendor format (see :mod:`firmware_sim.counters.vendor`, docs/parks.md).

One HTTP ``POST /counts`` per report, body JSON: one report object or an array of them (a
buffered burst). Every field is checked; errors name the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.parks.increments import CounterReading


class VendorFormatError(ValueError):
    """A report that does not follow the vendor format; the message says which field."""


def _int_field(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise VendorFormatError(f"field {key!r}: expected a non-negative integer, got {value!r}")
    return value


@dataclass(frozen=True)
class ParsedReport:
    serial: str
    reading: CounterReading


def parse_report(obj: Any) -> ParsedReport:
    """Validate one decoded JSON report; raise :class:`VendorFormatError` naming the bad field."""
    if not isinstance(obj, dict):
        raise VendorFormatError(f"report: expected a JSON object, got {type(obj).__name__}")
    serial = obj.get("serial")
    if not isinstance(serial, str) or not serial:
        raise VendorFormatError(f"field 'serial': expected a non-empty string, got {serial!r}")
    raw_ts = obj.get("ts")
    if not isinstance(raw_ts, str):
        raise VendorFormatError(f"field 'ts': expected an ISO 8601 string, got {raw_ts!r}")
    try:
        ts = datetime.fromisoformat(raw_ts.replace("Z", "+00:00"))
    except ValueError as exc:
        raise VendorFormatError(f"field 'ts': not an ISO 8601 time: {raw_ts!r}") from exc
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    period = obj.get("period_s", 10.0)
    if isinstance(period, bool) or not isinstance(period, int | float) or period <= 0:
        raise VendorFormatError(f"field 'period_s': expected a positive number, got {period!r}")
    return ParsedReport(
        serial,
        CounterReading(
            ts_s=ts.timestamp(),
            seq=_int_field(obj, "seq"),
            uptime_s=float(_int_field(obj, "uptime_s")),
            in_total=_int_field(obj, "in_total"),
            out_total=_int_field(obj, "out_total"),
        ),
    )


def parse_body(obj: Any) -> list[ParsedReport]:
    """A POST body: one report object or a JSON array of them (a buffered burst)."""
    if isinstance(obj, list):
        return [parse_report(o) for o in obj]
    return [parse_report(obj)]
