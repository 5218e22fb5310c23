"""Photos attached to incident transitions: type checked by magic bytes, size capped, stored as
files with a content type of our own choosing (never the client's), never served as HTML."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

#: Largest accepted photo, in bytes: under the API's 1 MB request body limit (phone apps
#: resize before upload; a full-size phone JPEG is 2-5 MB).
MAX_PHOTO_BYTES = 960 * 1024

_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class PhotoError(ValueError):
    """The upload is not an accepted photo; the message says why."""


def sniff_image(data: bytes) -> str | None:
    """The content type from the magic bytes: JPEG (FF D8 FF), PNG (89 'PNG' 0D 0A 1A 0A),
    WebP ('RIFF' size 'WEBP'); None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class StoredPhoto:
    content_type: str
    size_bytes: int
    sha256: str
    relative_path: str


def store_photo(data_dir: Path, incident_id: int, data: bytes) -> StoredPhoto:
    """Check and write ``data`` under ``data_dir/incident_photos/<incident>/``."""
    if not data:
        raise PhotoError("the photo is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(f"the photo is {len(data)} bytes, more than {MAX_PHOTO_BYTES}")
    content_type = sniff_image(data)
    if content_type is None:
        raise PhotoError("not a JPEG, PNG or WebP image (checked by its first bytes)")
    digest = hashlib.sha256(data).hexdigest()
    relative = Path("incident_photos") / str(incident_id) / f"{digest[:24]}.{_EXT[content_type]}"
    target = data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    return StoredPhoto(content_type, len(data), digest, relative.as_posix())
