"""Every page renders in zh-CN and English without console errors; roles see only their pages;
a viewer cannot act."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.web.conftest import PHONE, Session
from tests.web.world import World

#: page -> (a selector that shows it rendered its data, the title in zh-CN, in English)
PAGES = {
    "market": ("#market[data-ready='1']", "早市实况", "Market live view"),
    "patrol": ("#patrol[data-ready='1']", "现在需要我处理的", "What needs me now"),
    "centre": ("#figures[data-ready='1']", "指挥中心", "Response centre"),
    "parks": ("#parks[data-ready='1']", "公园客流与停车", "Parks: occupancy and parking"),
    "devices": ("#device-table", "设备健康", "Device health"),
}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_renders_in_both_languages(
    open_session: Callable[..., Session], world: World, lang: str
) -> None:
    world.alert(type="encroachment", device="cam-07", zone="roadway")
    s = open_session("admin", lang=lang)
    for name, (ready, zh, en) in PAGES.items():
        s.goto(f"/{name}")
        expect(s.page.locator(ready)).to_be_attached()
        expect(s.page.locator("html")).to_have_attribute("lang", lang)
        expect(s.page.locator("h1").first).to_contain_text(zh if lang == "zh-CN" else en)
        s.shot(f"{name}-{lang}")
    # parks from whatever the site files and telemetry say
    s.goto("/parks")
    expect(s.page.locator("[data-area='park-main'] .big")).to_have_text("520")
    expect(s.page.locator("[data-carpark='cam-p1'] .big")).to_have_text("12")
    # devices: health, versions and config hashes
    s.goto("/devices")
    row = s.page.locator("tr[data-device='gumo/cam-05']")
    expect(row).to_have_attribute("data-state", "stale")
    expect(row).to_contain_text("0.9.3")
    expect(row.locator(".badge.bad")).to_have_text("stalled")


def test_language_switch_is_remembered(open_session: Callable[..., Session]) -> None:
    s = open_session("mgr")
    expect(s.page.locator("html")).to_have_attribute("lang", "zh-CN")  # the default
    s.page.click("header a[hreflang='en']")
    expect(s.page.locator("html")).to_have_attribute("lang", "en")
    assert s.page.url.endswith("/market"), "the switch returns to the same page"
    s.goto("/devices")
    expect(s.page.locator("h1")).to_have_text("Device health")
    cookies = {c["name"]: c["value"] for c in s.context.cookies()}
    assert cookies["whistle_lang"] == "en"


def test_login_required_and_bad_password(open_session: Callable[..., Session]) -> None:
    s = open_session(None, viewport=PHONE)
    s.goto("/centre?days=30")
    assert "/login?next=" in s.page.url
    s.page.fill("#username", "admin")
    s.page.fill("#password", "wrong")
    s.allowed.append("status of 401")
    s.page.click("button[type=submit]")
    expect(s.page.locator("#login-error")).to_be_visible()
    s.shot("login-failed-zh")
    from tests.web.world import PASSWORD

    s.page.fill("#password", PASSWORD)
    s.page.click("button[type=submit]")
    s.page.wait_for_url("**/centre?days=30")


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        ("viewer", {"market", "centre", "parks", "devices"}),
        ("mgr", {"market", "centre", "parks", "devices"}),
        ("officer", {"patrol", "parks"}),
        ("centre", {"patrol", "centre", "parks"}),
    ],
)
def test_roles_see_and_get_only_their_pages(
    open_session: Callable[..., Session], user: str, allowed: set[str]
) -> None:
    s = open_session(user)
    links = set(s.page.locator("nav.main a").evaluate_all("as => as.map(a => a.pathname)"))
    assert links == {f"/{p}" for p in allowed}
    for name in PAGES:
        status = s.page.request.get(f"{s.base}/{name}").status
        assert status == (200 if name in allowed else 403), name


def test_viewer_cannot_act(open_session: Callable[..., Session], world: World) -> None:
    alert_id = str(world.alert(type="noise_exceedance", device="noise-04"))
    s = open_session("viewer")
    s.goto("/centre")
    expect(s.page.locator("#figures")).to_have_attribute("data-ready", "1")
    expect(s.page.locator("button[data-action]")).to_have_count(0)
    s.goto("/market")
    expect(s.page.locator("#market")).to_have_attribute("data-ready", "1")
    expect(s.page.locator(f"#feed li[data-alert='{alert_id}']")).to_be_visible()
    expect(s.page.locator("button[data-action]")).to_have_count(0)
    body = s.page.locator("body")
    expect(body).to_have_attribute("data-can-act", "0")
    incidents = s.page.request.get(f"{s.base}/api/incidents").json()["items"]
    assert incidents, "the viewer sees incidents"
    iid = incidents[0]["id"]
    for target in ("accepted", "dispatched", "rejected"):
        r = s.page.request.post(
            f"{s.base}/api/incidents/{iid}/transitions",
            data=json.dumps({"to": target, "reason": "other"}),
            headers={"Content-Type": "application/json", "Origin": s.base},
        )
        assert r.status in (403, 409), (target, r.status)
        assert r.status != 201
    r = s.page.request.get(f"{s.base}/web/api/patrol")
    assert r.status == 403, "the patrol worklist is not served to a viewer"
