"""The pages' message catalogue: ``i18n/zh-CN.json`` (default) and ``i18n/en.json``.

The language comes from the ``whistle_lang`` cookie (set by ``/lang/<code>``); without it,
zh-CN. A key missing from a catalogue falls back to zh-CN, then to the key itself (tests check
both catalogues hold the same keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request

LANGS: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"
LANG_COOKIE = "whistle_lang"
CATALOGUE_DIR = Path(__file__).resolve().parent / "i18n"

Translate = Callable[..., str]


@lru_cache(maxsize=len(LANGS))
def catalogue(lang: str) -> dict[str, str]:
    """The messages of ``lang`` (a flat mapping key -> text with ``{name}`` fields)."""
    data: Any = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"{CATALOGUE_DIR / lang}.json: expected an object of strings")
    return data


def lang_of(request: Request) -> str:
    value = request.cookies.get(LANG_COOKIE, "")
    return value if value in LANGS else DEFAULT_LANG


def translator(lang: str) -> Translate:
    messages = catalogue(lang)
    fallback = catalogue(DEFAULT_LANG)

    def t(key: str, **fields: Any) -> str:
        text = messages.get(key) or fallback.get(key) or key
        return text.format(**fields) if fields else text

    return t


def js_messages(lang: str, prefix: str = "js.") -> dict[str, str]:
    """The messages the scripts need (keys starting with ``js.``), without the prefix."""
    return {k[len(prefix) :]: v for k, v in catalogue(lang).items() if k.startswith(prefix)}
