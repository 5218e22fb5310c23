"""Car park spaces: the classifier judged by the simulator's per-bay truth (held-out seeds, with
the dawn/dusk lighting ramp, at the worker's analysis rate) and by hand labels on real aerial
footage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.device import WorkerOptions
from edge.parking import build_workers
from edge.parking.worker import CarparkWorker
from firmware_sim.carpark import make_renderer
from firmware_sim.carpark.layout import bays, spaces
from tests.parks.carpark_eval import REAL, SimScore, score_real, score_sim
from whistle.config.camera import CameraConfig
from whistle.config.site import SiteConfig

#: Held-out sequences (seeds never used while developing the classifier: development used
#: 1-4, the benchmark's full sequences 901-905) and the 10-minute windows judged here, each
#: from a cold start: the dark, busy start of a dawn (cars come and go every ~5 minutes) and
#: the darkening end of a dusk. Full 30-minute sequences: bench/bench_parks.py.
HELD_OUT = [("dawn_busy", 921, 0.0, 600.0), ("dusk", 922, 1200.0, 1800.0)]


@pytest.fixture(scope="module", params=HELD_OUT, ids=lambda p: f"{p[0]}-{p[1]}")
def sim_score(request: pytest.FixtureRequest) -> SimScore:
    scenario, seed, t0, t1 = request.param
    return score_sim(scenario, seed, t0, t1)


def test_sim_per_space_accuracy_on_held_out_seeds(sim_score: SimScore) -> None:
    # every analysed frame, the seconds of cars driving in and out included
    assert sim_score.per_space >= 0.98, sim_score


def test_sim_free_count_exact_on_held_out_seeds(sim_score: SimScore) -> None:
    # transition seconds excused (carpark_eval.EXCUSE_S after a car starts to move)
    assert sim_score.count_exact >= 0.95, sim_score


def test_truth_follows_the_cars() -> None:
    r = make_renderer("day_busy", 3, (320, 180))
    states = [sum(r.truth_at(t).values()) for t in range(0, 1800, 60)]
    assert len(set(states)) > 3  # cars come and go
    img = r.frame_at(100.0)
    assert img.shape == (180, 320, 3) and img.dtype == np.uint8
    assert np.array_equal(img, r.frame_at(100.0))  # a pure function of time


def test_dawn_is_dark_then_bright() -> None:
    r = make_renderer("dawn", 1, (320, 180))
    assert r.frame_at(0.0).mean() < 0.5 * r.frame_at(1790.0).mean()


@pytest.mark.skipif(not REAL.exists(), reason=f"real footage not present at {REAL}")
def test_real_footage_per_space_accuracy() -> None:
    score = score_real(every=12)
    assert score.judged >= 20 * 40
    assert score.per_space >= 0.95, score  # measured 1.000 (1081 labelled space-frames)


def test_worker_publishes_free_spaces_and_full_episode(tmp_path: Path) -> None:
    site = SiteConfig.model_validate(
        {
            "id": "haiyuan",
            "name": "海源公园",
            "kind": "park",
            "devices": [
                {
                    "id": "carpark-cam",
                    "name": "car park",
                    "kind": "camera",
                    "source": {"kind": "simulator", "simulator": "carpark", "seed": 3},
                    "spaces": spaces(),
                }
            ],
        }
    )
    cam = site.devices[0]
    assert isinstance(cam, CameraConfig)
    workers = build_workers(site, [cam], WorkerOptions(data_dir=tmp_path))
    assert len(workers) == 1 and isinstance(workers[0], CarparkWorker)
    worker = workers[0]
    r = make_renderer("day", 3, worker.size)
    t0 = datetime(2026, 5, 16, tzinfo=UTC)
    obs, _ = worker.process(t0, r.frame_at(0.0))
    assert obs and obs[0].stream == "carpark" and obs[0].values["total"] == len(spaces())
    # a completely full car park: every bay's look replaced by a car's
    full = r.frame_at(0.0).copy()
    events = []
    for k in range(1, 200):
        img = full.copy()
        for b in bays():
            x0, y0 = int(b.x0 * worker.size[0]) + 6, int(b.y0 * worker.size[1]) + 8
            x1, y1 = int(b.x1 * worker.size[0]) - 6, int(b.y1 * worker.size[1]) - 8
            cv2.rectangle(img, (x0, y0), (x1, y1), (240, 240, 240), -1)
            cv2.rectangle(img, (x0 + 4, y0 + 8), (x1 - 4, y0 + 18), (20, 20, 20), -1)
        _, ev = worker.process(t0 + timedelta(seconds=k), img)
        events += ev
        if events:
            break
    assert events and events[0].type == "carpark_full"
