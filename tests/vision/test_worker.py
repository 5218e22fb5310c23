"""The camera worker end to end: simulated camera over loopback MJPEG -> detectors -> Sink.

``source.kind: simulator`` makes the worker start the market simulator in-process and read it
over HTTP like a real camera; the simulated clock runs at x6, so the first vehicle of
``vehicle_entry`` (seed 1: it drives in about 51 s into the scenario) arrives within seconds.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest

from edge.device import EpisodeState, WorkerOptions
from edge.vision import build_workers
from tests.sinks import ListSink
from whistle.config.camera import CameraConfig

from . import simeval

pytest.importorskip("firmware_sim.camera.market", reason="market camera simulator not built")

SEED = 1  # a development seed: this test checks the plumbing, not the accuracy


def _camera() -> CameraConfig:
    doc = simeval.camera_config().model_dump(mode="json")
    doc.update(
        id="cam-street",
        source={
            "kind": "simulator",
            "simulator": "market",
            "scenario": "vehicle_entry",
            "seed": SEED,
        },
    )
    doc["zones"] = [z for z in doc["zones"] if z["kind"] == "vehicle_free"]
    return CameraConfig.model_validate(doc)


def test_simulated_camera_worker_reports_vehicle_with_snapshot(tmp_path: Path) -> None:
    from firmware_sim.camera.cli import default_start
    from firmware_sim.camera.market import make_renderer

    cam = _camera()
    site = simeval.one_camera_site(cam)
    start: datetime = default_start(make_renderer("vehicle_entry", SEED))
    workers = build_workers(site, [cam], WorkerOptions(tmp_path, sim_start=start, sim_speed=6.0))
    assert len(workers) == 1
    sink, stop = ListSink(), threading.Event()
    thread = threading.Thread(target=workers[0].run, args=(sink, stop), daemon=True)
    thread.start()
    waited = threading.Event()
    for _ in range(170):  # at most 17 s of real time (~100 simulated seconds)
        if waited.wait(0.1):
            break
        with sink.lock:
            if any(e.type == "vehicle_intrusion" for e in sink.events):
                break
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    opened = [
        e for e in sink.events if e.type == "vehicle_intrusion" and e.state is EpisodeState.OPENED
    ]
    health = [dict(o.values) for o in sink.obs if o.stream == "camera"][-1:]
    assert opened, f"no vehicle episode; events: {sink.events}, last health: {health}"
    ev = opened[0]
    assert ev.device == "cam-street" and ev.zone == "street"
    assert 40.0 <= (ev.started_at - start).total_seconds() <= 100.0
    snaps = [b for b in ev.evidence if b.kind == "snapshot"]
    assert snaps and snaps[0].content_type == "image/jpeg"
    assert snaps[0].data[:2] == b"\xff\xd8" and len(snaps[0].data) <= 100_000
    assert any(o.stream == "camera" and "analysed" in o.values for o in sink.obs)
