"""The notification outbox against a real local HTTP server: retries with backoff, the
robots' rate limit, quiet hours; a failed delivery loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.db.session import Store
from gateway.incidents.models import Notification
from gateway.notify.config import NotifyConfig
from gateway.notify.outbox import Dispatcher, Notifier
from gateway.notify.templates import MessageContext
from tests.gateway.incidents.helpers import FakeClock, Receiver

T = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # 05:00 local


@pytest.fixture
def receiver() -> object:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.from_url(f"sqlite:///{tmp_path / 'n.db'}")
    s.migrate()
    return s


def _config(url: str, **extra: object) -> NotifyConfig:
    doc = {
        "channels": [
            {
                "id": "wx",
                "kind": "wecom",
                "url": f"{url}/cgi-bin/webhook/send?key=k",
                "rate_per_min": 20,
                "format": "text",
            },
        ],
        "rules": [{"channel": "wx", "mention_mobiles": ["13900000000"]}],
        "retry": {"max_attempts": 3, "base_s": 30, "max_backoff_s": 600},
        **extra,
    }
    return NotifyConfig.model_validate(doc)


def _ctx(i: int, severity: str = "warning") -> MessageContext:
    return MessageContext(
        event="incident_opened",
        incident_id=i,
        alert_type="litter",
        site="gumo",
        zone=None,
        department="sanitation",
        grid="huancui-gumo",
        severity=severity,
        state="dispatched",
        at=T,
    )


def _enqueue(store: Store, notifier: Notifier, n: int, severity: str = "warning") -> None:
    with store.session() as s:
        for i in range(n):
            notifier.enqueue(s, _ctx(i, severity))


def test_retries_with_backoff_then_gives_up_without_losing_the_row(
    store: Store, receiver: Receiver
) -> None:
    clock = FakeClock(T)
    config = _config(receiver.url)
    notifier, dispatcher = Notifier(config, clock), Dispatcher(config, clock)
    _enqueue(store, notifier, 1)
    receiver.fail_next = 1
    stats = dispatcher.deliver_due(store)
    assert (stats.sent, stats.retried) == (0, 1)
    assert dispatcher.deliver_due(store).sent == 0  # not due before the backoff
    clock.advance(seconds=30)
    assert dispatcher.deliver_due(store).sent == 1
    got = receiver.of("/webhook/send")[0].body
    assert got["msgtype"] == "text" and got["text"]["mentioned_mobile_list"] == ["13900000000"]
    # a dead endpoint: attempts run out, the row stays as failed
    dead = _config("http://127.0.0.1:9")
    _enqueue(store, Notifier(dead, clock), 1)
    d = Dispatcher(dead, clock)
    for _ in range(3):
        d.deliver_due(store)
        clock.advance(seconds=700)
    with store.session() as s:
        failed = s.scalars(select(Notification).where(Notification.status == "failed")).all()
    assert len(failed) == 1 and failed[0].attempts == 3 and failed[0].last_error


def test_rate_limit_defers_past_twenty_a_minute(store: Store, receiver: Receiver) -> None:
    clock = FakeClock(T)
    config = _config(receiver.url)
    _enqueue(store, Notifier(config, clock), 25)
    dispatcher = Dispatcher(config, clock)
    stats = dispatcher.deliver_due(store)
    assert (stats.sent, stats.deferred) == (20, 5)
    clock.advance(seconds=30)
    assert dispatcher.deliver_due(store).sent == 0
    clock.advance(seconds=31)
    assert dispatcher.deliver_due(store).sent == 5
    assert len(receiver.of("/webhook/send")) == 25


def test_quiet_hours_defer_all_but_critical(store: Store, receiver: Receiver) -> None:
    clock = FakeClock(T)  # 05:00 local, inside 22:00-06:00
    config = _config(
        receiver.url,
        quiet_hours={"window": {"start": time(22), "end": time(6)}, "bypass_severity": "critical"},
    )
    notifier, dispatcher = Notifier(config, clock), Dispatcher(config, clock)
    _enqueue(store, notifier, 1, "warning")
    _enqueue(store, notifier, 1, "critical")
    assert dispatcher.deliver_due(store).sent == 1
    clock.advance(minutes=59)
    assert dispatcher.deliver_due(store).sent == 0
    clock.advance(minutes=1)  # 06:00 local
    assert dispatcher.deliver_due(store).sent == 1
    assert clock.now - T == timedelta(hours=1)
