"""The market street renderer: a :class:`~firmware_sim.camera.renderer.SceneRenderer`.

Per second of simulated time a static layer is made once (the pre-rendered street lit by the
dawn, lamps and shadows, plus every actor that does not move during that second); each frame
copies it, draws the moving actors, applies tampering, then sensor noise that grows with the
auto-exposure gain (night frames are dark and grainy), and optionally a JPEG round trip.

Memory (17 cameras share one process in the demo): the size-only parts of the street and one
sensor-noise bank per frame size are shared by every renderer (each seed reads the bank at its
own offsets); the lens-cover texture is made only when a cover tamper first shows; renderers are
built one at a time (:data:`_BUILD_LOCK`) so the temporary arrays of the street's construction
never pile up across cameras starting together; the ~2000 scripted actors of a morning are
kept packed in arrays (:class:`~firmware_sim.camera.actor_table.ActorTable`) and rebuilt a
minute at a time.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import zlib
from datetime import time
from typing import Any

import cv2
import numpy as np

from firmware_sim.camera.actor_table import ActorTable
from firmware_sim.camera.actors import Actor
from firmware_sim.camera.background import Background, build_background, lamp_head
from firmware_sim.camera.draw import CachingPainter, Painter
from firmware_sim.camera.lighting import illumination_map
from firmware_sim.camera.renderer import DEFAULT_SIZE
from firmware_sim.camera.scenarios import DEFAULT_SCENARIO, build_script
from firmware_sim.camera.script import Script, Tamper

#: Sensor noise, standard deviation in 8-bit levels: read noise + shot noise amplified by gain.
NOISE_BASE_DN = 1.5
NOISE_PER_GAIN_DN = 1.1
_NOISE_PAD = 64
_NOISE_BANK_SEED = 0x4E
_BUCKET_S = 60.0
#: One renderer (script and street) is built at a time in a process: bounded construction memory.
_BUILD_LOCK = threading.RLock()


@functools.lru_cache(maxsize=4)
def noise_bank(w: int, h: int) -> np.ndarray:
    """Unit sensor noise (int8, sigma 16 levels) padded for random offsets; one per size.

    Read-only and shared by every renderer of the frame size; seeds differ by their offsets.
    """
    rng = np.random.default_rng(_NOISE_BANK_SEED)
    bank = (
        (rng.standard_normal((h + _NOISE_PAD, w + _NOISE_PAD)) * 16.0)
        .clip(-127, 127)
        .astype(np.int8)
    )
    bank.flags.writeable = False
    return bank


class MarketRenderer:
    """Renders one scripted market scenario; see :mod:`firmware_sim.camera.renderer`."""

    def __init__(
        self, script: Script, size: tuple[int, int] = DEFAULT_SIZE, jpeg_quality: int | None = None
    ) -> None:
        self._w, self._h = size
        self.jpeg_quality = jpeg_quality
        with _BUILD_LOCK:
            self.bg: Background = build_background(self._w, self._h, script.seed)
            self._noise = noise_bank(self._w, self._h)
        self.painter = Painter(self._w, self._h)
        #: For the per-second static layer: the actors drawn there do not move.
        self._static_painter = CachingPainter(self._w, self._h)
        self._cover_tex: np.ndarray | None = None
        self._lock = threading.Lock()
        self._cache_q: int | None = None
        self._cache: tuple[np.ndarray, np.ndarray, float] | None = None
        #: The actors, packed; ``self.script`` keeps lighting, tampers and truth events.
        self.actors = ActorTable(script.actors, _BUCKET_S, script.duration_s + 3600.0)
        self.script = dataclasses.replace(script, actors=[])

    @property
    def size(self) -> tuple[int, int]:
        return (self._w, self._h)

    @property
    def start_time_of_day(self) -> time:
        s = int(self.script.start_tod_s)
        return time(s // 3600 % 24, s // 60 % 60, s % 60)

    @property
    def duration_s(self) -> float:
        return self.script.duration_s

    def actors_at(self, t_s: float) -> list[Actor]:
        return self.actors.active_at(t_s)

    def tamper_at(self, t_s: float) -> tuple[Tamper, float] | None:
        for tp in self.script.tampers:
            level = tp.level(t_s)
            if level > 0:
                return tp, level
        return None

    # -- rendering ------------------------------------------------------------------------

    def frame_at(self, t_s: float) -> np.ndarray:
        with self._lock:
            return self._frame(max(t_s, 0.0))

    def _static(self, q: int) -> tuple[np.ndarray, np.ndarray, float]:
        if self._cache_q == q and self._cache is not None:
            return self._cache
        tod = self.script.start_tod_s + q
        plan = self.script.lighting
        illum = illumination_map(
            plan, tod, self.bg.ground_x, self.bg.ground_z, self.bg.is_ground, self.bg.lamp_maps
        )
        gain = plan.gain(tod)
        lights = illum * gain
        full = cv2.resize(lights, (self._w, self._h), interpolation=cv2.INTER_LINEAR)
        # albedo x light in float32, capped at 255 and truncated (light is never negative):
        # one pass fewer than numpy's astype-multiply-clip, same values.
        lit_f = cv2.multiply(self.bg.albedo, full, dtype=cv2.CV_32F)
        np.minimum(lit_f, 255.0, out=lit_f)
        layer = lit_f.astype(np.uint8)
        del lit_f, full
        for i, on in enumerate(plan.lamps_on(tod)):
            if on:
                x, z = plan.lamps[i].x_m, plan.lamps[i].z_m
                self.painter.disc(layer, lamp_head(x, z), 0.28, (180, 230, 255))
                self.painter.disc(layer, lamp_head(x, z), 0.14, (235, 250, 255))
        static = [a for a in self.actors_at(float(q)) if a.static_between(q, q + 1.0)]
        for a in sorted(static, key=lambda a: -a.position(q)[1]):
            a.draw(layer, self._static_painter, float(q), self._light_at(lights, a, float(q)))
        self._cache_q, self._cache = q, (layer, lights, gain)
        return self._cache

    def _light_at(self, lights: np.ndarray, a: Actor, t: float) -> np.ndarray:
        x, z, _ = a.position(t)
        u, v = self.painter.px(x, 0.3, z)
        lh, lw = lights.shape[:2]
        return lights[
            min(max(v * lh // self._h, 0), lh - 1), min(max(u * lw // self._w, 0), lw - 1)
        ]

    def _frame(self, t: float) -> np.ndarray:
        q = int(t)
        layer, lights, gain = self._static(q)
        img = layer.copy()
        moving = [a for a in self.actors_at(t) if not a.static_between(q, q + 1.0)]
        for a in sorted(moving, key=lambda a: -a.position(t)[1]):
            a.draw(img, self.painter, t, self._light_at(lights, a, t))
        tamper = self.tamper_at(t)
        if tamper is not None:
            img, gain = self._tamper(img, *tamper, gain)
        img = self._add_noise(img, t, gain)
        if self.jpeg_quality:
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
            decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
            if decoded is not None:
                img = decoded
        return img

    def _tamper(
        self, img: np.ndarray, tp: Tamper, level: float, gain: float
    ) -> tuple[np.ndarray, float]:
        if tp.subtype == "covered":
            if tp.variant == 1:  # translucent bag: blurred, hazy, still bright
                cover = cv2.blur(img, (41, 41)) // 2 + 80
            else:  # a hand or cloth right on the lens
                cover = self._cover()
                gain = gain * (1 + 2 * level)
            return cv2.addWeighted(img, 1.0 - level, cover, level, 0.0), gain
        if tp.subtype == "defocused":
            sigma = tp.strength * level * self._w / 640.0
            return (cv2.GaussianBlur(img, (0, 0), sigma) if sigma > 0.3 else img), gain
        m = cv2.getRotationMatrix2D((self._w / 2, self._h / 2), tp.angle_deg * level, 1.0)
        m[0, 2] += tp.strength * level * self._w
        m[1, 2] += 0.15 * level * self._h
        return cv2.warpAffine(img, m, (self._w, self._h), borderMode=cv2.BORDER_REFLECT), gain

    def _cover(self) -> np.ndarray:
        """The lens-cover texture, made on first use (most cameras are never covered)."""
        if self._cover_tex is None:
            rng = np.random.default_rng([self.script.seed, 0x4E])
            # The draws this seed's own noise bank used to take, so the cover is unchanged.
            rng.standard_normal((self._h + 24, self._w + 24))
            self._cover_tex = _cover_texture(self._w, self._h, rng)
        return self._cover_tex

    def _add_noise(self, img: np.ndarray, t: float, gain: float) -> np.ndarray:
        """Luma noise from the shared bank at a per-frame, per-seed offset (deterministic in
        t); the same value is added to the three channels (in float, saturated to 8 bits)."""
        frame_key = round(t * 1000.0)
        h = zlib.crc32(frame_key.to_bytes(8, "little", signed=True)) ^ (
            (self.script.seed * 0x9E3779B1) & 0xFFFFFFFF
        )
        dy, dx = h % _NOISE_PAD, (h >> 8) % _NOISE_PAD
        noise = self._noise[dy : dy + self._h, dx : dx + self._w]
        if (h >> 16) & 1:
            noise = noise[::-1, ::-1]
        sigma = NOISE_BASE_DN + NOISE_PER_GAIN_DN * gain
        n1 = noise.astype(np.float32) * np.float32(sigma / 16.0)
        planes = [cv2.add(p, n1, dtype=cv2.CV_8U) for p in cv2.split(img)]
        return cv2.merge(planes)

    # -- truth ----------------------------------------------------------------------------

    def truth_at(self, t_s: float) -> dict[str, Any]:
        """What is in the picture at ``t_s``: objects with boxes, tampering, light."""
        objects = []
        for a in self.actors_at(t_s):
            box = a.box_norm(t_s)
            if box is None:
                continue
            x, z, moving = a.position(t_s)
            objects.append(
                {
                    "id": a.id,
                    "class": a.cls,
                    "box": list(box),
                    "moving": moving,
                    "ground_m": [round(x, 2), round(z, 2)],
                }
            )
        tod = self.script.start_tod_s + t_s
        plan = self.script.lighting
        tamper = self.tamper_at(t_s)
        return {
            "t_s": round(t_s, 3),
            "objects": objects,
            "tamper": tamper[0].subtype if tamper else None,
            "lamps_on": sum(plan.lamps_on(tod)),
            "ambient": round(plan.ambient(tod), 5),
            "gain": round(plan.gain(tod), 3),
        }


def _cover_texture(w: int, h: int, rng: np.random.Generator) -> np.ndarray:
    small = rng.uniform(0, 1, (6, 10, 1)).astype(np.float32)
    base = np.array(rng.uniform([20, 25, 35], [45, 50, 70]), np.float32)
    tex = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    out = base[None, None, :] * (0.7 + 0.5 * tex[..., None] if tex.ndim == 2 else tex)
    return np.clip(out, 0, 255).astype(np.uint8)


def make_renderer(
    scenario: str | None, seed: int, size: tuple[int, int] = DEFAULT_SIZE
) -> MarketRenderer:
    """The factory the renderer registry calls (``simulator: market``)."""
    with _BUILD_LOCK:
        return MarketRenderer(build_script(scenario or DEFAULT_SCENARIO, seed), size)
