"""Signed, expiring tokens: the bearer tokens of the OAuth2 password flow and the session cookie.

Format: ``v1.<payload>.<signature>`` where ``payload`` is base64url JSON
``{"sub": username, "exp": unix seconds, "kind": "bearer"|"session", "pv": password version}``
and ``signature`` is base64url HMAC-SHA256 (RFC 2104) of ``v1.<payload>`` under the gateway's
``secret_key``. Tokens are stateless so several gateway instances sharing the secret accept each
other's tokens. ``pv`` is a fingerprint of the user's password hash: changing the password
revokes every token issued before. A deactivated user is refused at lookup time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["bearer", "session"]
_PREFIX = "v1"
#: Longest token accepted for parsing, in characters (a real one is about 200).
MAX_TOKEN_CHARS = 2048


@dataclass(frozen=True)
class TokenClaims:
    username: str
    kind: TokenKind
    expires_at: int  # unix seconds
    password_version: str


def password_version(password_hash: str) -> str:
    """A short fingerprint of a password hash, so a new password invalidates old tokens."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, message: str) -> str:
    return _b64(hmac.new(secret, message.encode("ascii"), hashlib.sha256).digest())


def issue_token(
    secret: bytes,
    username: str,
    kind: TokenKind,
    password_hash: str,
    ttl_s: int,
    now: float | None = None,
) -> str:
    """A token for ``username`` valid for ``ttl_s`` seconds."""
    issued = time.time() if now is None else now
    claims = {
        "sub": username,
        "exp": int(issued) + int(ttl_s),
        "kind": kind,
        "pv": password_version(password_hash),
    }
    body = f"{_PREFIX}.{_b64(json.dumps(claims, separators=(',', ':')).encode('utf-8'))}"
    return f"{body}.{_sign(secret, body)}"


def verify_token(
    secret: bytes, token: str, kind: TokenKind, now: float | None = None
) -> TokenClaims | None:
    """The claims of a valid, unexpired token of the expected kind, else None (never raises)."""
    if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _PREFIX:
        return None
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_sign(secret, body), parts[2]):
        return None
    try:
        claims = json.loads(_unb64(parts[1]))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict):
        return None
    sub, exp, got_kind, pv = (claims.get(k) for k in ("sub", "exp", "kind", "pv"))
    if not (isinstance(sub, str) and isinstance(exp, int) and isinstance(pv, str)):
        return None
    if got_kind != kind:
        return None
    current = time.time() if now is None else now
    if exp <= current:
        return None
    return TokenClaims(username=sub, kind=kind, expires_at=exp, password_version=pv)
