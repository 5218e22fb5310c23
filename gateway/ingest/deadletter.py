"""Dead letters: rejected messages kept (capped) for inspection, written in batches.

Rejections are buffered in memory (bounded: a flood of garbage cannot grow memory or hammer
the database; what does not fit is counted in ``dropped``) and written by the flusher.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from gateway.db.base import utcnow
from gateway.db.models import DEAD_LETTER_PAYLOAD_CAP, DeadLetter

#: Most dead letters held between flushes.
BUFFER_LIMIT = 2000
DETAIL_CAP = 1000


@dataclass(frozen=True, slots=True)
class Rejected:
    topic: str
    reason: str
    detail: str
    payload: bytes
    received_at: datetime


class DeadLetterBuffer:
    def __init__(self, limit: int = BUFFER_LIMIT) -> None:
        self._items: deque[Rejected] = deque()
        self._limit = limit
        self._lock = threading.Lock()
        self.dropped = 0

    def add(self, topic: str, reason: str, detail: str, payload: bytes) -> None:
        item = Rejected(topic[:512], reason[:32], detail[:DETAIL_CAP], payload, utcnow())
        with self._lock:
            if len(self._items) >= self._limit:
                self.dropped += 1
                return
            self._items.append(item)

    def __len__(self) -> int:
        return len(self._items)

    def flush(self, session: Session) -> int:
        """Add the buffered dead letters to ``session``; returns how many."""
        with self._lock:
            items = list(self._items)
            self._items.clear()
        for item in items:
            session.add(
                DeadLetter(
                    topic=item.topic,
                    reason=item.reason,
                    detail=item.detail,
                    payload=item.payload[:DEAD_LETTER_PAYLOAD_CAP],
                    payload_size=len(item.payload),
                    received_at=item.received_at,
                )
            )
        return len(items)
