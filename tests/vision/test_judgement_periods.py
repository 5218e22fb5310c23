"""Zone detectors that judge over minutes run at their ``period_s``; the rest every frame.

In between, the analyzer repeats a detector's last judgement; a clock that goes back (a
restarted source) is judged at once. ``prepare`` makes the tamper check's MEDIUM grey only
when asked for, and its SMALL grey is the BT.601 grey of the reduced frame.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from models.vision.analyzer import SceneAnalyzer
from models.vision.context import FrameContext, ZoneJudgement
from models.vision.frame import MEDIUM, SMALL, prepare
from whistle.config.camera import CameraConfig

FRAME_S = 0.2
BOX = [[0.1, 0.5], [0.9, 0.5], [0.9, 0.9], [0.1, 0.9]]


def _config() -> CameraConfig:
    all_day = [{"start": "00:00", "end": "23:59:59"}]
    zones = [
        {"id": kind, "kind": kind, "polygon": BOX, "schedule": all_day}
        for kind in ("no_stall", "walkway", "restricted", "vehicle_free")
    ]
    zones.append({"id": "cleanliness", "kind": "cleanliness", "polygon": BOX})
    return CameraConfig.model_validate(
        {"id": "cam", "name": "cam", "kind": "camera", "source": {"kind": "file"}, "zones": zones}
    )


class _Counting:
    """Wraps a detector's ``update`` and counts the calls."""

    def __init__(self, detector: object) -> None:
        self.calls: list[float] = []
        inner = detector.update  # type: ignore[attr-defined]

        def update(ctx: FrameContext) -> ZoneJudgement:
            self.calls.append(ctx.t_s)
            out: ZoneJudgement = inner(ctx)
            return out

        detector.update = update  # type: ignore[attr-defined]


def _scene() -> np.ndarray:
    rng = np.random.default_rng(3)
    return cv2.GaussianBlur(rng.integers(40, 220, (360, 640, 3), dtype=np.uint8), (5, 5), 2)


def test_each_kind_is_judged_at_its_period_and_repeated_in_between() -> None:
    a = SceneAnalyzer(_config())
    counts = {d.kind: _Counting(d) for d in a.detectors}
    scene = _scene()
    seen: dict[str, list[ZoneJudgement]] = {d.kind: [] for d in a.detectors}
    n = 50  # ten seconds at 5 fps
    for i in range(n):
        for j in a.update(scene, i * FRAME_S).zones:
            seen[j.kind].append(j)
    judged = n
    assert len(counts["vehicle_free"].calls) == judged
    assert len(counts["restricted"].calls) == judged
    assert len(counts["walkway"].calls) == pytest.approx(judged / 2, abs=1)
    for kind in ("no_stall", "cleanliness"):
        calls = counts[kind].calls
        assert len(calls) == pytest.approx(judged / 5, abs=1)
        assert all(b - a_ == pytest.approx(1.0) for a_, b in itertools.pairwise(calls))
        # the frames in between carry the last judgement itself
        assert len({id(j) for j in seen[kind]}) == len(calls)
    assert all(len(v) == judged for v in seen.values())


def test_a_clock_that_goes_back_is_judged_at_once() -> None:
    a = SceneAnalyzer(_config())
    stall = next(d for d in a.detectors if d.kind == "no_stall")
    count = _Counting(stall)
    scene = _scene()
    for t in (100.0, 100.2, 100.4):
        a.update(scene, t)
    before = len(count.calls)
    a.update(scene, 5.0)  # the source restarted
    assert len(count.calls) == before + 1


def test_prepare_makes_the_medium_grey_only_when_asked_and_the_small_grey_is_bt601() -> None:
    image = _scene()
    prep = prepare(image)
    medium = cv2.resize(image, MEDIUM, interpolation=cv2.INTER_AREA)
    small = cv2.resize(medium, SMALL, interpolation=cv2.INTER_AREA).astype(np.float64)
    # ITU-R BT.601 luma weights (what COLOR_BGR2GRAY and the Y of COLOR_BGR2YCrCb use)
    luma = 0.114 * small[..., 0] + 0.587 * small[..., 1] + 0.299 * small[..., 2]
    assert prep.grey.dtype == np.float32 and prep.grey.shape == (SMALL[1], SMALL[0])
    assert np.abs(prep.grey - luma).max() <= 0.5 + 1e-6  # rounded to whole grey levels
    assert np.array_equal(prep.grey_m, cv2.cvtColor(medium, cv2.COLOR_BGR2GRAY))
    grey_in = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    grey_prep = prepare(grey_in)
    assert np.array_equal(
        grey_prep.grey_m, cv2.resize(grey_in, MEDIUM, interpolation=cv2.INTER_AREA)
    )
    assert grey_prep.chroma is None and prep.chroma is not None
