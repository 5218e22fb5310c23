"""Evidence blobs on disk under ``data_dir/evidence``: sha256-checked, size-capped, purged
after a retention period. Paths are ``<YYYY-MM-DD>/<alert_id>/<evidence_id><ext>`` relative to
the root, recorded in the :class:`gateway.db.models.Evidence` row."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.db.base import utcnow
from gateway.db.models import Evidence
from gateway.ingest.alerts import DUPLICATE, STORED
from whistle.contract import ContractError, EvidencePayload

log = logging.getLogger(__name__)

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "application/json": ".json",
    "text/plain": ".txt",
}


class EvidenceError(Exception):
    """A stored blob is missing or does not match its sha256."""


class EvidenceStore:
    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def save(self, session: Session, payload: EvidencePayload) -> str:
        """Write the blob and its row; "duplicate" if this evidence is already stored.
        Raises :class:`ContractError` ("too_large", "bad_hash") for a blob it refuses."""
        alert_id = str(payload.alert_id)
        existing = session.scalar(
            select(Evidence.id).where(
                Evidence.alert_id == alert_id, Evidence.evidence_id == payload.evidence_id
            )
        )
        if existing is not None:
            return DUPLICATE
        data = payload.data()
        if len(data) > self.max_bytes:
            raise ContractError("too_large", f"evidence is {len(data)} bytes > {self.max_bytes}")
        digest = hashlib.sha256(data).hexdigest()
        if digest != payload.sha256:
            raise ContractError("bad_hash", "evidence data does not match its sha256")
        now = utcnow()
        ext = EXTENSIONS.get(payload.content_type, ".bin")
        relative = Path(f"{now:%Y-%m-%d}") / alert_id / f"{payload.evidence_id}{ext}"
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        session.add(
            Evidence(
                evidence_id=payload.evidence_id,
                alert_id=alert_id,
                kind=payload.kind,
                content_type=payload.content_type,
                size_bytes=len(data),
                sha256=digest,
                path=relative.as_posix(),
                received_at=now,
            )
        )
        return STORED

    def path_of(self, evidence: Evidence) -> Path:
        path = (self.root / evidence.path).resolve()
        if self.root.resolve() not in path.parents:
            raise EvidenceError(f"evidence path {evidence.path!r} leaves the evidence root")
        return path

    def read(self, evidence: Evidence) -> bytes:
        """The blob's bytes, checked against its sha256."""
        try:
            data = self.path_of(evidence).read_bytes()
        except OSError as exc:
            raise EvidenceError(f"evidence {evidence.evidence_id} unreadable: {exc}") from exc
        if hashlib.sha256(data).hexdigest() != evidence.sha256:
            raise EvidenceError(f"evidence {evidence.evidence_id} does not match its sha256")
        return data

    def purge(self, session: Session, older_than: datetime) -> int:
        """Delete blobs (files and rows) received before ``older_than``; returns how many."""
        rows = session.scalars(select(Evidence).where(Evidence.received_at < older_than)).all()
        for row in rows:
            try:
                self.path_of(row).unlink(missing_ok=True)
            except (OSError, EvidenceError) as exc:
                log.warning("cannot delete evidence file %s: %s", row.path, exc)
            session.delete(row)
        self._remove_empty_dirs()
        return len(rows)

    def _remove_empty_dirs(self) -> None:
        if not self.root.is_dir():
            return
        for dirpath, _dirs, _files in sorted(os.walk(self.root), key=lambda t: -len(t[0])):
            path = Path(dirpath)
            if path != self.root:
                with contextlib.suppress(OSError):  # not empty
                    path.rmdir()

    def usage(self) -> dict[str, Any]:
        files = [p for p in self.root.rglob("*") if p.is_file()] if self.root.is_dir() else []
        return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}
