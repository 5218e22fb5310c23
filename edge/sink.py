"""Turns what workers produce into wire-contract messages and routes them.

* :func:`alert_messages`: an :class:`~edge.device.EpisodeEvent` becomes one
  :class:`~whistle.contract.AlertPayload` (with an :class:`~whistle.contract.EvidenceRef` per
  blob) plus one :class:`~whistle.contract.EvidencePayload` per blob; blobs over the contract's
  size cap are left out and counted.
* :func:`telemetry_message`: an :class:`~edge.device.Observation` becomes a
  :class:`~whistle.contract.TelemetryPayload` carrying the device's next sequence number.
* :class:`AgentSink` (the :class:`~edge.device.Sink` the workers get) puts alerts, evidence and
  QoS 1 telemetry into the disk outbox and hands QoS 0 telemetry to the live publisher. It never
  raises into a worker: a bad event is logged and counted (``drops_invalid``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from edge.device import EpisodeEvent, Observation
from edge.health import AgentHealth, wire_key
from edge.outbox import EpisodeChange, Kind, Outbox, Outgoing
from whistle import contract as c

log = logging.getLogger(__name__)

#: Sequence numbers reserved on disk at a time (a restart skips at most this many).
SEQ_BLOCK = 1000


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AlertMessages:
    alert: c.AlertPayload
    evidence: tuple[c.EvidencePayload, ...]
    dropped_evidence: int


def alert_messages(site: str, event: EpisodeEvent) -> AlertMessages:
    """The contract payloads of one episode event (raises ``ValidationError`` if invalid)."""
    evidence: list[c.EvidencePayload] = []
    dropped = 0
    for blob in event.evidence:
        if len(blob.data) > c.MAX_EVIDENCE_BYTES:
            dropped += 1
            log.warning(
                "evidence %s of alert %s is %d bytes, over the %d cap: left out",
                blob.evidence_id,
                event.alert_id,
                len(blob.data),
                c.MAX_EVIDENCE_BYTES,
            )
            continue
        evidence.append(
            c.EvidencePayload.build(
                alert_id=event.alert_id,
                evidence_id=blob.evidence_id,
                kind=blob.kind,
                content_type=blob.content_type,
                ts=_aware(event.ts),
                data=blob.data,
            )
        )
    alert = c.AlertPayload(
        schema_version=c.SCHEMA_VERSION,
        alert_id=event.alert_id,
        state=event.state,
        seq=event.seq,
        type=event.type,
        severity=event.severity,
        site=site,
        device=event.device,
        zone=event.zone,
        started_at=_aware(event.started_at),
        ended_at=_aware(event.ended_at) if event.ended_at else None,
        ts=_aware(event.ts),
        measured=dict(event.measured),
        threshold=event.threshold,
        unit=event.unit,
        summary=event.summary,
        details=dict(event.details),
        evidence=tuple(e.ref() for e in evidence),
    )
    return AlertMessages(alert, tuple(evidence), dropped)


def telemetry_message(obs: Observation, seq: int) -> c.TelemetryPayload:
    return c.TelemetryPayload(
        schema_version=c.SCHEMA_VERSION,
        seq=seq,
        ts=_aware(obs.ts),
        zone=obs.zone,
        values=dict(obs.values),
        flags=obs.flags,
    )


def closing_message(last: c.AlertPayload, reason: str, now: datetime) -> c.AlertPayload:
    """``closed`` for an episode left open (agent restarted after a crash, or stopping)."""
    return last.model_copy(
        update={
            "state": c.AlertState.CLOSED,
            "seq": last.seq + 1,
            "ended_at": last.ended_at or last.ts,
            "ts": now,
            "details": {**last.details, "reason": reason},
            "evidence": (),
            "replay": False,
        }
    )


class SeqCounters:
    """Per-device telemetry sequence numbers that never go back, reserved on disk in blocks."""

    def __init__(self, outbox: Outbox, block: int = SEQ_BLOCK) -> None:
        self._outbox = outbox
        self._block = block
        self._lock = threading.Lock()
        self._next: dict[str, int] = {}
        self._end: dict[str, int] = {}

    def next(self, device: str) -> int:
        with self._lock:
            if self._next.get(device, 0) >= self._end.get(device, 0):
                start, end = self._outbox.reserve_seq(device, self._block)
                self._next[device], self._end[device] = start, end
            seq = self._next[device]
            self._next[device] = seq + 1
            return seq


class AgentSink:
    """The :class:`edge.device.Sink` of an agent."""

    def __init__(
        self,
        site: str,
        outbox: Outbox,
        health: AgentHealth,
        publish_live: Callable[[str, bytes, int], None],
        wake: Callable[[], None],
    ) -> None:
        self.site = site
        self.outbox = outbox
        self.counters = health
        self.seqs = SeqCounters(outbox)
        self._publish_live = publish_live
        self._wake = wake

    def episode(self, event: EpisodeEvent) -> None:
        try:
            messages = alert_messages(self.site, event)
        except (ValidationError, ValueError) as exc:
            self._invalid("alert", event.device, exc)
            return
        if messages.dropped_evidence:
            self.counters.drop("evidence_too_large", messages.dropped_evidence)
        alert = messages.alert
        aid = str(alert.alert_id)
        items = [
            Outgoing(Kind.ALERT, c.alert_topic(self.site, alert.device), alert.to_json(), 1, aid)
        ]
        items += [
            Outgoing(
                Kind.EVIDENCE,
                c.evidence_topic(self.site, alert.device, alert.alert_id),
                ev.to_json(),
                1,
                aid,
            )
            for ev in messages.evidence
        ]
        change = EpisodeChange(
            aid,
            alert.device,
            None if alert.state is c.AlertState.CLOSED else alert.to_json(),
        )
        self._queue(items, change)

    def observation(self, obs: Observation) -> None:
        try:
            payload = telemetry_message(obs, self.seqs.next(obs.device))
            topic = c.telemetry_topic(self.site, obs.device, obs.stream)
        except (ValidationError, ValueError) as exc:
            self._invalid("telemetry", obs.device, exc)
            return
        self._telemetry(topic, payload, c.telemetry_qos(obs.stream))

    def health(self, device: str, values: Mapping[str, float], flags: tuple[str, ...]) -> None:
        obs = Observation(
            device=device,
            stream="health",
            ts=datetime.now(UTC),
            values={wire_key(k): float(v) for k, v in values.items()} or {"ok": 1.0},
            flags=tuple(wire_key(f) for f in flags),
        )
        self.observation(obs)

    def agent_health(self, agent: str, values: Mapping[str, float]) -> None:
        """The agent's own ``health`` stream (same path as a device's)."""
        self.health(agent, values, ())

    def close_episode(self, last_json: bytes, reason: str) -> None:
        """Queue ``closed`` (``details.reason``) for an episode recorded open."""
        try:
            last = c.AlertPayload.model_validate_json(last_json)
            closed = closing_message(last, reason, datetime.now(UTC))
        except (ValidationError, ValueError) as exc:
            self._invalid("alert", "?", exc)
            return
        aid = str(closed.alert_id)
        self._queue(
            [
                Outgoing(
                    Kind.ALERT, c.alert_topic(self.site, closed.device), closed.to_json(), 1, aid
                )
            ],
            EpisodeChange(aid, closed.device, None),
        )

    # -- routing --------------------------------------------------------------------------

    def _telemetry(self, topic: str, payload: c.TelemetryPayload, qos: int) -> None:
        if qos == 0:
            self._publish_live(topic, payload.to_json(), 0)
            return
        self._queue([Outgoing(Kind.TELEMETRY, topic, payload.to_json(), 1, None)], None)

    def _queue(self, items: list[Outgoing], change: EpisodeChange | None) -> None:
        try:
            self.outbox.put(items, change)
        except Exception as exc:
            log.error("outbox refused %d message(s): %s", len(items), exc)
            for item in items:
                self.counters.drop(f"{item.kind.value}_outbox_error")
            return
        self._wake()

    def _invalid(self, what: str, device: str, exc: Exception) -> None:
        log.error("worker of %s produced an invalid %s: %s", device, what, exc)
        self.counters.drop("invalid")


def mark_replay(payload: bytes) -> bytes:
    """The same alert or telemetry message with ``replay: true`` (backlog delivery)."""
    document: dict[str, Any] = json.loads(payload)
    document["replay"] = True
    return json.dumps(document, separators=(",", ":")).encode("utf-8")
