"""A scenario: timed sound sources and microphone faults, rendered to calibrated PCM.

Levels in the script are A-weighted equivalent levels in dB(A) re 20 uPa at the microphone:
for continuous sources the level while they play, for one-shot events the LAeq over the
event's own duration. Scenarios never end: after ``duration_s`` the tracks without an end
(the background) keep playing, so a demo that runs long continues quietly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time
from typing import Literal

import numpy as np
import numpy.typing as npt

from firmware_sim.noise import sources
from firmware_sim.noise.acoustics import full_scale_per_pa, level_to_pa_rms

Hint = Literal["loudspeaker_loop", "impulsive", "broadband", "unknown"]
SourceKind = Literal["ambience", "crowd", "rumble", "sales_pitch", "horn", "crate"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Track:
    """One source playing from ``start_s`` to ``end_s`` (None: forever) at ``level_db``.

    ``level_end_db`` ramps the level linearly in dB up to ``end_s``. One-shot sources
    (horn, crate) play once at ``start_s``; their level is the LAeq over their duration.
    """

    source: SourceKind
    start_s: float
    end_s: float | None
    level_db: float
    level_end_db: float | None = None
    seed: int = 0

    @property
    def hint(self) -> Hint:
        hints: dict[str, Hint] = {
            "sales_pitch": "loudspeaker_loop",
            "horn": "impulsive",
            "crate": "impulsive",
            "crowd": "broadband",
            "rumble": "broadband",
            "ambience": "broadband",
        }
        return hints[self.source]

    @property
    def one_shot(self) -> bool:
        return self.source in ("horn", "crate")

    def level_at(self, t_s: float) -> float:
        if self.level_end_db is None or self.end_s is None:
            return self.level_db
        frac = min(max((t_s - self.start_s) / (self.end_s - self.start_s), 0.0), 1.0)
        return self.level_db + frac * (self.level_end_db - self.level_db)


@dataclass(frozen=True)
class Fault:
    """A microphone fault: ``clip`` (gain stuck +``gain_db``: overload) or ``dead`` (zeros)."""

    kind: Literal["clip", "dead"]
    start_s: float
    end_s: float
    gain_db: float = 80.0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    #: Local time of day of the first sample (the date comes from the clock that plays it).
    start: time
    duration_s: float
    tracks: tuple[Track, ...]
    faults: tuple[Fault, ...] = ()
    #: GB 3096-2008 zone class the ground truth assumes.
    zone_class: str = "2"


def _make_source(track: Track, fs_hz: int, seed: int) -> sources.FilteredNoise | sources.Recording:
    s = seed * 1000 + track.seed
    factories: dict[str, Callable[[], sources.FilteredNoise | sources.Recording]] = {
        "ambience": lambda: sources.ambience(fs_hz, s),
        "crowd": lambda: sources.crowd(fs_hz, s),
        "rumble": lambda: sources.rumble(fs_hz, s),
        "sales_pitch": lambda: sources.sales_pitch(fs_hz, s),
        "horn": lambda: sources.horn(fs_hz),
        "crate": lambda: sources.crate_drop(fs_hz, s),
    }
    return factories[track.source]()


@dataclass
class Renderer:
    """Renders a scenario's samples ``[n0, n0 + n)`` as int16 PCM for a microphone."""

    scenario: Scenario
    fs_hz: int = 48000
    sensitivity_dbfs: float = -26.0
    seed: int = 0
    _sources: list[sources.FilteredNoise | sources.Recording] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sources = [_make_source(t, self.fs_hz, self.seed) for t in self.scenario.tracks]

    def render_pa(self, n0: int, n: int) -> FloatArray:
        fs = self.fs_hz
        t0, t1 = n0 / fs, (n0 + n) / fs
        out = np.zeros(n)
        for track, src in zip(self.scenario.tracks, self._sources, strict=True):
            if track.one_shot:
                assert isinstance(src, sources.Recording)
                start_n = round(track.start_s * fs)
                if start_n >= n0 + n or start_n + src.wave.size <= n0:
                    continue
                out += level_to_pa_rms(track.level_db) * src.render(n0 - start_n, n)
                continue
            if t1 <= track.start_s or (track.end_s is not None and t0 >= track.end_s):
                continue
            idx_t = (n0 + np.arange(n)) / fs
            active = (idx_t >= track.start_s) & (
                idx_t < (track.end_s if track.end_s is not None else math.inf)
            )
            if track.level_end_db is not None:
                lv = np.array([track.level_at(t0), track.level_at(t1)])
                amp = np.interp(idx_t, [t0, t1], 10 ** (lv / 20)) * 20e-6
            else:
                amp = np.full(n, level_to_pa_rms(track.level_db))
            loop_n0 = n0 - round(track.start_s * fs) if track.source == "sales_pitch" else n0
            out += np.where(active, amp * src.render(loop_n0, n), 0.0)
        return out

    def render(self, n0: int, n: int) -> npt.NDArray[np.int16]:
        x = self.render_pa(n0, n) * full_scale_per_pa(self.sensitivity_dbfs)
        t = (n0 + np.arange(n)) / self.fs_hz
        for f in self.scenario.faults:
            inside = (t >= f.start_s) & (t < f.end_s)
            if not inside.any():
                continue
            if f.kind == "dead":
                x = np.where(inside, 0.0, x)
            else:
                x = np.where(inside, x * 10 ** (f.gain_db / 20), x)
        return np.asarray(np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16))


#: LAFmax - LAeq of each continuous source (measured on the meter over 10 min renders).
CREST_DB = {"ambience": 2.0, "crowd": 3.5, "rumble": 2.0, "sales_pitch": 5.0}


def nominal_levels(scenario: Scenario, seconds: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-second scripted LAeq,1s, an LAFmax estimate, and each track's energy per second.

    Pure bookkeeping of the script (energy sums), no audio: the basis of the ground truth.
    One-shot events: LAFmax ~ LAeq,T + 10 lg(1 - exp(-T / 0.125 s)) (IEC 61672-1 Table 4).
    """
    energy = np.zeros((len(scenario.tracks), seconds))
    lafmax = np.full(seconds, -np.inf)
    for i, tr in enumerate(scenario.tracks):
        if tr.one_shot:
            dur = 0.8 if tr.source == "horn" else 0.06
            k = int(tr.start_s)
            if 0 <= k < seconds:
                energy[i, k] += 10 ** (tr.level_db / 10) * dur
                lf = tr.level_db + 10 * math.log10(1 - math.exp(-dur / 0.125))
                lafmax[k] = max(lafmax[k], lf)
            continue
        end = tr.end_s if tr.end_s is not None else math.inf
        for k in range(seconds):
            overlap = max(0.0, min(k + 1, end) - max(k, tr.start_s))
            if overlap > 0:
                lv = tr.level_at(k + 0.5)
                energy[i, k] += 10 ** (lv / 10) * overlap
                lafmax[k] = max(lafmax[k], lv + CREST_DB[tr.source])
    total = energy.sum(axis=0)
    laeq = 10 * np.log10(np.maximum(total, 1e-12))
    return laeq, lafmax, energy
