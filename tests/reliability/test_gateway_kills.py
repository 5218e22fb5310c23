"""The gateway killed (kill -9) three times while a publisher sends QoS 1 alerts: every alert is
stored exactly once (one alert row, one message row, one event each), on SQLite and PostgreSQL.

What makes it hold: the gateway acknowledges a QoS 1 message only after its transaction
commits (paho manual ack), its MQTT 5 session (same client id, clean start off) keeps what
arrives while it is dead, and storage is idempotent by (alert_id, seq, state).
"""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest

from gateway.db.session import Store
from tests.conftest import MosquittoFactory
from tests.gateway.core.core_helpers import Publisher, alert, new_site
from tests.reliability.procs import GatewayProcess, alert_counts, poll

pytestmark = pytest.mark.faults

KILLS = 3
PER_ROUND = 120  # alerts published per round; KILLS + 1 rounds


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_three_kill_9_under_load_lose_and_double_nothing(
    database: str,
    tmp_path: Path,
    mosquitto_factory: MosquittoFactory,
    request: pytest.FixtureRequest,
) -> None:
    broker = mosquitto_factory()
    if database == "sqlite":
        db_url = f"sqlite:///{tmp_path / 'gw.db'}"
    else:
        db_url = request.getfixturevalue("postgres_url")
    client_id = f"gw-kill-{uuid.uuid4().hex[:6]}"
    data_dir = tmp_path / "gw"

    def start_gateway() -> GatewayProcess:
        gw = GatewayProcess(
            broker_url=broker.url, data_dir=data_dir, client_id=client_id, db_url=db_url
        )
        gw.wait_ready()
        return gw

    gw = start_gateway()
    store = Store.from_url(db_url)
    site = new_site()
    pub = Publisher(broker.url)
    published = 0
    stored_at_kills: list[tuple[int, int]] = []
    try:
        for round_no in range(KILLS + 1):
            done = threading.Event()

            def publish_round(first: int, done: threading.Event) -> None:
                for i in range(first, first + PER_ROUND):
                    pub.alert(alert(site, f"cam{i % 4}", summary=f"alert {i}"))
                    # spread over ~1.2 s, several of the gateway's write batches: at 3 ms
                    # apart a whole round once landed in one batch before the kill
                    time.sleep(0.01)
                pub.wait()
                done.set()

            thread = threading.Thread(target=publish_round, args=(published, done))
            thread.start()
            published += PER_ROUND
            if round_no < KILLS:
                base = stored_at_kills[-1][0] if stored_at_kills else 0
                # kill while this round is being stored
                assert poll(lambda b=base: alert_counts(store, site)[0] > b + 10, 30)
                gw.kill9()
                stored_at_kills.append((alert_counts(store, site)[0], published))
            thread.join(60)
            assert done.is_set(), "the broker did not acknowledge every alert"
            if round_no < KILLS:
                gw = start_gateway()  # same client id: the broker kept the session
        assert poll(lambda: alert_counts(store, site)[0] >= published, 90), (
            f"stored {alert_counts(store, site)} of {published}; kills at {stored_at_kills}"
        )
        time.sleep(1.0)  # re-deliveries of messages not acked before a kill land now
        assert alert_counts(store, site) == (published, published, published)
        # each kill landed before everything was stored: there was something to lose
        assert any(stored < sent for stored, sent in stored_at_kills), stored_at_kills
        assert gw.alive
    finally:
        pub.close()
        gw.terminate()
        store.dispose()
