"""Judge the car park classifier by the simulator's truth, at the worker's analysis rate.

The classifier never sees the truth: it gets rendered frames every ``step_s`` seconds (the
worker's rate, :data:`edge.parking.worker.FPS`) and its smoothed output is compared with the
simulator's per-bay truth (``truth_at``: a car more than half-way into the bay).

Transitions: a car takes 5 s to drive in or out (``firmware_sim.carpark.scene.MANOEUVRE_S``)
and the truth flips half-way; the classifier's hysteresis flips a few seconds later. For the
free-space *count* a space is excused for :data:`EXCUSE_S` seconds after a car starts to drive
in or out of it (its detected state is taken as right then); every other space of the frame
must be right. Per-space accuracy counts every frame, transitions included.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

from edge.parking.worker import FPS
from firmware_sim.carpark import make_renderer
from firmware_sim.carpark.layout import bays
from models.parking.classifier import SpaceClassifier

#: Seconds after a car starts to drive in/out during which its space is excused in counts.
EXCUSE_S = 10.0
#: The worker publishes the free-space count once a minute (edge.parking.worker).
PUBLISH_S = 60.0
STEP_S = 1.0 / FPS

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "data" / "real" / "carpark_aerial_1280x720.mp4"
LABELS = REPO / "tests" / "data" / "carpark"


@dataclass(frozen=True)
class SimScore:
    scenario: str
    seed: int
    frames: int
    #: Fraction of space-frames right (every analysed frame, transitions included).
    per_space: float
    #: Same, leaving out the excused transition seconds.
    per_space_settled: float
    #: Fraction of analysed frames whose free count is exact (transitions excused).
    count_exact: float
    #: Same, on the frames the worker publishes (one a minute).
    count_exact_published: float
    #: Fraction of analysed frames whose count is exact with nothing excused.
    count_exact_strict: float


def score_sim(
    scenario: str,
    seed: int,
    t0_s: float = 0.0,
    t1_s: float = 1800.0,
    size: tuple[int, int] = (640, 360),
) -> SimScore:
    """Run a fresh classifier over ``[t0_s, t1_s)`` of a simulated sequence (cold start)."""
    w, h = size
    r = make_renderer(scenario, seed, size)
    ids = [b.id for b in bays()]
    clf = SpaceClassifier([np.array([(x * w, y * h) for x, y in b.polygon]) for b in bays()], size)
    times = np.arange(t0_s, t1_s, STEP_S)
    out = np.zeros((times.size, len(ids)), bool)
    truth = np.zeros_like(out)
    excused = np.zeros_like(out)
    for k, t in enumerate(times):
        out[k] = clf.update(r.frame_at(float(t)))
        tr = r.truth_at(float(t))
        truth[k] = [tr[i] for i in ids]
    for j, bay in enumerate(r.scene.bays):
        for stay in r.scene.stays[bay.id]:
            for e in (stay.arrive_s, stay.leave_s):
                excused[:, j] |= (times >= e) & (times < e + EXCUSE_S)
    judged = np.where(excused, out, truth)
    exact = out.sum(axis=1) == judged.sum(axis=1)
    published = np.isclose(np.mod(times - t0_s, PUBLISH_S), 0.0)
    return SimScore(
        scenario,
        seed,
        int(times.size),
        per_space=float((out == truth).mean()),
        per_space_settled=float((out == truth)[~excused].mean()),
        count_exact=float(exact.mean()),
        count_exact_published=float(exact[published].mean()),
        count_exact_strict=float((out.sum(axis=1) == truth.sum(axis=1)).mean()),
    )


@dataclass(frozen=True)
class RealScore:
    per_space: float
    judged: int
    frames: int


def score_real(every: int = 12, size: tuple[int, int] = (1280, 720)) -> RealScore:
    """Per-space accuracy on the hand-labelled real clip, analysing every ``every``-th frame
    (the labels sit on multiples of 36; the clip is 30 fps)."""
    spaces = yaml.safe_load((LABELS / "spaces.yaml").read_text())["spaces"]
    labels = json.loads((LABELS / "labels.json").read_text())["frames"]
    w, h = size
    clf = SpaceClassifier(
        [np.array([(x * w, y * h) for x, y in s["polygon"]]) for s in spaces], size
    )
    cap = cv2.VideoCapture(str(REAL))
    right = total = i = 0
    try:
        while cap.grab():
            if i % every == 0 or str(i) in labels:
                ok, frame = cap.retrieve()
                if not ok:
                    break
                if frame.shape[1::-1] != size:
                    frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
                occ = clf.update(frame)
                for k, s in enumerate(spaces):
                    if str(i) in labels:
                        right += int(bool(occ[k]) == bool(labels[str(i)][s["id"]]))
                        total += 1
            i += 1
    finally:
        cap.release()
    return RealScore(right / max(total, 1), total, i)
