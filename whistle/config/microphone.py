"""Noise sensor (microphone) device config. Owned by the noise work (issue 3).

Rules follow GB 3096-2008 (zone class limits, day 06:00-22:00, night LAFmax <= limit + 15 dB)
with optional stricter local limits for the market's own hours.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal

from pydantic import Field, model_validator

from whistle.config.common import TimeWindow
from whistle.config.devices import DeviceBase
from whistle.config.loader import StrictModel

PositiveSeconds = Annotated[float, Field(ge=0)]


class MicrophoneSource(StrictModel):
    """Where the PCM comes from.

    ``simulator``: the in-process simulated sensor plays ``scenario``; ``tcp``: a real sensor,
    ``url`` either ``http://host:port/audio.l16`` (chunked RFC 2586 L16 with an
    ``X-Device-Start`` header, see docs/noise.md) or ``tcp://host:port`` (raw big-endian L16 at
    ``sample_rate_hz``, device time = connection time); ``file``: a WAV file at ``url`` (path).
    """

    kind: Literal["simulator", "tcp", "file"]
    url: str | None = None
    scenario: str | None = None
    seed: int = 0
    sample_rate_hz: Literal[16000, 44100, 48000] = 48000

    @model_validator(mode="after")
    def _complete(self) -> MicrophoneSource:
        if self.kind == "simulator" and not self.scenario:
            raise ValueError(
                "a simulator source needs a scenario (see `whistle sim noise scenarios`)"
            )
        if self.kind in ("tcp", "file") and not self.url:
            raise ValueError(f"a {self.kind} source needs a url")
        return self


class LocalLimit(StrictModel):
    """A stricter local limit for a daily window (e.g. the market's own rules)."""

    window: TimeWindow
    laeq_db: float
    #: Night impulsive limit in this window; default: the legal one.
    lafmax_db: float | None = None
    reason: str = "local rule"


class NoiseRules(StrictModel):
    #: Sliding window of the sustained-exceedance LAeq, seconds.
    window_s: Annotated[int, Field(ge=10, le=3600)] = 300
    #: Valid seconds needed in the window before it is judged (startup, after a fault).
    min_window_s: Annotated[int, Field(ge=1)] = 60
    open_after_s: PositiveSeconds = 10.0
    close_after_s: PositiveSeconds = 60.0
    update_every_s: Annotated[float, Field(gt=0)] = 60.0
    #: GB 3096-2008: at night LAFmax may not exceed the limit by more than this.
    impulsive_margin_db: float = 15.0
    impulsive_close_after_s: PositiveSeconds = 60.0
    day: TimeWindow = TimeWindow(start=time(6, 0), end=time(22, 0))
    local_limits: list[LocalLimit] = Field(default_factory=list)
    #: LAeq,1s below this (dB(A)) is under any MEMS microphone's self-noise: a dead microphone.
    noise_floor_db: float = 20.0
    #: Clipped samples per second that flag the second as overloaded.
    clip_samples: Annotated[int, Field(ge=1)] = 5
    fault_open_after_s: PositiveSeconds = 5.0
    fault_close_after_s: PositiveSeconds = 10.0

    @model_validator(mode="after")
    def _window(self) -> NoiseRules:
        if self.min_window_s > self.window_s:
            raise ValueError("min_window_s is longer than window_s")
        return self


class NoiseEvidence(StrictModel):
    #: Seconds of per-second levels in the level trace (before the episode and during it).
    pre_roll_s: Annotated[int, Field(ge=0, le=600)] = 60
    max_trace_s: Annotated[int, Field(ge=10, le=7200)] = 1800
    #: A short audio clip of the moment the episode opened. Off by default (privacy).
    audio_clip: bool = False
    audio_clip_s: Annotated[float, Field(gt=0, le=10)] = 10.0


class MicrophoneConfig(DeviceBase):
    kind: Literal["microphone"]
    source: MicrophoneSource
    #: Datasheet sensitivity: dBFS of a 94 dB SPL, 1 kHz tone.
    sensitivity_dbfs: float = -26.0
    #: GB 3096-2008 acoustic environment class of the place.
    zone_class: Literal["0", "1", "2", "3", "4a", "4b"] = "2"
    #: The alert zone reported with observations and episodes.
    zone: str | None = None
    rules: NoiseRules = Field(default_factory=NoiseRules)
    evidence: NoiseEvidence = Field(default_factory=NoiseEvidence)
