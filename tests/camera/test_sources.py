"""Frame sources over real HTTP on loopback: timestamps, speed, faults, files, many cameras."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.camera.mjpeg import MjpegSource
from edge.camera.source import open_frame_source
from firmware_sim.camera.server import MjpegServer
from firmware_sim.camera.video import render_video
from firmware_sim.clock import SimClock
from tests.camera.helpers import FAST, Drain, StubRenderer, wait_for
from whistle.config.camera import CameraConfig

START = datetime(2026, 5, 1, 4, 30, tzinfo=UTC)


def _cfg(**source: object) -> CameraConfig:
    return CameraConfig.model_validate(
        {"id": "cam-t", "name": "test", "kind": "camera", "source": source}
    )


def test_mjpeg_frames_carry_device_timestamps_at_speed() -> None:
    server = MjpegServer(
        StubRenderer(), SimClock(START, speed=10.0), fps=5.0, max_real_fps=10.0
    ).start()
    src = MjpegSource("a", server.url, fps=5.0, settings=FAST)
    drain = Drain(src)
    try:
        assert wait_for(lambda: len(drain.frames) >= 8)
        frames = list(drain.frames)
        for f in frames:
            assert f.image.shape == (360, 640, 3)
            assert f.ts.tzinfo is not None and f.ts >= START
            # device times lie on the 5 fps grid of simulated time
            assert (
                abs((f.ts - START).total_seconds() * 5 - round((f.ts - START).total_seconds() * 5))
                < 1e-6
            )
        steps = [(b.ts - a.ts).total_seconds() for a, b in itertools.pairwise(frames)]
        # at speed 10 and at most 10 real frames/s, frames are about 1 simulated second apart
        assert min(steps) >= 0.2 and sorted(steps)[len(steps) // 2] >= 0.6
        assert [f.index for f in frames] == sorted(f.index for f in frames)
        assert src.faults() == ()
    finally:
        drain.close()
        server.stop()


@pytest.mark.parametrize(
    ("fault", "flag"),
    [
        ("stall", "stalled"),
        ("freeze", "frozen"),
        ("garbage", "garbage"),
        ("disconnect", "disconnected"),
    ],
)
def test_each_fault_is_detected_and_recovers(fault: str, flag: str) -> None:
    server = MjpegServer(StubRenderer(), SimClock(START, speed=1.0), fps=10.0).start()
    src = MjpegSource("f", server.url, fps=10.0, settings=FAST)
    drain = Drain(src)
    try:
        assert wait_for(lambda: len(drain.frames) >= 3)
        server.set_fault(fault)
        assert wait_for(lambda: flag in src.faults())
        assert src.health()[flag] == 1.0 if flag in ("stalled", "frozen", "garbage") else True
        server.set_fault(None)
        n = src.health()["frames"]
        assert wait_for(lambda: src.health()["frames"] >= n + 5 and src.faults() == ())
        if fault in ("stall", "disconnect"):
            assert src.health()["reconnects"] >= 1
    finally:
        drain.close()
        server.stop()


def test_simulator_source_serves_the_market_in_process() -> None:
    src = open_frame_source(
        _cfg(kind="simulator", scenario="tamper_moved", seed=3), sim_start=START, sim_speed=5.0
    )
    drain = Drain(src)
    try:
        assert wait_for(lambda: len(drain.frames) >= 4)
        f = drain.frames[-1]
        assert f.image.shape == (360, 640, 3) and START < f.ts < START + timedelta(minutes=5)
    finally:
        drain.close()


def test_unavailable_simulator_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    import firmware_sim.camera.renderer as reg

    monkeypatch.setitem(reg.RENDERER_MODULES, "carpark", "firmware_sim.no_such_module")
    with pytest.raises(RuntimeError, match="carpark"):
        open_frame_source(_cfg(kind="simulator", simulator="carpark"))


def test_missing_url_and_file_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"needs source\.url"):
        open_frame_source(_cfg(kind="mjpeg"))
    with pytest.raises(ValueError, match="not found"):
        open_frame_source(_cfg(kind="file", url=str(tmp_path / "none.avi")))


def test_video_file_source_reads_every_frame_on_device_time(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    n = render_video(StubRenderer((320, 180)), path, duration_s=4.0, fps=5.0)
    src = open_frame_source(_cfg(kind="file", url=str(path)), sim_start=START, sim_speed=1000.0)
    frames = list(src.frames(threading.Event()))
    assert len(frames) == n == 20
    assert frames[0].ts == START and frames[-1].ts == START + timedelta(seconds=19 / 5)
    assert frames[0].image.shape == (360, 640, 3)
    assert src.health()["drops"] == 0


def test_file_at_higher_rate_is_paced_down(tmp_path: Path) -> None:
    path = tmp_path / "clip10.avi"
    render_video(StubRenderer((320, 180)), path, duration_s=3.0, fps=10.0)
    src = open_frame_source(
        _cfg(kind="file", url=str(path)), sim_start=START, sim_speed=1000.0, fps=5.0
    )
    frames = list(src.frames(threading.Event()))
    assert len(frames) == 15 and src.health()["drops"] == 15


def test_seventeen_cameras_flow_while_one_stalls() -> None:
    servers = [MjpegServer(StubRenderer(), SimClock(START), fps=5.0).start() for _ in range(17)]
    sources = [MjpegSource(f"c{i}", s.url, fps=5.0, settings=FAST) for i, s in enumerate(servers)]
    drains = [Drain(s) for s in sources]
    try:
        assert wait_for(lambda: all(len(d.frames) >= 2 for d in drains), 30.0)
        servers[0].set_fault("stall")
        counts = [src.health()["frames"] for src in sources]
        assert wait_for(lambda: "stalled" in sources[0].faults())
        assert wait_for(
            lambda: all(
                src.health()["frames"] >= c + 5
                for src, c in zip(sources[1:], counts[1:], strict=True)
            ),
            30.0,
        )
        assert all(src.faults() == () for src in sources[1:])
    finally:
        for d in drains:
            d.close()
        for s in servers:
            s.stop()
