"""Opaque keyset cursors: base64url JSON of the last item's sort key (time, id).

A cursor only says where the previous page ended; the caller's filters and scope are applied
again on every page, so a forged cursor reveals nothing more than paging would.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from gateway.api.errors import validation_error

MAX_CURSOR_CHARS = 512


def encode_cursor(at: datetime, key: str) -> str:
    raw = json.dumps([at.astimezone(UTC).isoformat(), key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("utf-8")).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (time, id) a cursor holds; a 422 naming ``cursor`` if it is not one of ours."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, key = json.loads(raw)
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None or not isinstance(key, str) or len(key) > 64:
            raise ValueError("bad fields")
        return at.astimezone(UTC), key
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError):
        raise validation_error("query", "cursor", "not a cursor this API issued") from None
