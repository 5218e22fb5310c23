"""Downsampling: 1-second telemetry to 1-minute aggregates (count, mean, min, max, last).

Messages are folded into an in-memory table keyed by (site, device, stream, zone, minute,
field) and flushed periodically with one batched upsert that merges with what is already
stored (count-weighted mean), so several flushes (or several gateway instances) of the same
minute combine correctly. Re-delivered messages are skipped by (device, seq) while their seq
is among the device's recent ones (:class:`RecentSeqs`), so replays do not double-count.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gateway.db.models import TelemetryMinute

Key = tuple[str, str, str, str, int, str]  # site, device, stream, zone, minute epoch s, field
#: How many recent seqs per device are remembered for dedupe.
RECENT_SEQS = 4096


class RecentSeqs:
    """The last ``size`` sequence numbers seen per device: ``seen(key, seq)`` is True for a
    repeat (and remembers ``seq`` otherwise)."""

    def __init__(self, size: int = RECENT_SEQS) -> None:
        self._size = size
        self._sets: dict[tuple[str, str], set[Hashable]] = {}
        self._orders: dict[tuple[str, str], deque[Hashable]] = {}

    def seen(self, key: tuple[str, str], seq: Hashable) -> bool:
        known = self._sets.get(key)
        if known is None:
            known = self._sets[key] = set()
            self._orders[key] = deque()
        if seq in known:
            return True
        order = self._orders[key]
        known.add(seq)
        order.append(seq)
        if len(order) > self._size:
            known.discard(order.popleft())
        return False


class MinuteAggregator:
    """Thread-safe in-memory minute aggregates; :meth:`drain` hands them over for writing."""

    def __init__(self) -> None:
        self._cells: dict[Key, list[float]] = {}  # count, sum, min, max, last
        self._lock = threading.Lock()

    def add(
        self,
        site: str,
        device: str,
        stream: str,
        zone: str | None,
        ts: datetime,
        values: dict[str, float],
    ) -> None:
        minute = int(ts.timestamp()) // 60 * 60
        zone_key = zone or ""
        with self._lock:
            cells = self._cells
            for name, value in values.items():
                key = (site, device, stream, zone_key, minute, name)
                cell = cells.get(key)
                if cell is None:
                    cells[key] = [1.0, value, value, value, value]
                else:
                    cell[0] += 1.0
                    cell[1] += value
                    if value < cell[2]:
                        cell[2] = value
                    if value > cell[3]:
                        cell[3] = value
                    cell[4] = value

    def __len__(self) -> int:
        return len(self._cells)

    def drain(self) -> list[dict[str, Any]]:
        """The aggregated rows so far (the table starts empty again)."""
        with self._lock:
            cells, self._cells = self._cells, {}
        return [
            {
                "site": site,
                "device": device,
                "stream": stream,
                "zone": zone,
                "minute": datetime.fromtimestamp(minute, UTC),
                "field": name,
                "count": int(c[0]),
                "mean": c[1] / c[0],
                "min": c[2],
                "max": c[3],
                "last": c[4],
            }
            for (site, device, stream, zone, minute, name), c in cells.items()
        ]

    def restore(self, rows: list[dict[str, Any]]) -> None:
        """Put drained rows back (a failed write), merging with what arrived since."""
        with self._lock:
            for row in rows:
                minute = int(row["minute"].timestamp())
                key = (row["site"], row["device"], row["stream"], row["zone"], minute, row["field"])
                old = [
                    float(row["count"]),
                    row["mean"] * row["count"],
                    row["min"],
                    row["max"],
                    row["last"],
                ]
                cell = self._cells.get(key)
                if cell is None:
                    self._cells[key] = old
                else:  # cell is newer: keep its last
                    self._cells[key] = [
                        cell[0] + old[0],
                        cell[1] + old[1],
                        min(cell[2], old[2]),
                        max(cell[3], old[3]),
                        cell[4],
                    ]


def flush_minutes(session: Session, rows: list[dict[str, Any]]) -> int:
    """Upsert drained rows (from :meth:`MinuteAggregator.drain`), merging with stored ones."""
    if not rows:
        return 0
    table: Table = TelemetryMinute.__table__  # type: ignore[assignment]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table)
    new = stmt.excluded
    c = table.c
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.site, c.device, c.stream, c.zone, c.minute, c.field],
        set_={
            "count": c["count"] + new["count"],
            "mean": (c.mean * c["count"] + new.mean * new["count"]) / (c["count"] + new["count"]),
            "min": case((new["min"] < c["min"], new["min"]), else_=c["min"]),
            "max": case((new["max"] > c["max"], new["max"]), else_=c["max"]),
            "last": new["last"],
        },
    )
    session.execute(stmt, rows)
    return len(rows)


def purge_minutes(session: Session, older_than: datetime) -> int:
    """Delete aggregates of minutes before ``older_than``; returns how many rows."""
    result: Any = session.execute(
        delete(TelemetryMinute).where(TelemetryMinute.minute < older_than)
    )
    return int(result.rowcount or 0)
