"""Without a browser: the catalogues agree, pages load nothing from the internet, the
front-end library comes from the npm lock file and is served by the gateway."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gateway.web.i18n import LANGS, catalogue
from gateway.web.static import NODE_MODULES, VENDOR, WEB_DIR

TEXT_ASSETS = (
    sorted(p for p in (WEB_DIR / "templates").glob("*.html"))
    + sorted((WEB_DIR / "static").rglob("*.js"))
    + sorted((WEB_DIR / "static").rglob("*.css"))
)


def test_catalogues_hold_the_same_keys() -> None:
    zh, en = (set(catalogue(lang)) for lang in LANGS)
    assert zh == en, f"only in one catalogue: {sorted(zh ^ en)}"


def test_every_key_the_templates_use_exists() -> None:
    keys = set(catalogue("zh-CN"))
    used: set[str] = set()
    for path in (WEB_DIR / "templates").glob("*.html"):
        used |= set(re.findall(r"""t\(["']([a-z0-9_.\-]+)["']""", path.read_text("utf-8")))
    used = {k for k in used if not k.endswith((".", "_"))}  # prefixes of computed keys
    assert used, "templates use the catalogue"
    assert used <= keys, f"missing: {sorted(used - keys)}"


def test_every_key_the_scripts_use_exists() -> None:
    keys = {k[3:] for k in catalogue("zh-CN") if k.startswith("js.")}
    used: set[str] = set()
    for path in (WEB_DIR / "static" / "js").glob("*.js"):
        used |= set(re.findall(r"""W\.t\("([a-z0-9_.\-]+)"[,)]""", path.read_text("utf-8")))
    assert used <= keys, f"missing: {sorted(used - keys)}"


@pytest.mark.parametrize("path", TEXT_ASSETS, ids=lambda p: p.name)
def test_nothing_loads_from_the_internet(path: Path) -> None:
    text = path.read_text("utf-8")
    urls = re.findall(r"https?://[^\s\"')]+", text)
    assert [u for u in urls if u != "http://www.w3.org/2000/svg"] == []
    assert "<script>" not in text and "style=" not in text, "no inline script or style (CSP)"


def test_chart_library_comes_from_the_lock_file() -> None:
    lock = json.loads((WEB_DIR / "package-lock.json").read_text("utf-8"))
    entry = lock["packages"]["node_modules/chart.js"]
    assert entry["integrity"].startswith("sha512-")
    package = json.loads((NODE_MODULES / "chart.js" / "package.json").read_text("utf-8"))
    assert package["version"] == entry["version"], "node_modules matches the lock: npm ci"
    for rel in VENDOR.values():
        assert (NODE_MODULES / rel).is_file()
