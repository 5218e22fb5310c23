"""Synthetic fixed market camera: scene, scenarios, ground truth, video and MJPEG server.

Import the submodules you need; nothing heavy happens at import time:

- :mod:`firmware_sim.camera.renderer`: the :class:`SceneRenderer` protocol every simulated
  camera (market, car park) implements, and :func:`make_renderer` to build one by name.
- :mod:`firmware_sim.camera.server`: serves any renderer as an MJPEG-over-HTTP IP camera.
"""
