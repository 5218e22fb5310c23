"""The worker on its other sources: a WAV file (played once) and a raw big-endian L16 TCP stream."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from edge.device import Observation, WorkerOptions
from edge.noise import build_workers
from edge.noise.sources import SourceError, parse_l16_content_type
from firmware_sim.noise.scenario import Renderer
from firmware_sim.noise.scenarios import get_scenario
from models.noise.stats import energy_mean_db
from tests.noise.conftest import ListSink
from whistle.cli import main
from whistle.config.microphone import MicrophoneConfig
from whistle.config.site import SiteConfig

TZ = ZoneInfo("Asia/Shanghai")


def per_second(sink: ListSink) -> list[Observation]:
    """The per-second ``noise`` observations (the minute summaries come on their own stream)."""
    return [o for o in sink.obs if o.stream == "noise"]


def start_worker(
    source: dict[str, Any], start: datetime | None, tmp: Path
) -> tuple[ListSink, threading.Event, threading.Thread, Any]:
    dev = {"id": "mic1", "name": "mic", "kind": "microphone", "source": source}
    site = SiteConfig.model_validate(
        {"id": "gumo", "name": "Gumo", "kind": "market", "devices": [dev]}
    )
    mic = site.devices[0]
    assert isinstance(mic, MicrophoneConfig)
    worker = build_workers(site, [mic], WorkerOptions(tmp, start, 1e5))[0]
    sink, stop = ListSink(), threading.Event()
    th = threading.Thread(target=worker.run, args=(sink, stop), daemon=True)
    th.start()
    return sink, stop, th, worker


def wait_for(cond: Any, timeout_s: float = 60.0) -> None:
    end = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < end, "timed out waiting for the worker"
        time.sleep(0.02)


def test_wav_file_played_once_with_device_time(tmp_path: Path) -> None:
    wav = tmp_path / "imp.wav"
    assert (
        main(
            [
                "sim",
                "noise",
                "render",
                "--scenario",
                "impulsive",
                "--rate",
                "16000",
                "--duration-s",
                "340",
                "--out",
                str(wav),
                "--date",
                "2024-05-01",
            ]
        )
        == 0
    )
    start = datetime(2024, 5, 1, 3, 0, tzinfo=TZ)
    sink, stop, th, worker = start_worker(
        {"kind": "file", "url": str(wav), "sample_rate_hz": 16000}, start, tmp_path
    )
    try:
        wait_for(lambda: len(per_second(sink)) >= 340)
        time.sleep(0.3)  # a replay would add seconds now
    finally:
        stop.set()
        th.join(timeout=30)
    ts = [o.ts for o in per_second(sink)]
    assert len(ts) == 340 and len(set(ts)) == 340  # once, not looped
    assert ts[0] == start and ts[-1] == start + timedelta(seconds=339)
    opened = [e for e in sink.events if e.state == "opened"]
    assert [e.type for e in opened] == ["noise_impulsive"]  # the crates at 03:05:20
    assert abs((opened[0].ts - (start + timedelta(seconds=320))).total_seconds()) <= 2
    # still open when the worker stops: closed then, with the last device time
    closed = [e for e in sink.events if e.state == "closed"]
    assert len(closed) == 1 and closed[0].ts == ts[-1]
    assert worker.counters["errors"] == 0


def test_raw_tcp_l16_stream(tmp_path: Path) -> None:
    fs, seconds = 16000, 6
    pcm = Renderer(get_scenario("calibration_72"), fs, -26.0, seed=1).render(0, fs * seconds)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.sendall(pcm.astype(">i2").tobytes())
        srv.close()  # the sensor goes away: the worker must log, count and carry on

    threading.Thread(target=serve, daemon=True).start()
    before = datetime.now(TZ)
    sink, stop, th, worker = start_worker(
        {"kind": "tcp", "url": f"tcp://127.0.0.1:{port}", "sample_rate_hz": fs}, None, tmp_path
    )
    try:
        wait_for(lambda: len(per_second(sink)) >= seconds and worker.counters["errors"] >= 1)
    finally:
        stop.set()
        th.join(timeout=30)
    assert len(per_second(sink)) == seconds
    # raw TCP has no header: device time is the connection time
    assert before - timedelta(seconds=1) <= per_second(sink)[0].ts <= datetime.now(TZ)
    levels = [o.values["laeq"] for o in per_second(sink)]
    assert energy_mean_db(levels) == pytest.approx(72.0, abs=0.5)
    assert any("source_error" in h[2] for h in sink.health_reports)


@pytest.mark.parametrize(
    "value,ok",
    [
        ("audio/L16;rate=48000;channels=1", (48000, 1)),
        ("audio/l16; rate=16000", (16000, 1)),
        ("audio/L16;rate=44100;channels=2", (44100, 2)),
        ("audio/wav", None),
        ("audio/L16;channels=1", None),
        ("audio/L16;rate=fast", None),
    ],
)
def test_l16_content_type(value: str, ok: tuple[int, int] | None) -> None:
    if ok is None:
        with pytest.raises(SourceError, match="L16"):
            parse_l16_content_type(value)
    else:
        assert parse_l16_content_type(value) == ok
