"""Sign-in throttling: too many failed passwords for one username from one client -> 429.

In memory, per process (several gateway instances each count their own): it slows password
guessing without a table. A success clears the count.
"""

from __future__ import annotations

import threading
import time
from collections import deque

#: Failures allowed per (username, client) within the window before sign-in is refused.
MAX_FAILURES = 10
WINDOW_S = 300.0
#: Entries kept at most (oldest forgotten first), so the table cannot grow without bound.
MAX_KEYS = 10_000


class LoginThrottle:
    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after_s(self, username: str, client: str, now: float | None = None) -> int:
        """Seconds until this pair may try again; 0 if it may now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent((username, client), now)
            if len(times) < self.max_failures:
                return 0
            return max(1, int(self.window_s - (now - times[0])) + 1)

    def failed(self, username: str, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        key = (username, client)
        with self._lock:
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times
            if len(self._failures) > MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((username, client), None)
