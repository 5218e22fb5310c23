"""The disk outbox: every alert, evidence and QoS 1 telemetry message waits here until acked.

A message is committed to SQLite (WAL) *before* it is published and deleted only when the broker
acknowledges it (the QoS 1 PUBACK for its message id), so a killed agent loses nothing it had
accepted and re-sends only what was not acknowledged.

Size policy (``max_bytes`` counts queued payload bytes):

1. QoS 1 telemetry is *thinned* once more than ``telemetry_soft_cap`` messages wait: every
   k-th queued telemetry message is kept, the rest dropped (repeated thinning makes old history
   sparser and keeps the whole outage covered).
2. Over ``max_bytes``: the oldest telemetry goes first, then the oldest evidence, then the oldest
   alerts. A message larger than the whole cap is refused.

Every drop is counted by reason in :attr:`Outbox.drops`.

The outbox also keeps the open alert episodes (to close them after a crash) and the per-device
telemetry sequence reservations (so ``seq`` never goes back after a restart).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    alert_id TEXT,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_alert ON messages (alert_id, id);
CREATE INDEX IF NOT EXISTS messages_kind ON messages (kind, id);
CREATE TABLE IF NOT EXISTS episodes (
    alert_id TEXT PRIMARY KEY,
    device TEXT NOT NULL,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS seqs (
    device TEXT PRIMARY KEY,
    reserved INTEGER NOT NULL
);
"""


class Kind(StrEnum):
    ALERT = "alert"
    EVIDENCE = "evidence"
    TELEMETRY = "telemetry"


#: Eviction order when over the byte cap: first kinds go first.
EVICTION_ORDER = (Kind.TELEMETRY, Kind.EVIDENCE, Kind.ALERT)


@dataclass(frozen=True)
class Outgoing:
    """A message to queue."""

    kind: Kind
    topic: str
    payload: bytes
    qos: int = 1
    alert_id: str | None = None


@dataclass(frozen=True)
class Queued:
    """A message in the outbox, with its queue position ``id`` (increasing)."""

    id: int
    kind: Kind
    topic: str
    payload: bytes
    qos: int
    alert_id: str | None


@dataclass(frozen=True)
class EpisodeChange:
    """Record (``payload`` set) or forget (``payload`` None) an open episode."""

    alert_id: str
    device: str
    payload: bytes | None


class OutboxError(RuntimeError):
    pass


