"""Memory sharing in the simulator: packed actors, shared maps and noise, the render pool."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime

import numpy as np
import pytest

from edge.camera.memory import tune_malloc
from edge.camera.mjpeg import MjpegSource
from firmware_sim.camera.actor_table import ActorTable
from firmware_sim.camera.draw import CachingPainter, Painter
from firmware_sim.camera.market import make_renderer
from firmware_sim.camera.producer import Job, RenderPool
from firmware_sim.camera.scenarios import build_script
from firmware_sim.camera.server import MjpegServer
from firmware_sim.clock import SimClock
from tests.camera.helpers import FAST, Drain, StubRenderer, wait_for

START = datetime(2026, 5, 1, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("scenario", "seed"),
    [("market_morning", 101), ("entrance_crowd", 3), ("after_close_rubbish", 4)],
)
def test_packed_actors_equal_the_scripted_ones(scenario: str, seed: int) -> None:
    script = build_script(scenario, seed)
    table = ActorTable(script.actors, 60.0, script.duration_s + 3600.0)
    assert len(table) == len(script.actors)
    for i in range(0, len(script.actors), max(len(script.actors) // 50, 1)):
        assert table.actor(i) == script.actors[i]
    for t in (0.0, 61.5, script.duration_s / 2, script.duration_s - 1.0):
        want = [a for a in script.actors if a.active(t)]
        assert table.active_at(t) == want
    assert table.nbytes() < 600_000  # the objects take about 2.5 MB


def test_renderers_share_size_only_data_but_not_seeded_colours() -> None:
    a, b = make_renderer("tamper_moved", 1), make_renderer("tamper_moved", 2)
    assert a.bg.lamp_maps is b.bg.lamp_maps and a.bg.ground_x is b.bg.ground_x
    assert a._noise is b._noise and not a._noise.flags.writeable
    assert not np.array_equal(a.bg.albedo, b.bg.albedo)
    # same instant, different seeds: the shared noise is read at different offsets
    noise = [r._add_noise(np.full((360, 640, 3), 128, np.uint8), 10.0, 1.0) for r in (a, b)]
    assert not np.array_equal(noise[0], noise[1])
    assert abs(float(noise[0].std()) - float(noise[1].std())) < 0.2


def test_renderer_keeps_events_but_not_actor_objects() -> None:
    r = make_renderer("stall_outside_line", 3)
    assert r.script.actors == [] and len(r.actors) > 0
    assert [e.kind for e in r.script.events] == ["no_stall"]
    ev = r.script.events[0]
    assert any(o["class"] == "goods" for o in r.truth_at(ev.start_s + 5)["objects"])


def test_pool_runs_due_jobs_first_and_drops_removed_ones() -> None:
    pool = RenderPool(workers=1, name="test-pool")
    ran: list[str] = []
    done = threading.Event()

    def job(name: str, again_s: float | None) -> Job:
        def run() -> float | None:
            ran.append(name)
            if len(ran) >= 8:
                done.set()
            return None if again_s is None else time.monotonic() + again_s

        return run

    late, soon, once = job("late", 0.01), job("soon", 0.01), job("once", None)
    now = time.monotonic()
    pool.add(late, now + 0.2)
    pool.add(soon, now)
    pool.add(once, now + 0.05)
    assert done.wait(5.0)
    assert ran[0] == "soon" and ran.count("once") == 1
    pool.remove(soon)
    pool.remove(late)
    n = len(ran)
    time.sleep(0.1)
    assert len(ran) <= n + 2 and len(pool) == 0


@pytest.mark.parametrize(
    ("speed", "max_real_fps", "stride"),
    [(10.0, 5.0, 10), (10.0, 10.0, 5), (1.0, 5.0, 1), (3.0, 5.0, 3)],
)
def test_fast_clocks_serve_evenly_spaced_frames(
    speed: float, max_real_fps: float, stride: int
) -> None:
    server = MjpegServer(
        StubRenderer(), SimClock(START, speed=speed), fps=5.0, max_real_fps=max_real_fps
    ).start()
    assert server.stride == stride
    if speed < 10:
        server.stop()
        return
    src = MjpegSource("even", server.url, fps=5.0, settings=FAST)
    drain = Drain(src)
    try:
        assert wait_for(lambda: len(drain.frames) >= 6)
        steps = {
            round((b.ts - a.ts).total_seconds(), 6) for a, b in itertools.pairwise(drain.frames)
        }
        # every step is a whole number of strides (a late frame skips, never half-steps)
        assert all(abs(s / (stride / 5.0) - round(s / (stride / 5.0))) < 1e-6 for s in steps)
        assert min(steps) == pytest.approx(stride / 5.0)
    finally:
        drain.close()
        server.stop()


def test_bad_max_real_fps_is_refused() -> None:
    with pytest.raises(ValueError, match="max_real_fps"):
        MjpegServer(StubRenderer(), SimClock(START), max_real_fps=0.0)


def test_malloc_tuning_runs_once() -> None:
    tune_malloc()  # may already have run in this process (any source opened)
    assert tune_malloc() == {"arena_max": False, "mmap_threshold": False}


def test_caching_painter_draws_the_same_pixels() -> None:
    script = build_script("stall_outside_line", 2)
    light = np.array([0.8, 0.9, 1.0], np.float32)
    plain, cached = Painter(640, 360), CachingPainter(640, 360, max_entries=8)
    for t in (100.0, 101.0, 102.0):  # later rounds hit the cache (and overflow it)
        a, b = np.zeros((360, 640, 3), np.uint8), np.zeros((360, 640, 3), np.uint8)
        for actor in [x for x in script.actors if x.active(t)][:12]:
            actor.draw(a, plain, t, light)
            actor.draw(b, cached, t, light)
        assert a.any() and np.array_equal(a, b)
