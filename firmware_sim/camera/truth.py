"""Ground truth of a rendered scenario as JSON (format ``whistle-camera-truth/1``).

Truth is written by the simulator for judging detectors; detectors never read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from firmware_sim.camera.geometry import standard_zones
from firmware_sim.camera.market import MarketRenderer

TRUTH_FORMAT = "whistle-camera-truth/1"
TIMEZONE = "Asia/Shanghai"


def ground_truth(renderer: MarketRenderer, fps: float) -> dict[str, Any]:
    s = renderer.script
    plan = s.lighting
    return {
        "format": TRUTH_FORMAT,
        "simulator": "market",
        "scenario": s.name,
        "seed": s.seed,
        "size": list(renderer.size),
        "fps": fps,
        "duration_s": s.duration_s,
        "start_time_of_day": renderer.start_time_of_day.isoformat(),
        "timezone": TIMEZONE,
        "zones": [
            {"id": z.id, "kind": z.kind, "polygon": [list(p) for p in z.polygon]}
            for z in standard_zones()
        ],
        "lighting": {
            "lamps_off_s": round(min(lp.off_tod_s for lp in plan.lamps) - s.start_tod_s, 1),
            "dawn_mid_s": round(plan.dawn_mid_tod_s - s.start_tod_s, 1),
            "sunrise_s": round(plan.sunrise_tod_s - s.start_tod_s, 1),
        },
        "events": [e.to_json() for e in s.events],
        "distractors": [e.to_json() for e in s.distractors],
    }


def frame_truth(renderer: MarketRenderer, fps: float, every_s: float) -> Iterator[dict[str, Any]]:
    """Per-frame truth, one record every ``every_s`` simulated seconds (frame index ``i``)."""
    n = round(renderer.duration_s * fps)
    step = max(round(every_s * fps), 1)
    for i in range(0, n, step):
        rec = renderer.truth_at(i / fps)
        rec["i"] = i
        yield rec


def write_truth(
    renderer: MarketRenderer, out_dir: Path, stem: str, fps: float, frames_every_s: float = 1.0
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = ground_truth(renderer, fps)
    frames_path = out_dir / f"{stem}.frames.jsonl"
    with frames_path.open("w", encoding="utf-8") as fh:
        for rec in frame_truth(renderer, fps, frames_every_s):
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")
    truth["frames_file"] = frames_path.name
    truth["frames_every_s"] = frames_every_s
    path = out_dir / f"{stem}.truth.json"
    path.write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return path
