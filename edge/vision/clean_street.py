"""The clean streets the ``cleanliness`` zones learned, kept on disk across restarts.

A zone learns the clean street in its ``learn`` window (default 10:00-16:00) and compares the
street with it at ``check_at`` the next morning. Kept in memory only, an agent restarted in
between (a power cut, an update in the night) would judge the next morning without it, by the
fallback that only sees what was put down and lay still. So each camera's worker keeps them in
``<data_dir>/clean_street/<camera>/<zone>.npz`` (NumPy arrays, no pickles) and restores them at
its first frame.

A kept street older than ``MAX_AGE`` is not restored (a camera re-aimed during a week of
rain would compare the morning with another view); an unreadable or ill-fitting file is
logged, counted and left for the next learned street to replace.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from models.vision.analyzer import SceneAnalyzer
from models.vision.zones.litter import CleanStreet, LitterDetector

log = logging.getLogger(__name__)

#: Oldest kept street that is restored: a zone relearns its street on every day its window
#: sees the street empty, so an older one means a week without one.
MAX_AGE = timedelta(days=7)
#: Device seconds between writes of a street learned anew: the zone relearns it on every
#: quiet judgement in the window (once a second); the last one of the window is what counts.
SAVE_EVERY_S = 600.0


def litter_detectors(analyzer: SceneAnalyzer) -> dict[str, LitterDetector]:
    """The ``cleanliness`` zones' detectors of ``analyzer`` by zone id."""
    return {d.zone: d for d in analyzer.detectors if isinstance(d, LitterDetector)}


class CleanStreetStore:
    """Files of one camera's clean streets, one per zone, under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        #: Files that could not be read or did not fit (logged each time).
        self.rejected = 0

    def path(self, zone: str) -> Path:
        return self.directory / f"{zone}.npz"

    def save(self, zone: str, street: CleanStreet, learned_at: datetime) -> None:
        """Write ``street`` for ``zone`` atomically (a crash leaves the old file or the new)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        when = np.array(learned_at.isoformat())
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{zone}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                if street.chroma_n is None:
                    np.savez(f, grey=street.grey, learned_at=when)
                else:
                    np.savez(f, grey=street.grey, chroma_n=street.chroma_n, learned_at=when)
            os.replace(tmp, self.path(zone))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def load(self, zone: str) -> tuple[CleanStreet, datetime] | None:
        """The street kept for ``zone`` and when it was learned; None when there is none
        or the file is unreadable (logged and counted, naming the file and what is wrong)."""
        path = self.path(zone)
        if not path.exists():
            return None
        try:
            if not zipfile.is_zipfile(path):  # np.load would try it as a pickle
                raise ValueError("not an .npz archive")
            with np.load(path, allow_pickle=False) as data:
                names = set(data.files)
                missing = {"grey", "learned_at"} - names
                if missing:
                    raise ValueError(f"missing arrays {sorted(missing)}")
                learned_at = datetime.fromisoformat(str(data["learned_at"]))
                if learned_at.tzinfo is None:
                    raise ValueError("learned_at has no time zone")
                chroma = data["chroma_n"] if "chroma_n" in names else None
                return CleanStreet(data["grey"], chroma), learned_at
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            self.reject(zone, exc)
            return None

    def reject(self, zone: str, exc: Exception) -> None:
        """Log and count ``zone``'s file as unusable (``exc`` says why)."""
        self.rejected += 1
        log.warning(
            "clean street %s not restored: %s; it will be learned anew", self.path(zone), exc
        )


@dataclass
class CleanStreetKeeper:
    """Restores a camera's ``cleanliness`` zones from ``store`` at the first frame and keeps
    what they learn (at most every ``SAVE_EVERY_S`` device seconds, and on :meth:`flush`).

    ``detectors``' device seconds count from the first frame, as the keeper's do: feed it
    every frame the detectors are fed, after them."""

    store: CleanStreetStore
    detectors: dict[str, LitterDetector]
    #: Device time of the first frame; None before it.
    _t0: datetime | None = None
    #: Per zone, the ``learned_s`` last written.
    _saved: dict[str, float] = field(default_factory=dict)
    _next_check_s: float = SAVE_EVERY_S

    def after_frame(self, ts: datetime) -> None:
        """Call after each analysed frame, with its device time."""
        if self._t0 is None:
            self._t0 = ts
            self._restore(ts)
        elif (ts - self._t0).total_seconds() >= self._next_check_s:
            self.flush(ts)

    def flush(self, ts: datetime) -> None:
        """Write every street learned since it was last written (``ts``: device time now)."""
        if self._t0 is None:
            return
        t_s = (ts - self._t0).total_seconds()
        self._next_check_s = t_s + SAVE_EVERY_S
        for zone, d in self.detectors.items():
            street, learned_s = d.clean_street, d.learned_s
            if street is None or learned_s is None or self._saved.get(zone) == learned_s:
                continue
            try:
                self.store.save(zone, street, self._t0 + timedelta(seconds=learned_s))
            except OSError as exc:  # a full or read-only disk must not stop the analysis
                log.warning("clean street of zone %s not kept: %s", zone, exc)
                continue
            self._saved[zone] = learned_s

    def _restore(self, ts: datetime) -> None:
        for zone, d in self.detectors.items():
            kept = self.store.load(zone)
            if kept is None:
                continue
            street, learned_at = kept
            age = ts - learned_at
            if age > MAX_AGE:
                log.info("clean street of zone %s is %s old: learning it anew", zone, age)
                continue
            try:
                d.restore(street)
            except ValueError as exc:
                self.store.reject(zone, exc)
