"""Reading the event log: in id order, waiting briefly at a gap, scoped by a pluggable rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import ColumnElement, false

from gateway.api.events import GAP_GRACE, read_events
from gateway.auth.deps import Principal
from gateway.auth.scope import DEFAULT_SCOPE
from gateway.db.models import Alert, Event
from tests.gateway.api.helpers import World

ADMIN = Principal("admin", "admin", None, None)
T0 = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


def test_a_gap_is_waited_for_then_skipped(world: World) -> None:
    # all in one transaction that is rolled back: explicit ids must not stay behind (on
    # PostgreSQL they would not advance the sequence, confusing the other tests)
    base = 1_000_000
    s = world.store.sessionmaker()
    try:
        for offset in (1, 2, 4):  # id base+3 is "still in flight"
            s.add(
                Event(
                    id=base + offset,
                    kind="device",
                    subject="gumo/x",
                    data={"site": "gumo"},
                    created_at=T0,
                )
            )
        s.flush()
        items, cursor = read_events(s, ADMIN, DEFAULT_SCOPE, base, now=T0 + timedelta(seconds=1))
        assert [i.id for i in items] == [base + 1, base + 2]
        assert cursor == base + 2
        # the missing id commits late: it is delivered, in order
        s.add(
            Event(
                id=base + 3, kind="device", subject="gumo/y", data={"site": "gumo"}, created_at=T0
            )
        )
        s.flush()
        items, cursor = read_events(s, ADMIN, DEFAULT_SCOPE, cursor, now=T0 + timedelta(seconds=1))
        assert [i.id for i in items] == [base + 3, base + 4]
        # a gap that never fills is passed after the grace period
        s.add(
            Event(
                id=base + 6, kind="device", subject="gumo/z", data={"site": "gumo"}, created_at=T0
            )
        )
        s.flush()
        items, _ = read_events(s, ADMIN, DEFAULT_SCOPE, cursor, now=T0 + timedelta(seconds=1))
        assert items == []
        items, cursor = read_events(s, ADMIN, DEFAULT_SCOPE, cursor, now=T0 + GAP_GRACE * 2)
        assert [i.id for i in items] == [base + 6]
    finally:
        s.rollback()
        s.close()


class NothingForOfficers:
    """A stand-in for routing by incidents: officers see nothing."""

    def officer_clause(self, principal: Principal) -> ColumnElement[bool]:
        return false()

    def officer_sees(self, principal: Principal, alert: Any) -> bool:
        return False


class OnlyAlert:
    def __init__(self, alert_id: str) -> None:
        self.alert_id = alert_id

    def officer_clause(self, principal: Principal) -> ColumnElement[bool]:
        return Alert.alert_id == self.alert_id

    def officer_sees(self, principal: Principal, alert: Any) -> bool:
        return bool(alert.alert_id == self.alert_id)


@pytest.mark.parametrize("user", ["off_market", "off_police"])
def test_service_alert_scope_replaces_the_type_mapping(
    world: World, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(world.service, "alert_scope", NothingForOfficers(), raising=False)
    assert world.get("/api/alerts", user).json()["items"] == []
    assert world.get(f"/api/alerts/{world.noise_alert}", user).status_code == 404
    monkeypatch.setattr(world.service, "alert_scope", OnlyAlert(world.park_alert), raising=False)
    items = world.get("/api/alerts", user).json()["items"]
    assert [i["alert_id"] for i in items] == [world.park_alert]
    assert world.get(f"/api/evidence/snap-1?alert_id={world.park_alert}", user).status_code == 200
    # managers and admins are not affected by the officer rule
    assert len(world.get("/api/alerts?limit=500", "admin").json()["items"]) == len(world.alerts)