class Outbox:
    """Thread-safe SQLite queue. Worker threads put, the sender takes, the MQTT thread acks."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 256 * 1024 * 1024,
        telemetry_soft_cap: int = 5000,
        thin_keep_every: int = 2,
        synchronous: str = "full",
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.telemetry_soft_cap = telemetry_soft_cap
        self.thin_keep_every = thin_keep_every
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                str(self.path), check_same_thread=False, isolation_level=None, timeout=10
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise OutboxError(f"{self.path}: cannot open the outbox database: {exc}") from exc
        self._inflight: set[int] = set()
        self.drops: Counter[str] = Counter()
        self._count: Counter[Kind] = Counter()
        self._bytes: Counter[Kind] = Counter()
        for kind, count, size in self._db.execute(
            "SELECT kind, COUNT(*), COALESCE(SUM(size), 0) FROM messages GROUP BY kind"
        ):
            self._count[Kind(kind)] = count
            self._bytes[Kind(kind)] = size

    # -- queueing -------------------------------------------------------------------------

    def put(self, items: list[Outgoing], episode: EpisodeChange | None = None) -> list[int]:
        """Queue ``items`` (and record ``episode``) in one transaction; return their ids.

        A message that cannot be kept (larger than the cap) gets id -1 and is counted as a drop.
        """
        ids: list[int] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for item in items:
                    size = len(item.payload)
                    if size > self.max_bytes:
                        self.drops[f"{item.kind}_too_large"] += 1
                        ids.append(-1)
                        continue
                    cur = self._db.execute(
                        "INSERT INTO messages (kind, topic, payload, qos, alert_id, size,"
                        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            item.kind.value,
                            item.topic,
                            item.payload,
                            item.qos,
                            item.alert_id,
                            size,
                            time.time(),
                        ),
                    )
                    ids.append(int(cur.lastrowid or -1))
                    self._count[item.kind] += 1
                    self._bytes[item.kind] += size
                if episode is not None:
                    if episode.payload is None:
                        self._db.execute(
                            "DELETE FROM episodes WHERE alert_id = ?", (episode.alert_id,)
                        )
                    else:
                        self._db.execute(
                            "INSERT OR REPLACE INTO episodes (alert_id, device, payload)"
                            " VALUES (?, ?, ?)",
                            (episode.alert_id, episode.device, episode.payload),
                        )
                if any(i.kind is Kind.TELEMETRY for i in items):
                    self._thin_telemetry()
                self._enforce_cap()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._reload_counts()
                raise
        return ids

    def _reload_counts(self) -> None:
        self._count.clear()
        self._bytes.clear()
        for kind, count, size in self._db.execute(
            "SELECT kind, COUNT(*), COALESCE(SUM(size), 0) FROM messages GROUP BY kind"
        ):
            self._count[Kind(kind)] = count
            self._bytes[Kind(kind)] = size

    def _inflight_clause(self) -> tuple[str, tuple[int, ...]]:
        ids = tuple(sorted(self._inflight))
        if not ids:
            return "", ()
        return f" AND id NOT IN ({','.join('?' * len(ids))})", ids

    def _delete(self, kind: Kind, rows: list[tuple[int, int]], reason: str) -> None:
        if not rows:
            return
        self._db.executemany("DELETE FROM messages WHERE id = ?", [(r[0],) for r in rows])
        self._count[kind] -= len(rows)
        self._bytes[kind] -= sum(r[1] for r in rows)
        self.drops[reason] += len(rows)

    def _thin_telemetry(self) -> None:
        if self._count[Kind.TELEMETRY] <= self.telemetry_soft_cap:
            return
        clause, args = self._inflight_clause()
        rows = self._db.execute(
            f"SELECT id, size FROM messages WHERE kind = 'telemetry'{clause} ORDER BY id", args
        ).fetchall()
        k = self.thin_keep_every
        doomed = [r for n, r in enumerate(rows, start=1) if n % k != 0]
        self._delete(Kind.TELEMETRY, doomed, "telemetry_thinned")

    @property
    def total_bytes(self) -> int:
        return sum(self._bytes.values())

    def _enforce_cap(self) -> None:
        clause, args = self._inflight_clause()
        for kind in EVICTION_ORDER:
            while self.total_bytes > self.max_bytes:
                rows = self._db.execute(
                    f"SELECT id, size FROM messages WHERE kind = ?{clause} ORDER BY id LIMIT 64",
                    (kind.value, *args),
                ).fetchall()
                if not rows:
                    break
                excess = self.total_bytes - self.max_bytes
                chosen: list[tuple[int, int]] = []
                for row in rows:
                    chosen.append(row)
                    excess -= row[1]
                    if excess <= 0:
                        break
                self._delete(kind, chosen, f"{kind.value}_evicted")

    # -- sending --------------------------------------------------------------------------

    def max_id(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()
        return int(row[0])

    def next_unsent(self, *, backlog: bool, watermark: int) -> Queued | None:
        """The oldest message not in flight, among ids <= ``watermark`` (backlog) or above."""
        op = "<=" if backlog else ">"
        with self._lock:
            clause, args = self._inflight_clause()
            row = self._db.execute(
                "SELECT id, kind, topic, payload, qos, alert_id FROM messages"
                f" WHERE id {op} ?{clause} ORDER BY id LIMIT 1",
                (watermark, *args),
            ).fetchone()
        return self._queued(row)

    def earlier_of_alert(self, message: Queued) -> Queued | None:
        """An unsent message of the same alert queued before ``message`` (keeps episode order)."""
        if message.alert_id is None:
            return None
        with self._lock:
            clause, args = self._inflight_clause()
            row = self._db.execute(
                "SELECT id, kind, topic, payload, qos, alert_id FROM messages"
                f" WHERE alert_id = ? AND id < ?{clause} ORDER BY id LIMIT 1",
                (message.alert_id, message.id, *args),
            ).fetchone()
        return self._queued(row)

    @staticmethod
    def _queued(row: tuple[int, str, str, bytes, int, str | None] | None) -> Queued | None:
        if row is None:
            return None
        return Queued(row[0], Kind(row[1]), row[2], bytes(row[3]), row[4], row[5])

    def mark_inflight(self, message_id: int) -> None:
        with self._lock:
            self._inflight.add(message_id)

    def unmark_inflight(self, message_id: int) -> None:
        """The publish did not go out (not connected): the message is unsent again."""
        with self._lock:
            self._inflight.discard(message_id)

    def ack(self, message_id: int) -> None:
        """The broker acknowledged the message: delete it (durably)."""
        with self._lock:
            self._inflight.discard(message_id)
            row = self._db.execute(
                "DELETE FROM messages WHERE id = ? RETURNING kind, size", (message_id,)
            ).fetchone()
            if row is not None:
                self._count[Kind(row[0])] -= 1
                self._bytes[Kind(row[0])] -= row[1]

    @property
    def inflight(self) -> int:
        with self._lock:
            return len(self._inflight)

    def depth(self) -> dict[str, int]:
        """Queued messages and bytes by kind."""
        with self._lock:
            out = {f"{k.value}_queued": self._count[k] for k in Kind}
            out["queued"] = sum(self._count.values())
            out["queued_bytes"] = self.total_bytes
        return out

    # -- episodes and sequence numbers ----------------------------------------------------

    def open_episodes(self) -> list[tuple[str, str, bytes]]:
        """(alert_id, device, last payload) of every episode recorded open."""
        with self._lock:
            rows = self._db.execute(
                "SELECT alert_id, device, payload FROM episodes ORDER BY rowid"
            ).fetchall()
        return [(r[0], r[1], bytes(r[2])) for r in rows]

    def reserve_seq(self, device: str, block: int) -> tuple[int, int]:
        """Reserve ``block`` sequence numbers of ``device``: returns [start, end)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute(
                "SELECT reserved FROM seqs WHERE device = ?", (device,)
            ).fetchone()
            start = int(row[0]) if row else 0
            self._db.execute(
                "INSERT OR REPLACE INTO seqs (device, reserved) VALUES (?, ?)",
                (device, start + block),
            )
            self._db.execute("COMMIT")
        return start, start + block

    def close(self) -> None:
        with self._lock:
            self._db.close()
