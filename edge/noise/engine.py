"""The per-second noise rules of one microphone: telemetry, validity, and alert episodes.

Feed :meth:`NoiseRuleEngine.step` one :class:`~models.noise.meter.SecondLevels` with its
device time; it returns the Observation and the EpisodeEvents that second causes.

* ``noise_exceedance``: LAeq over the sliding window (valid seconds only, at least
  ``min_window_s`` of them) above the applied LAeq limit.
* ``noise_impulsive``: at night, LAFmax above the limit + 15 dB (GB 3096-2008 5.4).
* ``microphone_fault``: clipping (overload) or a dead microphone (digital silence or a level
  under the microphone's self-noise). Invalid seconds are flagged and left out of the windows;
  they neither open nor close noise episodes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from edge.device import EpisodeEvent, EpisodeState, EvidenceBlob, Observation, Severity
from edge.episodes import EpisodeTracker, HysteresisSettings
from edge.noise import evidence
from models.noise.limits import AppliedLimit, applied_limit
from models.noise.meter import SecondLevels
from models.noise.source_hint import classify
from models.noise.stats import energy_mean_db
from whistle.config.microphone import MicrophoneConfig

HINT_EVERY_S = 10
#: Seconds after a flagged second that are still left out (S time weighting tau = 1 s).
SETTLE_S = 3
HINT_WINDOW_S = 30


@dataclass
class _Second:
    t: datetime
    lv: SecondLevels
    valid: bool


@dataclass
class _EpisodeStats:
    """What an open episode has seen: levels, the peak second, source hint votes."""

    peak_t: datetime | None = None
    peak_lafmax: float = -1e9
    peak_bands: npt.NDArray[np.float64] | None = None
    peak_crest: float = 0.0
    energy: list[float] = field(default_factory=list)
    votes: dict[str, int] = field(default_factory=dict)
    hint: str = "unknown"
    clip: EvidenceBlob | None = None

    def add(self, s: _Second) -> None:
        self.energy.append(s.lv.laeq)
        if s.lv.lafmax > self.peak_lafmax:
            self.peak_t, self.peak_lafmax = s.t, s.lv.lafmax
            self.peak_bands = s.lv.bands_db
            self.peak_crest = s.lv.lafmax - s.lv.laeq

    def best_hint(self) -> str:
        if not self.votes:
            return self.hint
        return max(self.votes.items(), key=lambda kv: (kv[1], kv[0] == "loudspeaker_loop"))[0]


class NoiseRuleEngine:
    def __init__(
        self,
        device: MicrophoneConfig,
        tz: str,
        clip_source: Callable[[], EvidenceBlob | None] | None = None,
    ) -> None:
        self.device = device
        self.rules = device.rules
        self.tz = ZoneInfo(tz)
        self.zone = device.zone
        self.clip_source = clip_source if device.evidence.audio_clip else None
        r = self.rules
        keep = max(r.window_s, device.evidence.pre_roll_s, HINT_WINDOW_S) + 5
        self.history: deque[_Second] = deque(maxlen=keep)
        self.window: deque[tuple[datetime, float]] = deque()
        self.trackers = {
            "noise_exceedance": EpisodeTracker(
                "noise_exceedance",
                device.id,
                self.zone,
                Severity.WARNING,
                HysteresisSettings(r.open_after_s, r.close_after_s, r.update_every_s),
            ),
            "noise_impulsive": EpisodeTracker(
                "noise_impulsive",
                device.id,
                self.zone,
                Severity.WARNING,
                HysteresisSettings(0.0, r.impulsive_close_after_s, r.update_every_s),
            ),
            "microphone_fault": EpisodeTracker(
                "microphone_fault",
                device.id,
                self.zone,
                Severity.MAJOR,
                HysteresisSettings(r.fault_open_after_s, r.fault_close_after_s, r.update_every_s),
            ),
        }
        self.stats: dict[str, _EpisodeStats] = {}
        self.trace: dict[str, list[_Second]] = {}
        self.last_limit: AppliedLimit | None = None
        self.counters = {"seconds": 0, "invalid_seconds": 0}
        self._since_fault = SETTLE_S + 1

    # -- per second -----------------------------------------------------------------------
    def step(self, t: datetime, lv: SecondLevels) -> tuple[Observation, list[EpisodeEvent]]:
        r = self.rules
        flags: list[str] = []
        if lv.clipped_samples >= r.clip_samples:
            flags.append("clipping")
        if lv.digital_silence or lv.laeq < r.noise_floor_db:
            flags.append("dead_mic")
        if flags:
            self._since_fault = 0
        else:
            self._since_fault += 1
        # the averagers and filters still carry the fault for a moment: let them settle
        valid = not flags and self._since_fault > SETTLE_S
        s = _Second(t, lv, valid)
        self.history.append(s)
        self.counters["seconds"] += 1
        if not valid:
            self.counters["invalid_seconds"] += 1
        obs = Observation(self.device.id, "noise", t, lv.as_dict(), self.zone, tuple(flags))
        limit = applied_limit(t.astimezone(self.tz), self.device.zone_class, r)
        self.last_limit = limit
        events: list[EpisodeEvent] = []
        events += self._feed(
            "microphone_fault", t, bool(flags), limit, {"fault": flags[0] if flags else None}
        )
        if not valid:
            return obs, events
        self.window.append((t, lv.laeq))
        while (t - self.window[0][0]).total_seconds() >= r.window_s:
            self.window.popleft()
        win_db = energy_mean_db([x for _, x in self.window])
        enough = len(self.window) >= r.min_window_s
        over = enough and win_db > limit.laeq_db
        events += self._feed(
            "noise_exceedance",
            t,
            over,
            limit,
            {"laeq_window_db": round(win_db, 1), "window_s": r.window_s},
        )
        loud = limit.lafmax_db is not None and lv.lafmax > limit.lafmax_db
        events += self._feed("noise_impulsive", t, loud, limit, {})
        return obs, events

    # -- episodes -------------------------------------------------------------------------
    def _feed(
        self, kind: str, t: datetime, active: bool, limit: AppliedLimit, extra: dict[str, Any]
    ) -> list[EpisodeEvent]:
        tracker = self.trackers[kind]
        was_open = tracker.is_open
        s = self.history[-1]
        if was_open:
            self._observe(kind, s)
        threshold = (
            limit.lafmax_db
            if kind == "noise_impulsive"
            else None
            if kind == "microphone_fault"
            else limit.laeq_db
        )
        st = self.stats.get(kind) or _EpisodeStats()
        if not was_open and active:
            st = self._new_stats(kind, s)
        details = self._details(kind, limit, st, extra, t)
        measured = self._measured(kind, st, t)
        evs = tracker.update(
            t,
            active,
            measured,
            threshold=threshold,
            unit="dB(A)" if threshold else "",
            summary=self._summary(kind, limit, st, details),
            details=details,
            evidence=lambda state: self._evidence(kind, state, limit, st),
        )
        if not was_open and tracker.is_open:
            self.stats[kind] = st
        elif not was_open:
            self.stats.pop(kind, None)
        if evs and evs[-1].state == EpisodeState.CLOSED:
            self.stats.pop(kind, None)
            self.trace.pop(kind, None)
        return evs

    def _new_stats(self, kind: str, s: _Second) -> _EpisodeStats:
        st = _EpisodeStats()
        pre = self.device.evidence.pre_roll_s
        self.trace[kind] = list(self.history)[-pre - 1 :] if pre else [s]
        st.add(s)
        st.hint = self._hint(kind, st)
        if self.clip_source is not None and kind != "microphone_fault":
            st.clip = self.clip_source()
        return st

    def _observe(self, kind: str, s: _Second) -> None:
        st = self.stats.get(kind)
        if st is None:
            return
        st.add(s)
        tr = self.trace.setdefault(kind, [])
        tr.append(s)
        if len(tr) > self.device.evidence.max_trace_s:
            del tr[0]
        if kind == "noise_exceedance" and len(st.energy) % HINT_EVERY_S == 0:
            h = self._hint(kind, st)
            st.votes[h] = st.votes.get(h, 0) + 1

    def _hint(self, kind: str, st: _EpisodeStats) -> str:
        if kind == "microphone_fault":
            return "unknown"
        recent = [x for x in list(self.history)[-HINT_WINDOW_S:] if x.valid]
        if len(recent) < 3:
            return "unknown"
        env = np.concatenate([x.lv.envelope_db for x in recent])
        bands = st.peak_bands if st.peak_bands is not None else recent[-1].lv.bands_db
        hint, _ = classify(env, st.peak_crest, bands)
        if kind == "noise_impulsive" and hint != "loudspeaker_loop":
            return "impulsive"  # a sudden LAFmax over the limit + 15 dB, not a loop
        return hint

    def _details(
        self, kind: str, limit: AppliedLimit, st: _EpisodeStats, extra: dict[str, Any], t: datetime
    ) -> dict[str, Any]:
        d: dict[str, Any] = {**limit.as_details(), **extra}
        if kind != "microphone_fault":
            d["source_hint"] = st.best_hint()
        if kind == "microphone_fault":
            d["action"] = (
                "check the microphone: overload (clipping) or no signal; "
                "data from these seconds is not valid"
            )
        d["indicative"] = "MEMS microphone: indicative data, not a certified class 1 instrument"
        return d

    def _measured(self, kind: str, st: _EpisodeStats, t: datetime) -> dict[str, float]:
        if not st.energy:
            return {}
        started = self.trackers[kind].started_at or t
        return {
            "lafmax_peak_db": round(st.peak_lafmax, 1),
            "laeq_mean_db": round(energy_mean_db(st.energy), 1),
            "duration_s": round((t - started).total_seconds() + 1.0, 1),
        }

    def _summary(self, kind: str, limit: AppliedLimit, st: _EpisodeStats, d: dict[str, Any]) -> str:
        if kind == "microphone_fault":
            return "microphone fault: clipping or dead microphone, data invalid"
        what = "LAFmax" if kind == "noise_impulsive" else f"LAeq,{self.rules.window_s // 60}min"
        lim = limit.lafmax_db if kind == "noise_impulsive" else limit.laeq_db
        if lim is None:
            return f"{what}: no limit by day"
        return (
            f"{what} over {lim:g} dB(A) ({limit.period}, class {limit.zone_class}); "
            f"likely source: {d.get('source_hint', 'unknown')}"
        )

    def _evidence(
        self, kind: str, state: EpisodeState, limit: AppliedLimit, st: _EpisodeStats
    ) -> tuple[EvidenceBlob, ...]:
        if state == EpisodeState.UPDATED or kind == "microphone_fault":
            return ()
        rows = [(x.t, x.lv.laeq, x.lv.lafmax, x.valid) for x in self.trace.get(kind, [])]
        out = [evidence.level_trace(rows, limit.laeq_db)]
        if st.peak_bands is not None and st.peak_t is not None:
            out.append(
                evidence.spectrum(st.peak_t, self.history[-1].lv.band_centres_hz, st.peak_bands)
            )
        if state == EpisodeState.OPENED and st.clip is not None:
            out.append(st.clip)
        return tuple(out)

    def close_all(self, t: datetime) -> list[EpisodeEvent]:
        """Close every open episode (the worker is stopping)."""
        out = []
        for kind, tracker in self.trackers.items():
            if tracker.is_open:
                st = self.stats.get(kind) or _EpisodeStats()
                lim = self.last_limit
                ev = tracker.close(
                    t, {"details": {"closed_by": "worker stopped", "source_hint": st.best_hint()}}
                )
                out.append(ev)
                self.stats.pop(kind, None)
                _ = lim
        return out
