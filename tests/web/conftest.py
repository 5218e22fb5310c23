"""Fixtures of the browser tests: one running gateway per session, Debian's Chromium driven
by Playwright, pages that record console errors and save screenshots under
artifacts/screenshots/."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.web.world import PASSWORD, REPO, World, make_world

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    from gateway.web.static import vendor_missing

    missing = vendor_missing()
    if missing:
        pytest.fail(f"front-end packages not installed ({missing}): npm ci --prefix gateway/web")
    with tempfile.TemporaryDirectory(prefix="whistle-web-") as tmp:
        gen = make_world(Path(tmp))
        w = next(gen)
        w.devices()
        for n, base in ((1, 47.0), (2, 52.0), (3, 49.0), (4, 45.0)):
            w.noise_hour(f"noise-{n:02d}", base)
        w.telemetry(
            "haiyuan-park",
            "park-main",
            "occupancy",
            {"occupancy": 520.0, "capacity": 800.0, "ratio": 0.65},
            minutes=18,
        )
        w.telemetry(
            "haiyuan-park", "cam-p1", "carpark", {"free": 12.0, "occupied": 48.0, "total": 60.0}
        )
        yield w
        assert w.app.state.internal_errors == [], "a request produced a 500"
        for _ in gen:
            pass


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Session:
    """A browser context of one user with the console messages of its pages."""

    page: Any
    context: Any
    base: str
    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def real_errors(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture
def open_session(browser: Any, world: World) -> Iterator[Callable[..., Session]]:
    """``open_session(user, viewport=DESKTOP, lang="zh-CN")``: a signed-in page; at the end
    every page must have logged no console error."""
    sessions: list[Session] = []

    def make(
        user: str | None, viewport: dict[str, int] | None = None, lang: str = "zh-CN"
    ) -> Session:
        context = browser.new_context(viewport=viewport or DESKTOP, locale=lang)
        page = context.new_page()
        page.set_default_timeout(10_000)
        s = Session(page, context, world.url)
        page.on("console", lambda m: s.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: s.errors.append(f"page error: {exc}"))
        if lang != "zh-CN":
            context.add_cookies([{"name": "whistle_lang", "value": lang, "url": world.url}])
        if user is not None:
            s.goto("/login")
            page.fill("#username", user)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
        sessions.append(s)
        return s

    yield make
    try:
        for s in sessions:
            assert s.real_errors() == [], f"console errors: {s.real_errors()}"
    finally:
        for s in sessions:
            s.context.close()
