"""Render a scenario to a video file OpenCV reads back (Motion-JPEG in AVI, or mp4v)."""

from __future__ import annotations

from pathlib import Path

import cv2

from firmware_sim.camera.renderer import SceneRenderer


def render_video(
    renderer: SceneRenderer, path: Path, duration_s: float, fps: float = 5.0, quality: int = 80
) -> int:
    """Write ``duration_s`` of ``renderer`` at ``fps`` to ``path`` (.avi: MJPG, .mp4: mp4v).

    Returns the number of frames written. The MJPG codec adds the JPEG artefacts an IP
    camera's stream has.
    """
    w, h = renderer.size
    fourcc = cv2.VideoWriter.fourcc(*("mp4v" if path.suffix == ".mp4" else "MJPG"))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), fourcc, fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"cannot open a video writer for {path}")
    if path.suffix != ".mp4":
        writer.set(cv2.VIDEOWRITER_PROP_QUALITY, quality)
    n = round(duration_s * fps)
    try:
        for i in range(n):
            writer.write(renderer.frame_at(i / fps))
    finally:
        writer.release()
    return n
