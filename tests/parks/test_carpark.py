"""Car park spaces: the classifier judged by the simulator's per-bay truth (held-out seeds, with
the dawn/dusk lighting ramp) and by hand labels on real aerial footage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from edge.device import WorkerOptions
from edge.parking import build_workers
from edge.parking.worker import CarparkWorker
from firmware_sim.carpark import make_renderer
from firmware_sim.carpark.layout import bays, spaces
from models.parking.classifier import SpaceClassifier
from whistle.config.site import SiteConfig

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "data" / "real" / "carpark_aerial_1280x720.mp4"
LABELS = REPO / "tests" / "data" / "carpark"


def run_sim(scenario: str, seed: int, step_s: float) -> tuple[float, float]:
    w, h = 640, 360
    r = make_renderer(scenario, seed, (w, h))
    ids = [b.id for b in bays()]
    clf = SpaceClassifier([np.array([(x * w, y * h) for x, y in b.polygon]) for b in bays()],
                          (w, h))
    right = total = exact = frames = 0
    for t in np.arange(0.0, 1800.0, step_s):
        occ = clf.update(r.frame_at(float(t)))
        truth = r.truth_at(float(t))
        want = np.array([truth[i] for i in ids])
        right += int((occ == want).sum())
        total += len(ids)
        exact += int(occ.sum() == want.sum())
        frames += 1
    return right / total, exact / frames


@pytest.mark.parametrize(("scenario", "seed"), [("dawn", 901), ("dusk", 902)])
def test_sim_per_space_accuracy_on_held_out_seeds(scenario: str, seed: int) -> None:
    acc, exact = run_sim(scenario, seed, 30.0)
    # frames every 30 s (the worker runs at 1 fps, where the 2-frame hold costs less):
    # measured 0.937-0.98 here, 0.957-0.982 at 10-20 s steps (docs/parks.md). The issue's
    # target, 0.98, is not reached yet: this guards against regressions
    assert acc >= 0.93
    assert exact >= 0.2


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
    sp = yaml.safe_load((LABELS / "spaces.yaml").read_text())["spaces"]
    labels = json.loads((LABELS / "labels.json").read_text())["frames"]
    w, h = 1280, 720
    clf = SpaceClassifier([np.array([(x * w, y * h) for x, y in s["polygon"]]) for s in sp],
                          (w, h))
    cap = cv2.VideoCapture(str(REAL))
    right = total = i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % 3:  # 10 fps is plenty (labels sit on multiples of 36)
            i += 1
            continue
        occ = clf.update(frame)
        if str(i) in labels:
            for k, s in enumerate(sp):
                right += int(bool(occ[k]) == bool(labels[str(i)][s["id"]]))
                total += 1
        i += 1
    assert total >= 20 * 40
    assert right / total >= 0.95  # measured 0.994


def test_worker_publishes_free_spaces_and_full_episode(tmp_path: Path) -> None:
    site = SiteConfig.model_validate({
        "id": "haiyuan", "name": "海源公园", "kind": "park",
        "devices": [{"id": "carpark-cam", "name": "car park", "kind": "camera",
                     "source": {"kind": "simulator", "simulator": "carpark", "seed": 3},
                     "spaces": spaces()}]})
    workers = build_workers(site, [site.devices[0]], WorkerOptions(data_dir=tmp_path))
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
