"""A body's track on the ground: its newest unbroken run, its velocity, and how it stopped.

Samples are ``(t_s, X_m, z_m, width_m)``: device seconds, the foot point on the ground plane
(X across, z the depth from the camera, metres) and the blob's width there (m). Plain Python
throughout: a track holds a dozen or two samples, which cost less than numpy calls.
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

Sample = tuple[float, float, float, float]


class FastTrace(NamedTuple):
    """Where a body judged clearly fast was last seen and how it moved (m, m/s)."""

    t_s: float
    x_m: float
    z_m: float
    vx_m_s: float
    vz_m_s: float


def recent_run(
    path: list[Sample], t_s: float, win: float, step: float, max_gap_s: float = 0.0
) -> list[Sample]:
    """The samples of ``path`` within ``win`` s of ``t_s`` that form its newest run with at
    most one frame (of ``step`` s) missed at a time, or gaps up to ``max_gap_s``, oldest
    first, with the foot point (X, z) smoothed by a running median of 3 (the oldest and the
    newest sample are kept as they are).

    Across longer gaps the track may have jumped between bodies (a passer-by near the camera,
    then one far off); a blob merging with a passer-by for one frame throws its foot metres
    off, which would break the straightness test.
    """
    # the path is in time order: walk back from its newest sample
    start = len(path)
    while start > 0 and t_s - path[start - 1][0] <= win:
        start -= 1
    recent = path[start:]
    first = len(recent) - 1
    gap = max(2.5 * step, max_gap_s)
    while first > 0 and recent[first][0] - recent[first - 1][0] <= gap:
        first -= 1
    run = recent[first:]
    if len(run) < 3:
        return run
    out = [run[0]]
    for a, b, c in zip(run, run[1:], run[2:], strict=False):
        out.append((b[0], median3(a[1], b[1], c[1]), median3(a[2], b[2], c[2]), b[3]))
    out.append(run[-1])
    return out


def median3(a: float, b: float, c: float) -> float:
    # two comparisons instead of four min/max calls: this runs for every sample of every
    # followed body on every frame
    if a > b:
        a, b = b, a
    return a if c < a else (c if c < b else b)


def velocity(pts: list[Sample]) -> tuple[float, float]:
    """Least-squares ground velocity (m/s: X, z) of samples at two or more distinct times."""
    n = len(pts)
    t_mean = sum(p[0] for p in pts) / n
    x_mean = sum(p[1] for p in pts) / n
    z_mean = sum(p[2] for p in pts) / n
    dts = [p[0] - t_mean for p in pts]
    den = sum(d * d for d in dts)
    vx = sum(d * (p[1] - x_mean) for d, p in zip(dts, pts, strict=True)) / den
    vz = sum(d * (p[2] - z_mean) for d, p in zip(dts, pts, strict=True)) / den
    return vx, vz


def straight(pts: list[Sample], share: float = 0.6) -> bool:
    """Is the net distance, not zero, at least ``share`` of the path walked? (A track hopping
    between the blobs of a crowd zig-zags.)"""
    steps = sum(math.hypot(b[1] - a[1], b[2] - a[2]) for a, b in itertools.pairwise(pts))
    net = math.hypot(pts[-1][1] - pts[0][1], pts[-1][2] - pts[0][2])
    return net > 0.0 and net >= share * steps


def steady(pts: list[Sample], share: float = 0.5) -> bool:
    """Is the net distance not zero and does no step between samples cover more than
    ``share`` of it? A track that hopped from one body to another made its way in one step."""
    net = math.hypot(pts[-1][1] - pts[0][1], pts[-1][2] - pts[0][2])
    return net > 0.0 and all(
        math.hypot(b[1] - a[1], b[2] - a[2]) <= share * net for a, b in itertools.pairwise(pts)
    )


def still_since(path: list[Sample], t_s: float, hold_s: float, tol_m: float) -> bool:
    """Cheap, and necessary for :func:`stop_start` with a hold of at least ``hold_s``: the
    median of the raw samples round the oldest one within ``hold_s`` s of the newest lies
    within ``tol_m`` (|dX| + |dz|) of the newest."""
    i = len(path) - 1
    while i > 0 and t_s - path[i - 1][0] <= hold_s + 1e-6:
        i -= 1
    if i < 1 or i + 1 >= len(path):
        return False
    a, b, c, last = path[i - 1], path[i], path[i + 1], path[-1]
    dx = median3(a[1], b[1], c[1]) - last[1]
    dz = median3(a[2], b[2], c[2]) - last[2]
    return abs(dx) + abs(dz) <= tol_m


def stop_start(
    run: list[Sample], t_s: float, hold_s: float, late_s: float, step: float, tol_m: float
) -> int:
    """Index in ``run`` (a :func:`recent_run`) where its final still stretch begins (every
    sample from there within ``tol_m``, |dX| + |dz|, of the newest) when the body came into
    it (samples before it) and has stood there ``hold_s`` to ``hold_s + late_s`` s (half a
    frame ``step`` forgiven); else -1. (The window lets a frame or two missed when the hold
    is complete pass.)"""
    _, x_last, z_last, _ = run[-1]
    k = len(run) - 1
    while k > 0 and abs(run[k - 1][1] - x_last) + abs(run[k - 1][2] - z_last) <= tol_m:
        k -= 1
    still_s = t_s - run[k][0]
    if k == 0 or len(run) - k < 3 or not hold_s - 0.5 * step <= still_s <= hold_s + late_s:
        return -1
    return k


def ahead_on_line(trace: FastTrace, x_m: float, z_m: float, t_s: float, lateral: float) -> bool:
    """Could the body of ``trace`` have driven on to (``x_m``, ``z_m``) by ``t_s``?

    The point lies ahead along its velocity, off that line by at most ``lateral`` of the
    distance along it (a vehicle finishing its turn into the street) or a metre, and the
    time taken is between half and twice (plus half a second) what its speed needs.
    """
    speed = math.hypot(trace.vx_m_s, trace.vz_m_s)
    if speed <= 0.0 or trace.t_s > t_s:
        return False
    ux, uz = trace.vx_m_s / speed, trace.vz_m_s / speed
    dx, dz = x_m - trace.x_m, z_m - trace.z_m
    along = dx * ux + dz * uz
    if along <= 0.0 or abs(dx * uz - dz * ux) > max(1.0, lateral * along):
        return False
    eta = along / speed
    return 0.5 * eta <= t_s - trace.t_s <= 2.0 * eta + 0.5
