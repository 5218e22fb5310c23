"""`whistle sim camera render` output and the example camera configs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import pytest

from firmware_sim.camera import cli
from whistle.config.camera import CameraConfig
from whistle.config.loader import load_yaml_model

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "cameras"


def test_render_writes_a_readable_video_and_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "camera",
            "render",
            "--scenario",
            "doorway_linger",
            "--seed",
            "2",
            "--out",
            str(tmp_path),
            "--duration-s",
            "6",
        ]
    )
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    cap = cv2.VideoCapture(out["video"])
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == out["frames"] == 30
    ok, img = cap.read()
    assert ok and img.shape == (360, 640, 3)
    truth = json.loads(Path(out["truth"]).read_text())
    assert truth["format"] == "whistle-camera-truth/1" and truth["duration_s"] == 6.0
    assert {z["kind"] for z in truth["zones"]} >= {"no_stall", "restricted"}
    lines = (tmp_path / truth["frames_file"]).read_text().splitlines()
    assert len(lines) == 6 and "objects" in json.loads(lines[0])


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_example_configs_load_and_match_the_scene(path: Path) -> None:
    from firmware_sim.camera.geometry import standard_zones

    cfg = load_yaml_model(path, CameraConfig)
    scene = {z.id: z.polygon for z in standard_zones()}
    for zone in cfg.zones:
        assert [tuple(p) for p in zone.polygon] == scene[zone.id]
