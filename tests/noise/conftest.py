from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from edge.device import WorkerOptions
from edge.noise import build_workers
from firmware_sim.noise.scenarios import get_scenario
from tests.sinks import ListSink
from whistle.config.microphone import MicrophoneConfig
from whistle.config.site import SiteConfig


def run_scenario(
    name: str,
    seconds: float | None = None,
    fs: int = 16000,
    extra: dict[str, Any] | None = None,
    tmp: Path = Path("/tmp"),
) -> tuple[ListSink, datetime]:
    """Play a scenario through the worker (simulator over HTTP) as fast as it goes."""
    sc = get_scenario(name)
    tz = ZoneInfo("Asia/Shanghai")
    start = datetime(2024, 5, 1, sc.start.hour, sc.start.minute, tzinfo=tz)
    dev = {
        "id": "mic1",
        "name": "mic",
        "kind": "microphone",
        "source": {"kind": "simulator", "scenario": name, "sample_rate_hz": fs},
        **(extra or {}),
    }
    site = SiteConfig.model_validate(
        {"id": "gumo", "name": "Gumo", "kind": "market", "devices": [dev]}
    )
    mic = site.devices[0]
    assert isinstance(mic, MicrophoneConfig)
    worker = build_workers(site, [mic], WorkerOptions(tmp, start, 1e5))[0]
    sink, stop = ListSink(), threading.Event()
    th = threading.Thread(target=worker.run, args=(sink, stop), daemon=True)
    th.start()
    end = start + timedelta(seconds=seconds if seconds is not None else sc.duration_s)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with sink.lock:
            if sink.obs and sink.obs[-1].ts >= end:
                break
        time.sleep(0.02)
    stop.set()
    th.join(timeout=30)
    return sink, start


class ScenarioRuns:
    """Each (scenario, seconds) is played through the worker once per test module."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self._done: dict[tuple[str, float | None], tuple[ListSink, datetime]] = {}

    def __call__(self, name: str, seconds: float | None = None) -> tuple[ListSink, datetime]:
        key = (name, seconds)
        if key not in self._done:
            self._done[key] = run_scenario(name, seconds, tmp=self.tmp)
        return self._done[key]


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> ScenarioRuns:
    return ScenarioRuns(tmp_path_factory.mktemp("noise_runs"))
