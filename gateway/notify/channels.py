"""Build the HTTP request each channel kind expects (pure: no network).

- WeCom group robot: ``{"msgtype": "markdown", "markdown": {"content": ...}}`` or text with
  ``mentioned_mobile_list``; content at most 2048 bytes.
- DingTalk custom robot: ``...&timestamp=MS&sign=S`` with
  ``S = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{MS}\\n{secret}")))``; markdown has
  ``title`` and ``text``; ``at.atMobiles`` plus ``@mobile`` in the text.
- Generic webhook: the event as JSON; with a secret, ``X-Whistle-Signature: sha256=<hex>`` of
  ``f"{timestamp}.{body}"`` and ``X-Whistle-Timestamp``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from gateway.notify.config import Channel
from gateway.notify.templates import MAX_CONTENT_BYTES, clip_utf8


@dataclass(frozen=True)
class HttpRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value of a DingTalk robot request (URL-encoded)."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


def webhook_signature(secret: str, timestamp_ms: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _add_query(url: str, extra: str) -> str:
    return url + ("&" if "?" in url else "?") + extra


def build_payload(
    channel: Channel, title: str, body: str, mentions: list[str], event: dict[str, Any]
) -> dict[str, Any]:
    """The JSON document a channel receives (stored in the outbox, so a retry sends the same)."""
    if channel.kind == "wecom":
        if channel.format == "markdown":
            content = clip_utf8(f"### {title}\n{body}", MAX_CONTENT_BYTES)
            return {"msgtype": "markdown", "markdown": {"content": content}}
        return {
            "msgtype": "text",
            "text": {
                "content": clip_utf8(f"{title}\n{body}", MAX_CONTENT_BYTES),
                "mentioned_mobile_list": mentions,
            },
        }
    if channel.kind == "dingtalk":
        at_text = "".join(f" @{m}" for m in mentions)
        if channel.format == "markdown":
            doc: dict[str, Any] = {
                "msgtype": "markdown",
                "markdown": {"title": title, "text": f"### {title}\n{body}{at_text}"},
            }
        else:
            doc = {"msgtype": "text", "text": {"content": f"{title}\n{body}{at_text}"}}
        doc["at"] = {"atMobiles": mentions, "isAtAll": False}
        return doc
    return {"title": title, "text": body, "mentions": mentions, "event": event}


def build_request(channel: Channel, payload: dict[str, Any], timestamp_ms: int) -> HttpRequest:
    """The request to send now (DingTalk and webhook signatures carry the send time)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    url = channel.url
    if channel.kind == "dingtalk" and channel.secret:
        url = _add_query(
            url, f"timestamp={timestamp_ms}&sign={dingtalk_sign(channel.secret, timestamp_ms)}"
        )
    if channel.kind == "webhook" and channel.secret:
        headers["X-Whistle-Timestamp"] = str(timestamp_ms)
        headers["X-Whistle-Signature"] = webhook_signature(channel.secret, timestamp_ms, body)
    return HttpRequest(url=url, body=body, headers=headers)


def response_ok(channel: Channel, status: int, text: str) -> tuple[bool, str]:
    """Robots answer HTTP 200 with ``{"errcode": 0}`` on success; anything else is a failure."""
    if not 200 <= status < 300:
        return False, f"HTTP {status}: {text[:200]}"
    if channel.kind in ("wecom", "dingtalk"):
        try:
            doc = json.loads(text)
        except ValueError:
            return False, f"robot answered non-JSON: {text[:200]}"
        if not isinstance(doc, dict) or doc.get("errcode", 0) != 0:
            return False, f"robot error: {text[:200]}"
    return True, ""
