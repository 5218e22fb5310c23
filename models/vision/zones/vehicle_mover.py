"""``vehicle_free``: a vehicle candidate followed on the ground, and what its track may do.

A mover is one body's track (X, depth, width in metres per analysed frame) with the
judgements :class:`~models.vision.zones.vehicle.VehicleDetector` made on it; the constants
here are shared by the moving rules (``vehicle.py``) and the stop rules (``vehicle_stop.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from models.vision.blobs import Blob
from models.vision.ground import Ground
from models.vision.zones.ground_track import FastTrace, Sample

#: Vehicle speed is judged only where one image row spans at most this depth (m): further
#: away the foot point jumps by whole metres between frames.
MAX_ROW_M = 1.0
#: A rigid body at least this wide (m) is wider than two people side by side (a van is about
#: 1.9 m).
WIDE_BODY_M = 1.6
#: Ground speed (m/s) no pedestrian reaches (brisk walking is 1.5-1.8 m/s): a blob this fast
#: on a straight path need not keep its width (a vehicle turning into the street shows its
#: side, its blob widens).
CLEARLY_FAST_M_S = 2.2
#: A mover judged clearly fast that goes unseen for up to this long (s), its blob broken up
#: (a grey van on grey paving) or hidden, keeps its track when it is seen again within
#: BRIDGE_GATE_M (m, |dX| + |dz|) of where its velocity puts it; its hold starts again there
#: after more than SHORT_GAP_FRAMES missed. (vehicle_entry 9303 and 9508: vans lost for
#: 0.6-1.0 s at 14-17 m stopped 1 s after they were seen again.)
BRIDGE_S = 1.0
BRIDGE_GATE_M = 1.5
#: Frames in a row a mover judged moving at SHORT_GAP_MIN_M_S or faster (clearly fast or
#: not) may go unseen and keep its hold, when it is seen again within BRIDGE_GATE_M of where
#: its velocity puts it: a tricycle's cargo box, as grey as the paving, leaves a blob as narrow
#: as its rider for a frame or two (market_morning 17001 at 13745.6 s, 0.6 m wide at 16 m,
#: judged at 1.66 m/s: its hold of 2.5 s began again 1.2 s before it stopped). Not at walking
#: pace (the simulator's walkers: 0.9-1.5 m/s): two people side by side at 1.2 m/s, lost for
#: two frames, were confirmed so (market_morning 17001 at 5355 s). A tricycle judged clearly
#: fast at 11 m, unseen for two frames, stopped 0.4 s after its hold had begun again
#: (vehicle_entry 22007 at 62 s).
SHORT_GAP_FRAMES = 2
SHORT_GAP_MIN_M_S = 1.5
#: Frame steps after which a mover that missed SHORT_GAP_FRAMES is seen again (half a step
#: forgiven). The stop test (``STOP_S``) takes any mover's track across such a gap, at any
#: speed (its moving rules start again after it unless it was bridged): a grey van at 3.7 m/s
#: on grey paving was seen on 5 frames of the 11 before it stopped, at most 2 missed from
#: 15 m on, and its track began again after each gap, leaving 0.4 s of arrival
#: (vehicle_entry 14004 at 87 s). Its arrival's steps are judged as seen: a step across
#: missed frames may carry no more than half its way either (market_morning 21001 at 82 s:
#: a track still for 0.4 s, then 4 m on across two missed frames, onto somebody else).
SHORT_GAP_STEPS = SHORT_GAP_FRAMES + 1.5

#: Of this many widths or more, the widest is an outlier :func:`rigid` forgives: a passer-by
#: merging with a tricycle's blob for a frame widened it by half, and a tricycle at
#: 1.85 m/s that needs ``confirm_s`` of rigid motion lost its hold on every such frame
#: (vehicle_entry 15007). People walking together merge and part over several frames.
RIGID_OUTLIER_FROM = 5


class Stretch(NamedTuple):
    """A stretch of frames in a row on which a mover was judged so (brisk, or moving): from,
    to (s) and where it was on the last (m)."""

    first_s: float
    last_s: float
    x_m: float
    z_m: float


@dataclass
class Mover:
    """A vehicle candidate followed on the ground: (t_s, X_m, z_m, width_m), newest last."""

    path: list[Sample]
    blob: Blob
    fast_since: float | None = None
    #: Judged clearly fast on its last frame (set and cleared with ``fast_since``).
    clearly_fast: bool = False
    #: Held its judgement for the time it needed: a vehicle while it keeps moving steadily
    #: (judged on every frame since), whatever tier it is judged in now. (A mover judged to
    #: have stopped after a clearly fast arrival is one on that frame; the zone keeps it
    #: present where it stands.)
    confirmed: bool = False
    #: Ground velocity (m/s: X, z) at its last judgement; None when not judged moving.
    velocity: tuple[float, float] | None = None
    #: Where it was and how it moved when last judged clearly fast, and the same while it
    #: was confirmed too: the line it leaves behind when its judgement restarts
    #: (``VehicleDetector._restart``).
    last_fast: FastTrace | None = None
    last_confirmed: FastTrace | None = None
    #: Device time (s) of the first sample its motion is judged on
    #: (``VehicleDetector._hold_needed``): the path may hold samples from before a short gap
    #: it was not bridged across.
    judged_from: float = -math.inf
    #: Its newest stretch of frames in a row judged brisk (``vehicle._Hold.brisk``); kept when its
    #: judgement restarts or its path begins again (it stopped).
    brisk_run: Stretch | None = None
    #: Its newest stretch of frames in a row judged moving (any hold), kept likewise.
    moving_run: Stretch | None = None

    def note_brisk(self, t_s: float) -> None:
        """Judged brisk at ``t_s``: its brisk stretch goes on if its previous sample was too."""
        self.brisk_run = self._extended(self.brisk_run, t_s)

    def note_moving(self, t_s: float) -> None:
        """Judged moving at ``t_s``: its moving stretch goes on if its previous sample was too."""
        self.moving_run = self._extended(self.moving_run, t_s)

    def _extended(self, run: Stretch | None, t_s: float) -> Stretch:
        prev = self.path[-2][0] if len(self.path) >= 2 else None
        first = run.first_s if run is not None and run.last_s == prev else t_s
        _, x_m, z_m, _ = self.path[-1]
        return Stretch(first, t_s, x_m, z_m)

    def restart(self) -> None:
        """Forget its judgement: it must hold anew."""
        self.fast_since, self.clearly_fast, self.confirmed = None, False, False
        self.velocity = None

    def bridge_velocity(self) -> tuple[float, float] | None:
        """Its velocity if it may be followed across a gap (judged clearly fast), else None."""
        return self.velocity if self.clearly_fast else None

    def short_gap_velocity(self) -> tuple[float, float] | None:
        """Its velocity if it may keep its hold across ``SHORT_GAP_FRAMES`` missed frames
        (judged moving at ``SHORT_GAP_MIN_M_S`` or faster when last seen), else None."""
        v = self.velocity
        if self.fast_since is None or v is None or math.hypot(*v) < SHORT_GAP_MIN_M_S:
            return None
        return v


def rigid(ground: Ground, widths_m: list[float], z_far_m: float) -> bool:
    """One rigid body keeps its width (within 1.4x); blobs of people merging and parting do
    not. Widths are whole pixels: one pixel at the farthest sample (``z_far_m``; 0.2 m at
    20 m, where a tricycle's blob is 5-7 pixels wide) is forgiven, and of
    ``RIGID_OUTLIER_FROM`` widths or more the widest (a passer-by merged for a frame)."""
    pixel_m = z_far_m / (ground.focal_x * ground.size[0])
    ws = sorted(widths_m)
    widest = ws[-2] if len(ws) >= RIGID_OUTLIER_FROM else ws[-1]
    return widest - pixel_m <= 1.4 * ws[0]
