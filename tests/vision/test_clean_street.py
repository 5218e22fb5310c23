"""The clean street a ``cleanliness`` zone learned, kept on disk across agent restarts.

An agent restarted between the learn window (10:00-16:00) and the check (09:00) must judge the
next morning against the street it learned, not by the fallback; a damaged, foreign or stale
file must be reported and leave the zone learning anew.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from edge.device import WorkerOptions
from edge.vision.clean_street import (
    MAX_AGE,
    SAVE_EVERY_S,
    CleanStreetKeeper,
    CleanStreetStore,
)
from edge.vision.worker import CameraWorker
from models.vision.frame import SMALL
from models.vision.zones.litter import CleanStreet, LitterDetector

from . import simeval
from .test_litter_learned import _judged, _learned, _morning_light, _paving, _zone

W, H = SMALL
#: A learn day's 11:00 in the market's time zone (the keeper compares device times only).
LEARNED = datetime(2026, 11, 26, 11, 0, tzinfo=timezone(timedelta(hours=8)))
ZONE = "street"


def _street(seed: int = 4) -> np.ndarray:
    return _paving(np.random.default_rng(seed)) * np.float32(300.0)


def _keeper(tmp_path: Path, detector: LitterDetector) -> CleanStreetKeeper:
    return CleanStreetKeeper(CleanStreetStore(tmp_path), {ZONE: detector})


def _fresh() -> LitterDetector:
    cfg, mask = _zone()
    return LitterDetector(cfg, mask)


def _keep_learned(tmp_path: Path, street: np.ndarray, chroma: np.ndarray | None = None) -> None:
    """A first run: the zone learns ``street`` at LEARNED and the keeper writes it."""
    detector, _ = _learned(street, chroma)
    keeper = _keeper(tmp_path, detector)
    keeper.after_frame(LEARNED)
    keeper.flush(LEARNED + timedelta(seconds=1))
    assert (tmp_path / f"{ZONE}.npz").exists()


def _carton_morning(street: np.ndarray) -> np.ndarray:
    """The next morning under other light with a dark carton (8 x 6 px) in the street."""
    light = _morning_light(False)
    morning = street / np.float32(300.0) * light
    morning[60:66, 110:118] = 0.12 * light[60:66, 110:118]
    return morning


def test_a_restarted_agent_judges_the_morning_against_the_street_it_kept(
    tmp_path: Path,
) -> None:
    street = _street()
    _keep_learned(tmp_path, street)
    detector = _fresh()
    _keeper(tmp_path, detector).after_frame(LEARNED + timedelta(hours=20))
    kept = detector.clean_street
    assert kept is not None
    np.testing.assert_array_equal(kept.grey, street)
    assert kept.chroma_n is None
    # judged against it: the carton found where only a darker street lies still, nothing new
    _, bg = _learned(street)
    morning = _carton_morning(street)
    bg.reset(morning)
    verdict = _judged(detector, morning, bg)
    assert verdict.active, verdict.measured
    # without the kept street the same morning holds nothing that lay still: no alert
    fresh = _fresh()
    fresh.fallback_after_s = 0.0
    assert not _judged(fresh, morning, bg).active


def test_the_colour_of_the_street_is_kept_too(tmp_path: Path) -> None:
    street = _street()
    chroma = np.random.default_rng(1).normal(0.0, 5.0, (2 * H, W)).astype(np.float32)
    _keep_learned(tmp_path, street, chroma)
    detector = _fresh()
    _keeper(tmp_path, detector).after_frame(LEARNED + timedelta(hours=20))
    kept = detector.clean_street
    assert kept is not None and kept.chroma_n is not None
    learned, _ = _learned(street, chroma)
    assert learned.clean_street is not None and learned.clean_street.chroma_n is not None
    np.testing.assert_array_equal(kept.chroma_n, learned.clean_street.chroma_n)


def test_a_street_learned_anew_is_written_at_most_every_save_period(tmp_path: Path) -> None:
    detector, _ = _learned(_street())
    keeper = _keeper(tmp_path, detector)
    path = tmp_path / f"{ZONE}.npz"
    keeper.after_frame(LEARNED)
    keeper.after_frame(LEARNED + timedelta(seconds=SAVE_EVERY_S - 1))
    assert not path.exists()
    keeper.after_frame(LEARNED + timedelta(seconds=SAVE_EVERY_S))
    assert path.exists()
    written = path.stat().st_mtime_ns
    path.unlink()
    keeper.after_frame(LEARNED + timedelta(seconds=3 * SAVE_EVERY_S))
    assert not path.exists(), "written again though the zone learned nothing new"
    detector.learned_s = 2.0 * SAVE_EVERY_S
    keeper.flush(LEARNED + timedelta(seconds=3 * SAVE_EVERY_S + 1))
    assert path.exists() and path.stat().st_mtime_ns >= written


def test_a_street_kept_longer_than_max_age_is_learned_anew(tmp_path: Path) -> None:
    _keep_learned(tmp_path, _street())
    detector = _fresh()
    _keeper(tmp_path, detector).after_frame(LEARNED + MAX_AGE + timedelta(minutes=1))
    assert detector.clean_street is None


def _npz(path: Path, **arrays: np.ndarray) -> None:
    with path.open("wb") as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]


WHEN = np.array(LEARNED.isoformat())
GOOD = np.full((H, W), 100.0, np.float32)


@pytest.mark.parametrize(
    ("write", "reason"),
    [
        (lambda p: p.write_bytes(b"not a zip file at all"), "not an .npz archive"),
        (lambda p: p.write_bytes(b""), "not an .npz archive"),
        (lambda p: p.write_bytes(b"PK\x03\x04 cut short"), "not an .npz archive"),
        (lambda p: _npz(p, learned_at=WHEN), "missing arrays ['grey']"),
        (lambda p: _npz(p, grey=GOOD), "missing arrays ['learned_at']"),
        (lambda p: _npz(p, grey=GOOD, learned_at=np.array("monday")), "isoformat"),
        (lambda p: _npz(p, grey=GOOD, learned_at=np.array("2026-11-26T11:00")), "time zone"),
        (lambda p: _npz(p, grey=GOOD[:45], learned_at=WHEN), "shape (90, 160)"),
        (lambda p: _npz(p, grey=GOOD.astype(np.float64), learned_at=WHEN), "float32"),
        (lambda p: _npz(p, grey=GOOD * np.float32(np.nan), learned_at=WHEN), "not finite"),
        (lambda p: _npz(p, grey=GOOD * np.float32(-1), learned_at=WHEN), "0-255"),
        (
            lambda p: _npz(p, grey=GOOD, chroma_n=GOOD, learned_at=WHEN),
            "chroma_n: expected float32 of shape (180, 160)",
        ),
        (  # pickled objects are never loaded
            lambda p: _npz(p, grey=np.array([{"x": 1}], dtype=object), learned_at=WHEN),
            "pickle",
        ),
    ],
)
def test_a_bad_file_is_reported_and_the_street_learned_anew(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    write: Callable[[Path], object],
    reason: str,
) -> None:
    path = tmp_path / f"{ZONE}.npz"
    write(path)
    detector = _fresh()
    keeper = _keeper(tmp_path, detector)
    with caplog.at_level(logging.WARNING, logger="edge.vision.clean_street"):
        keeper.after_frame(LEARNED + timedelta(hours=1))
    assert detector.clean_street is None
    assert keeper.store.rejected == 1
    message = caplog.records[-1].getMessage()
    assert str(path) in message and reason in message
    # the zone learns anew and its street replaces the bad file
    relearned, _ = _learned(_street())
    keeper.detectors[ZONE] = relearned
    keeper.flush(LEARNED + timedelta(hours=2))
    loaded = keeper.store.load(ZONE)
    assert loaded is not None and loaded[0].grey.shape == (H, W)


def test_a_disk_that_cannot_be_written_does_not_stop_the_analysis(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "clean_street"
    blocked.write_text("a file where the directory should be")
    detector, _ = _learned(_street())
    keeper = CleanStreetKeeper(CleanStreetStore(blocked / "cam"), {ZONE: detector})
    keeper.after_frame(LEARNED)
    with caplog.at_level(logging.WARNING, logger="edge.vision.clean_street"):
        keeper.flush(LEARNED + timedelta(seconds=1))
    assert "not kept" in caplog.records[-1].getMessage()


def test_the_camera_worker_keeps_its_zones_streets_in_its_data_dir(tmp_path: Path) -> None:
    cam = simeval.camera_config()
    site = simeval.one_camera_site(cam)
    worker = CameraWorker(site, cam, WorkerOptions(tmp_path))
    keeper = worker.clean_streets
    assert keeper.store.directory == tmp_path / "clean_street" / cam.id
    zones = [z.id for z in cam.zones if z.kind == "cleanliness"]
    assert zones and sorted(keeper.detectors) == sorted(zones)
    street = CleanStreet(np.full((H, W), 80.0, np.float32), None)
    keeper.store.save(zones[0], street, LEARNED)
    keeper.after_frame(LEARNED + timedelta(hours=20))
    kept = keeper.detectors[zones[0]].clean_street
    assert kept is not None and float(kept.grey[0, 0]) == 80.0
