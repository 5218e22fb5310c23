"""Level 1: the disk outbox's queue, ack, size policy and restart state; the send order."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.agent import EdgeAgent
from edge.config import from_flags
from edge.outbox import EpisodeChange, Kind, Outbox, Outgoing
from tests.edge.helpers import make_site


def item(kind: Kind, n: int, size: int = 10, alert_id: str | None = None) -> Outgoing:
    return Outgoing(kind, f"t/{kind.value}/{n}", bytes([n % 256]) * size, 1, alert_id)


def test_unacked_survive_reopen_acked_do_not(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    ids = box.put([item(Kind.ALERT, n) for n in range(5)])
    box.mark_inflight(ids[0])
    box.ack(ids[0])
    box.ack(ids[2])
    box.close()  # as good as kill -9: every put and ack was committed
    box = Outbox(tmp_path / "o.db")
    assert box.depth()["alert_queued"] == 3
    order = []
    while (m := box.next_unsent(backlog=True, watermark=box.max_id())) is not None:
        order.append(m.topic)
        box.mark_inflight(m.id)
    assert order == ["t/alert/1", "t/alert/3", "t/alert/4"]


def test_thinning_keeps_every_kth_telemetry(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", telemetry_soft_cap=10, thin_keep_every=2)
    for n in range(11):
        box.put([item(Kind.TELEMETRY, n)])
    kept = []
    while (m := box.next_unsent(backlog=True, watermark=box.max_id())) is not None:
        kept.append(int(m.topic.rsplit("/", 1)[1]))
        box.mark_inflight(m.id)
    assert kept == [1, 3, 5, 7, 9]
    assert box.drops["telemetry_thinned"] == 6


def test_cap_evicts_telemetry_then_evidence_then_oldest_alerts(tmp_path: Path) -> None:
    cap = 64 * 1024
    box = Outbox(tmp_path / "o.db", max_bytes=cap)
    box.put([item(Kind.TELEMETRY, 0, 10_000), item(Kind.EVIDENCE, 1, 10_000)])
    box.put([item(Kind.ALERT, n, 10_000) for n in range(2, 6)])
    assert box.total_bytes <= cap and box.drops["telemetry_evicted"] == 0
    box.put([item(Kind.ALERT, 6, 10_000)])  # 80 KB queued: telemetry goes first
    assert box.drops["telemetry_evicted"] == 1 and box.drops["evidence_evicted"] == 0
    box.put([item(Kind.ALERT, 7, 10_000)])  # then the evidence
    assert box.drops["evidence_evicted"] == 1 and box.drops["alert_evicted"] == 0
    box.put([item(Kind.ALERT, 8, 10_000)])  # then the oldest alert
    assert box.drops["alert_evicted"] == 1
    first = box.next_unsent(backlog=True, watermark=box.max_id())
    assert first is not None and first.topic == "t/alert/3"
    assert box.total_bytes <= cap


def test_message_larger_than_cap_is_refused_and_counted(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_bytes=64 * 1024)
    assert box.put([item(Kind.EVIDENCE, 1, 70_000)]) == [-1]
    assert box.drops["evidence_too_large"] == 1 and box.depth()["queued"] == 0


def test_inflight_messages_are_not_evicted(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_bytes=64 * 1024)
    [first] = box.put([item(Kind.TELEMETRY, 0, 30_000)])
    box.mark_inflight(first)
    box.put([item(Kind.TELEMETRY, 1, 30_000)])
    box.put([item(Kind.ALERT, 2, 30_000)])
    assert box.drops["telemetry_evicted"] == 1
    box.ack(first)  # acked after all: the row is gone, counted once
    assert box.depth()["telemetry_queued"] == 0


def test_open_episodes_recorded_and_forgotten(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    box.put([], EpisodeChange("a1", "c1", b"{1}"))
    box.put([], EpisodeChange("a2", "c2", b"{2}"))
    box.put([], EpisodeChange("a1", "c1", b"{3}"))
    box.put([], EpisodeChange("a2", "c2", None))
    box.close()
    assert Outbox(tmp_path / "o.db").open_episodes() == [("a1", "c1", b"{3}")]


def test_corrupt_outbox_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not sqlite" * 100)
    from edge.outbox import OutboxError

    with pytest.raises(OutboxError, match=r"o\.db"):
        Outbox(path)


def test_send_order_alternates_live_and_backlog_and_keeps_episode_order(tmp_path: Path) -> None:
    site = make_site()
    config = from_flags(
        agent="edge-t",
        site_file=tmp_path / "s.yaml",
        broker_url="mqtt://127.0.0.1:9",
        data_dir=tmp_path,
    )
    agent = EdgeAgent(config, site)
    box = agent.outbox
    backlog = box.put([item(Kind.ALERT, n) for n in range(4)] + [item(Kind.ALERT, 9, alert_id="x")])
    agent._watermark = box.max_id()
    live = box.put(
        [item(Kind.ALERT, n) for n in range(10, 13)] + [item(Kind.ALERT, 19, alert_id="x")]
    )
    sent = []
    while (m := agent._pick()) is not None:
        box.mark_inflight(m.id)
        sent.append(m.id)
    assert sorted(sent) == sorted(backlog + live)
    # live first, then one backlog, one live, ...
    assert sent[:6] == [live[0], backlog[0], live[1], backlog[1], live[2], backlog[2]]
    # the live message of episode "x" waits for its backlog history
    assert sent.index(backlog[4]) < sent.index(live[3])
    # each class is sent in queue order
    assert [i for i in sent if i in backlog] == backlog
    assert [i for i in sent if i in live] == live
    box.close()
