"""Alert episodes with hysteresis, shared by every detector's rules.

A condition (noise over the limit, an object in the fire lane) must hold for ``open_after_s``
before an episode opens, and be absent for ``close_after_s`` before it closes, so one loud
morning gives a handful of episodes rather than one alert a second. While open, an ``updated``
event is emitted at most every ``update_every_s`` seconds.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from edge.device import EpisodeEvent, EpisodeState, EvidenceBlob, Severity


@dataclass(frozen=True)
class HysteresisSettings:
    open_after_s: float = 0.0
    close_after_s: float = 10.0
    update_every_s: float = 60.0

    def __post_init__(self) -> None:
        if self.open_after_s < 0 or self.close_after_s < 0 or self.update_every_s <= 0:
            raise ValueError("hysteresis times must be non-negative (update interval positive)")


@dataclass
class _Open:
    alert_id: uuid.UUID
    started_at: datetime
    seq: int = 0
    last_update: datetime | None = None
    last_active: datetime | None = None
    #: The last time the condition could not be judged (:meth:`EpisodeTracker.unseen`): the
    #: close countdown runs from the later of this and ``last_active``.
    last_unseen: datetime | None = None


@dataclass
class EpisodeTracker:
    """Turns a stream of (time, active) judgements into opened/updated/closed events.

    ``make_event`` fills in the domain fields (measured values, evidence) of each event; it is
    given the state and the skeleton event and returns the event to emit.
    """

    type: str
    device: str
    zone: str | None
    severity: Severity
    settings: HysteresisSettings = field(default_factory=HysteresisSettings)
    _pending_since: datetime | None = field(default=None, init=False)
    _open: _Open | None = field(default=None, init=False)

    @property
    def is_open(self) -> bool:
        return self._open is not None

    @property
    def alert_id(self) -> uuid.UUID | None:
        return self._open.alert_id if self._open else None

    @property
    def started_at(self) -> datetime | None:
        return self._open.started_at if self._open else None

    @property
    def last_active(self) -> datetime | None:
        """When the open episode's condition last held (None when none is open)."""
        return self._open.last_active if self._open else None

    def update(
        self,
        t: datetime,
        active: bool,
        measured: Mapping[str, float] | None = None,
        *,
        threshold: float | None = None,
        unit: str = "",
        summary: str = "",
        details: Mapping[str, Any] | None = None,
        evidence: Callable[[EpisodeState], tuple[EvidenceBlob, ...]] | None = None,
    ) -> list[EpisodeEvent]:
        """Feed one judgement at device time ``t``; return the events it causes (0 or 1)."""
        s = self.settings
        base = {
            "measured": dict(measured or {}),
            "threshold": threshold,
            "unit": unit,
            "summary": summary,
            "details": dict(details or {}),
        }
        if self._open is None:
            if not active:
                self._pending_since = None
                return []
            if self._pending_since is None:
                self._pending_since = t
            if (t - self._pending_since).total_seconds() < s.open_after_s:
                return []
            self._open = _Open(
                uuid.uuid4(), started_at=self._pending_since, last_update=t, last_active=t
            )
            self._pending_since = None
            return [self._event(EpisodeState.OPENED, t, base, evidence)]
        ep = self._open
        if active:
            ep.last_active = t
            assert ep.last_update is not None
            if (t - ep.last_update).total_seconds() >= s.update_every_s:
                ep.last_update = t
                return [self._event(EpisodeState.UPDATED, t, base, evidence)]
            return []
        assert ep.last_active is not None
        countdown_from = max(ep.last_active, ep.last_unseen or ep.last_active)
        if (t - countdown_from).total_seconds() >= s.close_after_s:
            return [self.close(t, base, evidence, ended_at=ep.last_active)]
        return []

    def unseen(
        self, t: datetime, max_unseen_s: float, base: Mapping[str, Any] | None = None
    ) -> list[EpisodeEvent]:
        """The condition could not be judged at ``t`` (a camera's view is lost: covered,
        turned away). An open episode neither extends nor closes: its close countdown starts
        when judgements resume, so goods still there when the view comes back keep their
        episode instead of a second one. Once the condition has not been seen for
        ``max_unseen_s`` the episode closes, ended when last seen. A pending one starts over:
        its condition did not hold unbroken. ``base``: the fields of that close event."""
        self._pending_since = None
        ep = self._open
        if ep is None:
            return []
        assert ep.last_active is not None
        if (t - ep.last_active).total_seconds() >= max_unseen_s:
            return [self.close(t, base, ended_at=ep.last_active)]
        ep.last_unseen = t
        return []

    def close(
        self,
        t: datetime,
        base: Mapping[str, Any] | None = None,
        evidence: Callable[[EpisodeState], tuple[EvidenceBlob, ...]] | None = None,
        *,
        ended_at: datetime | None = None,
    ) -> EpisodeEvent:
        """Close the open episode now (also used at shutdown and end of schedule)."""
        if self._open is None:
            raise RuntimeError("no open episode to close")
        event = self._event(EpisodeState.CLOSED, t, dict(base or {}), evidence)
        event = replace(event, ended_at=ended_at or t)
        self._open = None
        return event

    def _event(
        self,
        state: EpisodeState,
        t: datetime,
        base: Mapping[str, Any],
        evidence: Callable[[EpisodeState], tuple[EvidenceBlob, ...]] | None,
    ) -> EpisodeEvent:
        ep = self._open
        assert ep is not None
        seq = ep.seq
        ep.seq += 1
        return EpisodeEvent(
            alert_id=ep.alert_id,
            state=state,
            seq=seq,
            type=self.type,
            severity=self.severity,
            device=self.device,
            zone=self.zone,
            started_at=ep.started_at,
            ts=t,
            evidence=evidence(state) if evidence else (),
            **base,
        )
