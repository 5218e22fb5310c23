"""Rendering pages: the Jinja2 environment, the signed-in user of a page, common context."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.auth.deps import Principal, current_principal
from gateway.web.access import may_act, nav
from gateway.web.i18n import LANGS, js_messages, lang_of, translator

#: The district's time zone, for times shown on the pages.
DISPLAY_TZ = "Asia/Shanghai"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The pages may ask for the location (patrol: nearest first) and the camera (photos).
PAGE_HEADERS = {
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(self)",
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = localtime
    return env


def localtime(value: Any, fmt: str = "%m-%d %H:%M", tz: str = DISPLAY_TZ) -> str:
    """A UTC datetime (or ISO string) as local time text; "" for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return str(value.astimezone(ZoneInfo(tz)).strftime(fmt))


def page_principal(request: Request) -> Principal | None:
    """The signed-in user of a page request (cookie session), or None."""
    store = request.app.state.service.store
    with store.session() as session:
        try:
            return current_principal(request, session, None)
        except HTTPException:
            return None


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    from urllib.parse import quote

    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    t = translator(lang)
    data: dict[str, Any] = {
        "lang": lang,
        "langs": LANGS,
        "t": t,
        "user": principal,
        "nav": nav(principal) if principal is not None else [],
        "can_act": principal is not None and may_act(principal),
        "path": request.url.path,
        "here": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        "js_messages": json.dumps(js_messages(lang), ensure_ascii=False).replace("</", "<\\/"),
        **context,
    }
    html = environment().get_template(template).render(**data)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
