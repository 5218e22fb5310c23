"""``source.kind: simulator``: the simulator's MJPEG server in-process, read over HTTP.

The simulated camera serves on an ephemeral 127.0.0.1 port while :meth:`frames` runs, so the
real MJPEG code path is exercised. ``source.simulator`` picks the scene ("market" or "carpark").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

from edge.camera.mjpeg import MjpegSource
from edge.camera.source import Frame, SourceSettings


class SimulatorSource(MjpegSource):
    def __init__(self, name: str, simulator: str, scenario: str | None, seed: int, *,
                 width: int = 640, height: int = 360, fps: float = 5.0,
                 start: datetime | None = None, speed: float = 1.0,
                 settings: SourceSettings | None = None) -> None:
        super().__init__(name, "http://127.0.0.1:1/video", width=width, height=height, fps=fps,
                         settings=settings)
        from firmware_sim.camera.cli import default_start
        from firmware_sim.camera.renderer import make_renderer
        from firmware_sim.camera.server import MjpegServer
        from firmware_sim.clock import SimClock

        renderer = make_renderer(simulator, scenario, seed, (width, height))
        clock = SimClock(start or default_start(renderer), speed)
        self.server = MjpegServer(renderer, clock, fps=fps, port=0)
        self.url = self.server.url

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        self.server.start()
        try:
            yield from super().frames(stop)
        finally:
            self.server.stop()
