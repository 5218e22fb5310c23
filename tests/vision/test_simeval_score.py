"""The simulator evaluation's scoring: what counts as a truth to find."""

from __future__ import annotations

import pytest

from . import simeval


def _clean_zone_box() -> tuple[float, float, float, float]:
    zone = next(z for z in simeval.camera_config().zones if z.kind == "cleanliness")
    xs = [x for x, _ in zone.polygon]
    ys = [y for _, y in zone.polygon]
    return min(xs), min(ys), max(xs), max(ys)


def _litter_truth(side: float) -> dict:
    """A cleanliness truth of one item whose box is ``side`` (normalised) square, at the
    middle of the cleanliness zone."""
    x0, y0, x1, y1 = _clean_zone_box()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    item = [cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2]
    return {
        "kind": "cleanliness",
        "zone": "street_clean",
        "start_s": 100.0,
        "end_s": 1000.0,
        "box": item,
        "details": {"items": [item]},
    }


def _episode(opened_s: float) -> dict:
    return {"kind": "cleanliness", "zone": "street_clean", "opened_s": opened_s, "end_s": None}


def test_litter_cover_is_the_share_of_the_zone_under_the_items() -> None:
    small = simeval.litter_cover(_litter_truth(0.01))
    large = simeval.litter_cover(_litter_truth(0.05))
    assert 0.0 < small < large < 1.0
    # a box 5x as wide and tall covers 25x as much of the zone (up to pixel rounding)
    assert large / small == pytest.approx(25.0, rel=0.15)


@pytest.mark.parametrize(
    ("side", "episodes", "truths", "hits", "below", "false"),
    [
        # a carton far off: less than max_litter (0.003) of the zone even by its box
        (0.004, [], 0, 0, 1, 0),
        (0.004, [_episode(720.0)], 0, 0, 1, 0),  # found anyway: neither a hit nor false
        (0.05, [], 1, 0, 0, 0),  # rubbish over the threshold, not found: a miss
        (0.05, [_episode(720.0)], 1, 1, 0, 0),
        (0.05, [_episode(720.0), _episode(900.0)], 1, 1, 0, 1),
    ],
)
def test_litter_under_the_zone_threshold_is_no_episode_to_find(
    side: float, episodes: list[dict], truths: int, hits: int, below: int, false: int
) -> None:
    truth = _litter_truth(side)
    assert (simeval.litter_cover(truth) <= 0.003) is (below == 1)
    sc = simeval.score(episodes, [truth], 1200.0, check_s=720.0)
    assert sc.truths.get("cleanliness", 0) == truths
    assert sc.hits.get("cleanliness", 0) == hits
    assert sc.below.get("cleanliness", 0) == below
    assert sc.false.get("cleanliness", 0) == false


def _dropped(*drops: tuple[float, float]) -> dict:
    """A cleanliness truth of one or two items, (box side normalised, dropped at s) each,
    side by side in the middle of the zone, with their drop times."""
    truth = _litter_truth(0.05)
    x0, y0, _, _ = truth["details"]["items"][0]
    items = [
        [x0 + dx, y0, x0 + dx + side, y0 + side]
        for dx, (side, _) in zip((0.0, 0.06), drops, strict=False)
    ]
    truth["details"] = {"items": items, "dropped_s": [t for _, t in drops]}
    truth["start_s"] = min(t for _, t in drops)
    return truth


@pytest.mark.parametrize(
    ("truth", "opened_s", "hit"),
    [
        # down long before the check (720 s): found within 30 s of the check
        (_dropped((0.05, 100.0)), 745.0, True),
        (_dropped((0.05, 100.0)), 755.0, False),
        # dropped 24 s after the check: found within its dwell (30 s) + 30 s of the drop
        (_dropped((0.05, 744.0)), 800.0, True),
        (_dropped((0.05, 744.0)), 810.0, False),
        # a speck far off early (below max_litter alone), the heap after the check: the
        # heap's drop counts
        (_dropped((0.004, 100.0), (0.05, 744.0)), 800.0, True),
        (_dropped((0.004, 100.0), (0.05, 744.0)), 810.0, False),
        # a truth without drop times: all items down at its start
        (_litter_truth(0.05), 745.0, True),
        (_litter_truth(0.05), 755.0, False),
    ],
)
def test_litter_is_due_after_the_check_or_after_its_dwell(
    truth: dict, opened_s: float, hit: bool
) -> None:
    sc = simeval.score([_episode(opened_s)], [truth], 1200.0, check_s=720.0)
    assert sc.truths.get("cleanliness", 0) == 1
    assert sc.hits.get("cleanliness", 0) == int(hit)
    assert sc.false.get("cleanliness", 0) == int(not hit)
