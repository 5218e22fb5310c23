"""An officer on a phone accepts, reaches and resolves an incident over a flaky connection;
the manager's market view follows live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import PHONE, Session
from tests.web.world import World, snapshot_jpeg


def incident_of(world: World, alert_id: str) -> int:
    from sqlalchemy import select

    from gateway.incidents.models import IncidentAlert

    with world.store.session() as s:
        iid = s.scalar(select(IncidentAlert.incident_id).where(IncidentAlert.alert_id == alert_id))
    assert iid is not None, "the noise alert opened an incident"
    return int(iid)


def transitions(world: World, incident_id: int) -> list[Any]:
    from sqlalchemy import select

    from gateway.incidents.models import IncidentTransition

    with world.store.session() as s:
        return [
            (t.to_state, t.actor, t.note, t.photo_id)
            for t in s.scalars(
                select(IncidentTransition)
                .where(IncidentTransition.incident_id == incident_id)
                .order_by(IncidentTransition.id)
            )
        ]


def test_officer_handles_incident_on_a_phone(
    open_session: Callable[..., Session], world: World
) -> None:
    alert_id = str(world.alert(type="noise_exceedance", device="noise-03"))
    iid = incident_of(world, alert_id)
    manager = open_session("mgr")
    expect(manager.page.locator("#market")).to_have_attribute("data-ready", "1")
    on_manager = manager.page.locator(f"#incidents li[data-incident='{iid}']")
    expect(on_manager).to_be_visible()

    officer = open_session("officer", viewport=PHONE)
    page = officer.page
    assert page.url.endswith("/patrol"), "an officer lands on the patrol view"
    card = page.locator(f"article[data-incident='{iid}']")
    expect(card).to_be_visible()
    expect(card.locator("img.thumb")).to_be_visible()  # the alert's snapshot
    expect(card.locator("[data-deadline]")).to_be_visible()  # the SLA countdown
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        "nothing overflows a 360 px wide phone"
    )
    officer.shot("patrol-phone-zh")

    card.locator("button[data-action='accepted']").click()
    expect(card).to_have_attribute("data-state", "accepted")
    expect(on_manager).to_have_attribute("data-state", "accepted")  # live, no reload

    # the connection drops: the action waits in the queue, survives a reload, then goes out
    officer.allowed.append("Failed to load resource")
    page.route("**/transitions", lambda route: route.abort())
    card.locator("button[data-action='on_site']").click()
    queued = page.locator("#queue li[data-status='pending']")
    expect(queued).to_have_count(1)
    expect(card.locator("[data-pending]")).to_be_visible()
    officer.shot("patrol-phone-pending")
    page.reload()
    expect(page.locator("#queue li[data-status='pending']")).to_have_count(1)
    assert [t[0] for t in transitions(world, iid)][-1] == "accepted", "nothing sent yet"
    page.unroute("**/transitions")
    expect(page.locator("#queue li")).to_have_count(0, timeout=15_000)
    card = page.locator(f"article[data-incident='{iid}']")
    expect(card).to_have_attribute("data-state", "on_site")
    expect(on_manager).to_have_attribute("data-state", "on_site")

    card.locator("button[data-action='resolved']").click()
    form = card.locator("form[data-resolve]")
    form.locator("textarea").fill("喇叭已没收，摊主已教育")
    form.locator("input[type=file]").set_input_files(
        {"name": "site.jpg", "mimeType": "image/jpeg", "buffer": snapshot_jpeg("fixed")}
    )
    expect(form.locator("img.thumb")).to_be_visible()
    form.locator("button[type=submit]").click()
    expect(page.locator(f"article[data-incident='{iid}']")).to_have_count(0)
    expect(on_manager).to_have_attribute("data-state", "resolved")
    done = transitions(world, iid)
    assert [t[0] for t in done][-3:] == ["accepted", "on_site", "resolved"]
    assert done[-1][1] == "officer" and done[-1][2] == "喇叭已没收，摊主已教育"
    assert done[-1][3] is not None, "the photo was uploaded and linked"
    assert [t[0] for t in done].count("on_site") == 1, "the retried action went out once"
    manager.shot("market-after-resolve")
