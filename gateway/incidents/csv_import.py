"""Import a 12345 hotline export (CSV) as complaints.

Columns (English or the hotline's Chinese headers): ``ticket_id`` (工单编号), ``requested_at``
(受理时间, ISO 8601; without an offset it is local time of the routing timezone),
``service_code`` (诉求类别), ``description`` (诉求内容), ``address`` (地址), ``lat`` (纬度),
``long`` (经度), ``site``, ``zone``. Each row is stored in its own transaction: a bad row is
reported with its line number and skipped, nothing else is lost; a ticket imported twice is
stored once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from gateway.incidents.complaints import ComplaintError, ComplaintInput, register_complaint
from gateway.incidents.engine import IncidentEngine

ALIASES = {
    "ticket_id": ("ticket_id", "工单编号", "工单号"),
    "requested_at": ("requested_at", "requested_datetime", "受理时间"),
    "service_code": ("service_code", "诉求类别", "类别"),
    "description": ("description", "诉求内容", "内容"),
    "address": ("address", "address_string", "地址"),
    "lat": ("lat", "纬度"),
    "long": ("long", "lon", "经度"),
    "site": ("site",),
    "zone": ("zone",),
}
REQUIRED = ("ticket_id", "requested_at", "service_code")


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: int = 0
    matched: int = 0
    misses: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _columns(header: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    cleaned = {h.strip().lstrip("\ufeff"): h for h in header}
    for key, names in ALIASES.items():
        for name in names:
            if name in cleaned:
                found[key] = cleaned[name]
                break
    return found


def _float(value: str, name: str) -> float | None:
    if not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise ComplaintError(f"{name} {value!r} is not a number") from None


def parse_row(row: dict[str, Any], cols: dict[str, str], tz: str) -> ComplaintInput:
    def get(key: str) -> str:
        return str(row.get(cols[key]) or "").strip() if key in cols else ""

    for key in REQUIRED:
        if not get(key):
            raise ComplaintError(f"{key} is empty")
    try:
        when = datetime.fromisoformat(get("requested_at").replace("Z", "+00:00"))
    except ValueError:
        raise ComplaintError(f"requested_at {get('requested_at')!r} is not ISO 8601") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz))
    lat, lon = _float(get("lat"), "lat"), _float(get("long"), "long")
    if lat is not None and not -90 <= lat <= 90:
        raise ComplaintError(f"lat {lat} is out of range")
    if lon is not None and not -180 <= lon <= 180:
        raise ComplaintError(f"long {lon} is out of range")
    return ComplaintInput(
        service_code=get("service_code"),
        requested_at=when,
        description=get("description")[:4000],
        address=get("address")[:300],
        lat=lat,
        lon=lon,
        site=get("site") or None,
        zone=get("zone") or None,
        external_id=f"12345:{get('ticket_id')}"[:100],
        channel="csv",
    )


def import_csv(engine: IncidentEngine, store: Any, path: Path) -> ImportReport:
    from sqlalchemy import select

    from gateway.incidents.models import Complaint

    report = ImportReport()
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        report.errors.append((0, f"cannot read {path}: {exc.strerror or exc}"))
        return report
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as exc:
            report.errors.append((1, f"unreadable header: {exc}"))
            return report
        cols = _columns(list(header))
        missing = [k for k in REQUIRED if k not in cols]
        if missing:
            report.errors.append((1, f"missing column(s): {', '.join(missing)}"))
            return report
        line = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                report.errors.append((reader.line_num, f"unreadable row: {exc}"))
                continue
            line = reader.line_num
            try:
                item = parse_row(row, cols, engine.routing.timezone)
                with store.session() as session:
                    seen = session.scalar(
                        select(Complaint.id).where(Complaint.external_id == item.external_id)
                    )
                    if seen is not None:
                        report.duplicates += 1
                        continue
                    complaint = register_complaint(engine, session, item)
                    report.imported += 1
                    report.misses += 1 if complaint.grid_miss else 0
                    report.matched += 1 if complaint.matched_alert_id else 0
            except ComplaintError as exc:
                report.errors.append((line, str(exc)))
    return report
