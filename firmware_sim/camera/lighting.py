"""Night-to-dawn light: sky ambient, street lamps, the sun's sweeping facade shadow, clouds.

Radiance is relative to full daylight on the street (1.0). The dawn ramp is logistic in
log-radiance, ``ambient = 10 ** (-2 + 2 * sigmoid((tod - dawn_mid) / width))``, so the light
changes by two orders of magnitude over about an hour, as civil twilight does. A camera's auto
exposure (gain, capped) follows the mean radiance with a lag of a few seconds, so the switch-off
of the street lamps dims the whole frame briefly before the gain catches up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: Sodium street lamp tint (B, G, R) and the daylight tint.
LAMP_TINT = np.array([0.45, 0.78, 1.0], dtype=np.float32)
SKY_TINT_NIGHT = np.array([1.0, 0.85, 0.75], dtype=np.float32)
SKY_TINT_DAY = np.array([1.0, 1.0, 1.0], dtype=np.float32)

#: Auto exposure: target mean radiance x gain, and the gain cap (a night frame is dark, noisy).
AE_TARGET = 0.55
AE_MAX_GAIN = 9.0
AE_LAG_S = 4.0


@dataclass(frozen=True)
class Lamp:
    x_m: float
    z_m: float
    #: Peak radiance of the pool under the lamp (relative to daylight).
    power: float
    #: Time of day (s since midnight) the lamp switches off (staggered by a few seconds).
    off_tod_s: float


@dataclass(frozen=True)
class Cloud:
    start_tod_s: float
    duration_s: float
    depth: float  # 0..1 darkening of the direct sun
    from_x_m: float
    to_x_m: float
    z_m: float
    radius_m: float


@dataclass(frozen=True)
class LightingPlan:
    dawn_mid_tod_s: float
    dawn_width_s: float
    sunrise_tod_s: float
    #: Shadow edge (ground X, metres) moves from +5 at sunrise by ``shadow_speed_m_per_s``.
    shadow_speed_m_per_s: float
    lamps: tuple[Lamp, ...]
    clouds: tuple[Cloud, ...] = field(default=())

    def ambient(self, tod_s: float) -> float:
        """Sky radiance (relative to daylight) at the time of day ``tod_s``."""
        s = 1.0 / (1.0 + math.exp(-(tod_s - self.dawn_mid_tod_s) / self.dawn_width_s))
        return float(10.0 ** (-2.0 + 2.0 * s))

    def sun_fraction(self, tod_s: float) -> float:
        """Share of the ambient that is direct sun (casts shadows), 0 before sunrise."""
        return float(min(max((tod_s - self.sunrise_tod_s) / 1800.0, 0.0), 1.0) * 0.6)

    def shadow_edge_x_m(self, tod_s: float) -> float:
        """Ground X left of which the left facade shades the street."""
        return 5.0 - max(tod_s - self.sunrise_tod_s, 0.0) * self.shadow_speed_m_per_s

    def lamps_on(self, tod_s: float) -> tuple[bool, ...]:
        return tuple(tod_s < lamp.off_tod_s for lamp in self.lamps)

    def mean_radiance(self, tod_s: float) -> float:
        """Scene mean radiance (scalar) that drives the auto exposure."""
        lamps = sum(0.06 * lamp.power for lamp in self.lamps if tod_s < lamp.off_tod_s)
        return self.ambient(tod_s) * (1.0 - 0.35 * self.sun_fraction(tod_s)) + lamps

    def gain(self, tod_s: float) -> float:
        """Auto-exposure gain: the mean radiance over the last ``AE_LAG_S`` seconds, inverted."""
        samples = [self.mean_radiance(tod_s - AE_LAG_S * k / 4.0) for k in range(5)]
        mean = sum(samples) / len(samples)
        return float(min(max(AE_TARGET / mean, 0.6), AE_MAX_GAIN))


def illumination_map(
    plan: LightingPlan,
    tod_s: float,
    ground_x: np.ndarray,
    ground_z: np.ndarray,
    is_ground: np.ndarray,
    lamp_maps: np.ndarray,
) -> np.ndarray:
    """Per-pixel BGR radiance (low resolution, float32) at ``tod_s``.

    ``ground_x``/``ground_z`` are each low-res pixel's ground coordinates (metres; facades use
    their base point), ``lamp_maps`` (n_lamps, h, w) the unit pools of the lamps.
    """
    amb = plan.ambient(tod_s)
    sun = plan.sun_fraction(tod_s)
    k = min(max((tod_s - plan.dawn_mid_tod_s) / (3.0 * plan.dawn_width_s) + 0.5, 0.0), 1.0)
    tint = SKY_TINT_NIGHT * (1 - k) + SKY_TINT_DAY * k
    direct = np.ones(ground_x.shape, dtype=np.float32)
    if sun > 0:
        edge = plan.shadow_edge_x_m(tod_s)
        # Soft penumbra 0.6 m wide; only the ground and the lower facades are shaded.
        shade = np.clip((edge - ground_x) / 0.6 + 0.5, 0.0, 1.0) * is_ground
        direct -= shade.astype(np.float32)
        for cloud in plan.clouds:
            u = (tod_s - cloud.start_tod_s) / cloud.duration_s
            if 0.0 <= u <= 1.0:
                cx = cloud.from_x_m + u * (cloud.to_x_m - cloud.from_x_m)
                d2 = (ground_x - cx) ** 2 + (ground_z - cloud.z_m) ** 2
                direct *= 1.0 - cloud.depth * np.exp(-d2 / (2 * cloud.radius_m**2))
    level = amb * ((1.0 - sun) + sun * direct)
    out = level[..., None] * tint[None, None, :]
    on = plan.lamps_on(tod_s)
    for i, lamp in enumerate(plan.lamps):
        if on[i]:
            out += (lamp.power * lamp_maps[i])[..., None] * LAMP_TINT[None, None, :]
    return out.astype(np.float32)
