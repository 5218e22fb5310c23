"""A market manager sees a noise alert arrive live (SSE, no reload) and opens its evidence."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.web.conftest import Session
from tests.web.world import World


def expected_limit_db() -> float:
    """GB 3096-2008 class 2: 50 dB(A) at night (22:00-06:00 Beijing time), 60 by day."""
    hour = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).hour
    return 50.0 if hour >= 22 or hour < 6 else 60.0


def test_manager_sees_live_noise_alert_and_its_evidence(
    open_session: Callable[..., Session], world: World
) -> None:
    s = open_session("mgr")
    page = s.page
    assert page.url.endswith("/market"), "a manager lands on the market view"
    expect(page.locator("#market")).to_have_attribute("data-ready", "1")
    expect(page.locator("#live-state")).to_have_class("badge ok")
    # the plan: 17 cameras and 4 microphones, coloured by presence; the entrance marked
    expect(page.locator("[data-device^='cam-']")).to_have_count(17)
    expect(page.locator("[data-device^='noise-']")).to_have_count(4)
    expect(page.locator("[data-entrance]")).to_have_count(1)
    expect(page.locator("[data-device='cam-09']")).to_have_attribute("data-state", "s-off")
    expect(page.locator("[data-device='cam-05']")).to_have_attribute("data-state", "s-stale")
    # an hour of 1-minute LAeq per sensor with the limit in force now
    chart = page.locator("#noise-noise-02")
    # the world seeded the hour before it started; the session may since have run a few minutes
    expect(chart).to_have_attribute("data-points", re.compile(r"^(5\d|60)$"))
    expect(chart).to_have_attribute("data-limit", f"{expected_limit_db():g}")

    alert_id = str(world.alert(type="noise_exceedance", device="noise-02"))
    item = page.locator(f"#feed li[data-alert='{alert_id}']")
    expect(item).to_be_visible()
    # the summary in the page's language, not the edge's English
    expect(item.locator(".summary-line")).to_have_text(
        "LAeq 63.4 dB(A)，超过夜间限值 50 dB(A)（2 类声环境功能区）；疑似声源：循环喇叭叫卖"
    )
    expect(page.locator("[data-device='noise-02']")).to_have_attribute("data-state", "s-alert")
    s.shot("market-live-zh")

    item.locator("button[data-evidence]").click()
    dialog = page.locator("#evidence")
    expect(dialog.locator("[data-kind='snapshot'] img")).to_be_visible()
    expect(dialog.locator("[data-kind='level_trace'] canvas")).to_be_visible()
    expect(dialog.locator("[data-kind='spectrum'] canvas")).to_be_visible()
    natural = dialog.locator("[data-kind='snapshot'] img").evaluate("img => img.naturalWidth")
    assert natural == 640, "the snapshot blob is served and decodes"
    s.shot("market-evidence-zh")
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()


def test_camera_snapshot_with_zones(open_session: Callable[..., Session], world: World) -> None:
    world.alert(type="encroachment", device="cam-03", zone="roadway")
    s = open_session("mgr")
    page = s.page
    expect(page.locator("#market")).to_have_attribute("data-ready", "1")
    cam = page.locator("[data-device='cam-03']")
    cam.focus()
    page.keyboard.press("Enter")  # keyboard reaches the plan's devices
    expect(page.locator("#cam-img")).to_be_visible()
    expect(page.locator("#cam-snap canvas.zones")).to_have_attribute("data-zones", "4")
    s.shot("market-camera-zh")
