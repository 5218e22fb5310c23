"""``source.kind: simulator``: the simulator's MJPEG server in-process, read over HTTP.

The simulated camera serves on an ephemeral 127.0.0.1 port while :meth:`frames` runs, so the
real MJPEG code path is exercised. ``source.simulator`` picks the scene ("market" or "carpark").

Real frame rate: a simulated camera sends at most :data:`MAX_REAL_FPS` frames per real second,
whatever the simulation speed. At ``speed`` S and ``fps`` F the served frames are then
``ceil(S * F / MAX_REAL_FPS) / F`` simulated seconds apart: 0.2 s at speed 1, 2.0 s at the
demo's speed 10. Two seconds is the longest step the detectors' background model integrates in
full (``models.vision.background.BackgroundSettings.max_step_s``), so dwell times still add up
in device time; each real frame costs about 6-8 ms of CPU from rendering to analysis, so 17
cameras at 5 real frames/s need about 0.6-0.7 of a core (docs/camera-sim.md, "Speed").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

from edge.camera.mjpeg import MjpegSource
from edge.camera.source import Frame, SourceSettings

#: Frames per real second one in-process simulated camera sends at most (see above).
MAX_REAL_FPS = 5.0


class SimulatorSource(MjpegSource):
    def __init__(
        self,
        name: str,
        simulator: str,
        scenario: str | None,
        seed: int,
        *,
        width: int = 640,
        height: int = 360,
        fps: float = 5.0,
        start: datetime | None = None,
        speed: float = 1.0,
        settings: SourceSettings | None = None,
        max_real_fps: float = MAX_REAL_FPS,
    ) -> None:
        super().__init__(
            name, "http://127.0.0.1:1/video", width=width, height=height, fps=fps, settings=settings
        )
        from firmware_sim.camera.cli import default_start
        from firmware_sim.camera.renderer import make_renderer
        from firmware_sim.camera.server import MjpegServer
        from firmware_sim.clock import SimClock

        renderer = make_renderer(simulator, scenario, seed, (width, height))
        clock = SimClock(start or default_start(renderer), speed)
        self.server = MjpegServer(
            renderer, clock, fps=fps, port=0, max_real_fps=min(max_real_fps, fps * speed)
        )
        self.url = self.server.url

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        self.server.start()
        try:
            yield from super().frames(stop)
        finally:
            self.server.stop()
