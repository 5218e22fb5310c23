"""The renderer protocol shared by every simulated camera (market street, car park).

A renderer is a fixed camera's view as a *pure function of simulated time*: ``frame_at(t_s)``
returns the image the camera sees ``t_s`` simulated seconds after its scenario starts. The same
renderer, scenario and seed give the same image for the same ``t_s`` whatever order frames are
asked in, so a served stream, a rendered video and a test all see the same scene.

The MJPEG server (:mod:`firmware_sim.camera.server`) and the video writer serve any
:class:`SceneRenderer`. A simulator package plugs in by exposing a module-level factory with
the :class:`RendererFactory` signature:

- ``firmware_sim.camera.market.make_renderer`` (the market street, this package);
- ``firmware_sim.carpark.make_renderer`` (the car park, parks work).

Optional attributes a renderer may have (read with ``getattr``, defaults in brackets):

- ``start_time_of_day: datetime.time``: local time of day at ``t_s = 0``; the served clock
  starts today at that time when no start is given [04:30];
- ``duration_s: float``: length of the scripted timeline [600.0]; later frames keep rendering
  the scene with the scripted actors gone.
"""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

import numpy as np

#: Default analysis size of Whistle cameras (width, height) in pixels.
DEFAULT_SIZE: tuple[int, int] = (640, 360)

#: ``simulator`` name (``CameraSource.simulator``) -> module exposing ``make_renderer``.
RENDERER_MODULES: dict[str, str] = {
    "market": "firmware_sim.camera.market",
    "carpark": "firmware_sim.carpark",
}


@runtime_checkable
class SceneRenderer(Protocol):
    """A fixed camera's view as a pure function of simulated time."""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels of every frame."""
        ...

    def frame_at(self, t_s: float) -> np.ndarray:
        """The BGR ``uint8`` image, shape (height, width, 3), ``t_s`` simulated seconds in.

        Deterministic for a given renderer (scenario, seed, size) and ``t_s``; ``t_s >= 0``.
        """
        ...


class RendererFactory(Protocol):
    """``make_renderer(scenario, seed, size)``: what a simulator module exposes.

    ``scenario`` None means the module's default scenario; an unknown name raises
    ``ValueError`` listing the known ones.
    """

    def __call__(
        self, scenario: str | None, seed: int, size: tuple[int, int] = DEFAULT_SIZE
    ) -> SceneRenderer: ...


def make_renderer(
    simulator: str, scenario: str | None, seed: int, size: tuple[int, int] = DEFAULT_SIZE
) -> SceneRenderer:
    """Build the renderer of ``simulator`` ("market" or "carpark"), importing it lazily."""
    module_name = RENDERER_MODULES.get(simulator)
    if module_name is None:
        known = ", ".join(sorted(RENDERER_MODULES))
        raise ValueError(f"unknown camera simulator {simulator!r} (known: {known})")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            f"camera simulator {simulator!r} is not available: module {module_name} "
            f"cannot be imported ({exc})"
        ) from exc
    factory: RendererFactory | None = getattr(module, "make_renderer", None)
    if factory is None:
        raise RuntimeError(
            f"camera simulator {simulator!r}: module {module_name} has no make_renderer()"
        )
    renderer = factory(scenario, seed, size)
    if not isinstance(renderer, SceneRenderer):
        raise TypeError(f"{module_name}.make_renderer() returned a non-SceneRenderer")
    return renderer
