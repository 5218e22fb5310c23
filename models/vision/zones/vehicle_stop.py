"""``vehicle_free``: a mover that stopped as a vehicle stops.

A tricycle or van that drives into the street often stops 8-13 m from the camera within
seconds, before any hold of the moving rules (``vehicle.py``) is over. These rules judge the
stop: how the body arrived (its own track, or a lost clearly fast mover's line leading
there) and that it then stood still as one rigid body.
"""

from __future__ import annotations

import itertools
import math

from models.vision.ground import Ground
from models.vision.zones.ground_track import (
    FastTrace,
    Sample,
    ahead_on_line,
    recent_run,
    steady,
    still_since,
    stop_start,
    straight,
    velocity,
)
from models.vision.zones.vehicle_mover import (
    BRIDGE_GATE_M,
    BRIDGE_S,
    CLEARLY_FAST_M_S,
    MAX_ROW_M,
    SHORT_GAP_STEPS,
    WIDE_BODY_M,
    Mover,
    rigid,
)

#: A mover that arrived clearly fast (``CLEARLY_FAST_M_S`` over ``ARRIVE_S``, at least
#: ``ARRIVE_MIN_S`` of it, where rows span at most ``ARRIVE_MAX_ROW_M``) and then stood
#: still (within ``STOP_TOL_M``, |dX| + |dz|) as one rigid body for ``STOP_S`` is a vehicle
#: that stopped: a tricycle whose foot point a walker in front pinned for a second or two and
#: that stopped 10-13 m from the camera before any hold was over (vehicle_entry 9402).
#: Walkers who stop arrived at walking pace; a blob that merged with a passer-by jumps, but
#: does not then stand still. No step of the arrival may carry more than half of it: a track
#: that hopped from one body to another, 3.5 m in 0.4 s from a vendor pushing a stall to a
#: person standing in front (dawn_quiet 9402 at 184.8 s) or 2.4 m back to somebody standing
#: behind (market_morning 9401 at 12436 s), was "clearly fast" and then still. So is one
#: judged brisk (``Mover.brisk_run``) on every frame of at least ``ARRIVE_MIN_S`` up to where its
#: stop began: a tricycle at 1.95 m/s, held brisk for 1.4 s of the 1.5 s it needed, stopped
#: 12 m off and stood there 23 s (vehicle_entry 22007 at 214 s; its width had changed while
#: it turned into the street, and a window over its stop measures less than it drove).
STOP_S = 2.0
STOP_TOL_M = 0.5
#: ... judged on any frame up to this long (s) after the hold is complete: a mover unseen on
#: the frame the hold completes is judged on the next.
STOP_LATE_S = 1.0
ARRIVE_S = 1.2
ARRIVE_MIN_S = 0.8
#: The arrival is judged only where a row spans at most this depth (m) at its mean depth
#: (nearer than 13.4 m with the simulated camera's calibration): further off a walker's foot
#: point steps a whole row (0.7 m at 16 m) in one frame, and two such steps in a second read
#: as 2.6 m/s (people_standing 9702 at 368 s, a walker whose foot was then pinned by
#: somebody standing).
ARRIVE_MAX_ROW_M = 0.5
#: ... or a mover judged clearly fast that was lost up to ``FAST_TRACE_S`` before the stop
#: drove there: the stop lies ahead on its line (off it by at most ``FAST_TRACE_LATERAL`` of
#: the distance, a vehicle finishing its turn) at about its speed. A tricycle lost where it
#: merged with two walkers crossing in front stopped 6 m on (vehicle_entry 9703 at 69 s).
FAST_TRACE_S = 6.0
FAST_TRACE_LATERAL = 0.35
#: How long (s) a lost clearly fast mover's trace is kept: it serves stops beginning up to
#: FAST_TRACE_S after it, judged up to STOP_S + STOP_LATE_S later still.
FAST_TRACE_KEEP_S = FAST_TRACE_S + STOP_S + STOP_LATE_S
#: A rigid body judged moving (any hold) on every frame from MOVED_MIN_S or more before where
#: it stopped, that arrived at WALK_ARRIVE_M_S or faster (over ARRIVE_S, straight, steady,
#: where rows span at most ARRIVE_MAX_ROW_M, as above) and then stood still as one rigid
#: body for STOP_AFTER_WALK_S is a vehicle that stopped: a tricycle whose foot point a walker
#: pinned far off was judged moving from 194.2 s at 1.2-1.8 m/s (brisk for 0.4 s), arrived
#: at 1.7 m/s and stopped 10 m off at 195.6 s, before its hold of ``confirm_s`` was over
#: (vehicle_entry 25010). The simulator's walkers keep to 0.9-1.5 m/s; a stall pushed at
#: 1 m/s stops too. The longer stop is a margin against people side by side who stop
#: together: on 152 development runs the rule fired only on vehicles (docs/vision.md).
WALK_ARRIVE_M_S = 1.6
MOVED_MIN_S = 1.0
STOP_AFTER_WALK_S = 4.0
#: A body that came APPROACH_MIN_M or more nearer over up to APPROACH_S before it stopped,
#: for APPROACH_MIN_S or longer, at WALK_ARRIVE_M_S or faster (least squares; straight,
#: steady), from where rows span at most ``MAX_ROW_M``, and then stood still as one rigid
#: body for ``STOP_S`` is a vehicle that stopped; at APPROACH_WIDE_M_S or faster if it
#: stood there ``WIDE_BODY_M`` wide or wider (wider than two people side by side) on every
#: frame. Over such a long way the far rows' coarse steps (0.7 m at 16 m) average out, where
#: ``ARRIVE_S`` near the stop does not: a tricycle followed from 16.7 m to 12.2 m at
#: 1.9 m/s, judged moving only 0.2 s before it stopped (its track had begun again after
#: three missed frames at 18.5 m; market_morning 27002 at 9555 s), and a van 1.9-2.0 m wide
#: followed from 16.7 m to its stop at 12.6 m, read at 1.5 m/s (it drove at 3.2 m/s: far off
#: its foot read nearer than it was, its rows stepping 16.0-16.0-16.0-15.3-15.3-15.3), whose
#: last 1.2 s lay beyond the 13.4 m of ``ARRIVE_MAX_ROW_M`` (market_morning 26002 at
#: 9253 s). The simulator's walkers keep to 0.9-1.5 m/s: in 2 s they cover 3 m at most.
APPROACH_S = 3.0
APPROACH_MIN_S = 1.6
APPROACH_MIN_M = 3.5
APPROACH_WIDE_M_S = 1.2
#: A rigid body that stood still for ``STOP_S`` where a trail of wide sightings led is a
#: vehicle that stopped, whichever movers those sightings were given to. The trail: the
#: sightings of the last TRAIL_S before the stop, farther off than it (by ``STOP_TOL_M`` or
#: more) and within TRAIL_LATERAL_M of its X; at least TRAIL_MIN_SIGHTINGS of them at
#: TRAIL_MIN_TIMES distinct times lie on one line in depth over time (each within half a
#: row's depth plus TRAIL_FIT_M; at most a third left out, the worst first), over
#: TRAIL_MIN_S or more and TRAIL_MIN_M or more, coming nearer at ``WALK_ARRIVE_M_S`` or
#: faster, and the line reaches the stop's depth at its start within TRAIL_LAND_M. A
#: tricycle coming up behind a walker walking towards the camera merges with him, and its
#: own track is lost or taken over by his: vehicle_entry 29003 (lost where two walkers
#: crossed in front at 17 m, stopped 2 s later at 12.2 m), 29010 (its stop taken by the
#: walker's mover from 3.5 m nearer). Their trails, and that of vehicle_entry 25001's first
#: tricycle (on 174 development runs the one body the rule judged first, and the other rules
#: missed it), came 7.7-8.4 m from 19.5-20.6 m, their lines reaching the stop within 0.4 m;
#: TRAIL_MIN_M keeps out a body that came up at a walk and spurted for a second (3.5 m of
#: its own track). A line within a whole row's depth, or the most sightings on any one
#: line (a third or more left out), took a stall standing at 16.7 m and a vendor's stall
#: pushed aside at 9.9 m 2 s later for one trail (dawn_quiet 24010 at 145 s); a line through
#: the stop took walkers at 1 m/s and a pair standing 3.7 m nearer for one (market_morning
#: 24004 at 11318 s). Left so, a tricycle whose trail shares its corridor with another wide
#: body coming in behind it is missed (market_morning 24001 at 4168 s, 6 of 12 on its line).
#: Where more than a third of the sightings lie off that line (another body's way beside
#: it), the most sightings on any one line through two of them (coming nearer at
#: ``WALK_ARRIVE_M_S`` or faster; each within the same tolerance) make the trail when there
#: are TRAIL_MANY_SIGHTINGS or more, at least as many as are left out, with no step of more
#: than TRAIL_GAP_M in depth from one to the next: a van coming up in the lane of a walker
#: walking away from the camera was followed from him to it where they met at 16 m, and
#: its 12-13 sightings from 21.8 m to 13.6 m at 3.4-3.8 m/s shared the corridor with 10
#: of his (vehicle_entry 31006 at 197.4 s). A far stall standing and a stall pushed aside
#: nearer (dawn_quiet 24010 above) leave 6.8 m between them.
TRAIL_MANY_SIGHTINGS = 10
TRAIL_GAP_M = 2.5
TRAIL_S = 5.0
TRAIL_LATERAL_M = 1.0
TRAIL_MIN_SIGHTINGS = 5
TRAIL_MIN_TIMES = 4
TRAIL_MIN_S = 1.5
TRAIL_MIN_M = 5.0
TRAIL_FIT_M = 0.3
TRAIL_LAND_M = 1.5
#: How long (s) sightings are kept for the trail: its window before a stop judged up to
#: ``STOP_S + STOP_LATE_S`` after the stop began.
TRAIL_KEEP_S = TRAIL_S + STOP_S + STOP_LATE_S


def stopped(
    m: Mover,
    t_s: float,
    step: float,
    ground: Ground,
    fast_lost: list[FastTrace],
    seen: list[Sample],
) -> bool:
    """Is ``m``, not confirmed by a moving rule, a vehicle that stopped, judged at ``t_s``
    (frames ``step`` s apart; ``fast_lost``: the lines of clearly fast movers lost lately;
    ``seen``: every wide sighting of the last ``TRAIL_KEEP_S``, oldest first)?"""
    stop = _stop(m, t_s, step, ground)
    return (
        (
            stop is not None
            and (_after_arrival(m, stop, ground, fast_lost) or _after_trail(stop, ground, seen))
        )
        or _after_walk(m, t_s, step, ground)
        or _after_approach(m, t_s, step, ground)
    )


def _still_run(
    m: Mover, t_s: float, step: float, hold_s: float, arrive_s: float = ARRIVE_S
) -> tuple[list[Sample], int] | None:
    """``m``'s :func:`recent_run` over a stop of ``hold_s`` (up to ``STOP_LATE_S`` more) and
    its arrival of ``arrive_s``, with the index where its final still stretch begins
    (:func:`stop_start`, -1 if it has not stood so); None when it is not standing still at
    all (the cheap test first: most movers are moving)."""
    if not still_since(m.path, t_s, hold_s - 0.5 * step, STOP_TOL_M):
        return None
    run = recent_run(
        m.path, t_s, hold_s + STOP_LATE_S + arrive_s + 0.5, step, SHORT_GAP_STEPS * step
    )
    return run, stop_start(run, t_s, hold_s, STOP_LATE_S, step, STOP_TOL_M)


def _stood_rigid(ground: Ground, run: list[Sample], k: int) -> bool:
    """Did the body of ``run`` keep its width (:func:`rigid`) over its still stretch, from
    index ``k`` on?"""
    return rigid(ground, [p[3] for p in run[k:]], run[-1][2])


def _way_to(run: list[Sample], k: int, window_s: float) -> list[Sample]:
    """The samples of ``run`` within ``window_s`` before its stop (index ``k``), the stop's
    first sample last."""
    t_stop = run[k][0]
    return [p for p in run[: k + 1] if p[0] >= t_stop - window_s - 1e-6]


def _stop(m: Mover, t_s: float, step: float, ground: Ground) -> tuple[list[Sample], int] | None:
    """``m``'s :func:`recent_run` and the index in it where it began to stand still and rigid,
    if it has stood so for ``STOP_S`` (up to ``STOP_LATE_S`` more): having come there (the
    samples before it), or 0 where it was first seen (or seen again after a gap) standing
    there, as long ago; else None. A body that has stood in view longer is no new arrival
    (the window's oldest sample is too old)."""
    still = _still_run(m, t_s, step, STOP_S)
    if still is None:
        return None
    run, k = still
    if k < 0:
        if not _seen_first_standing(run, t_s, step):
            return None
        k = 0
    return (run, k) if _stood_rigid(ground, run, k) else None


def _after_arrival(
    m: Mover, stop: tuple[list[Sample], int], ground: Ground, fast_lost: list[FastTrace]
) -> bool:
    """Did ``m``, standing still and rigid (``stop``: :func:`_stop`), arrive there clearly
    fast, or was it judged brisk up to a moment before, or does a lost clearly fast mover's
    line lead there? So also where it was first seen standing: a van judged clearly fast was
    lost as it stopped 2 m on, and its blob came back 1.2 s later standing there as a new
    mover with no arrival of its own (market_morning 18004 at 11345 s); a tricycle judged
    brisk for 1.2 s went unseen for three frames as it stopped, and its track began again
    there (market_morning 22001 at 7731 s)."""
    run, k = stop
    _, x_m, z_m, _ = run[-1]
    t_stop = run[k][0]
    return (
        _arrived(_way_to(run, k, ARRIVE_S), CLEARLY_FAST_M_S, ground)
        or _brisk_up_to(m, x_m, z_m, t_stop)
        or _on_a_lost_fast_line(fast_lost, x_m, z_m, t_stop)
    )


def _after_walk(m: Mover, t_s: float, step: float, ground: Ground) -> bool:
    """Did ``m``, judged moving up to its stop and arriving at ``WALK_ARRIVE_M_S`` or
    faster, stand still and rigid for ``STOP_AFTER_WALK_S``?"""
    r = m.moving_run
    still = None if r is None else _still_run(m, t_s, step, STOP_AFTER_WALK_S)
    if r is None or still is None or still[1] < 0:
        return False
    run, k = still
    t_stop = run[k][0]
    if not (
        r.first_s <= t_stop - MOVED_MIN_S + 1e-6
        and r.last_s >= t_stop - 1e-6
        and _stood_rigid(ground, run, k)
    ):
        return False
    return _arrived(_way_to(run, k, ARRIVE_S), WALK_ARRIVE_M_S, ground)


def _after_approach(m: Mover, t_s: float, step: float, ground: Ground) -> bool:
    """Did ``m`` stand still and rigid for ``STOP_S`` after a long approach (see
    ``APPROACH_S``)?"""
    still = _still_run(m, t_s, step, STOP_S, APPROACH_S)
    if still is None or still[1] < 0:
        return False
    run, k = still
    if not _stood_rigid(ground, run, k):
        return False
    way = _way_to(run, k, APPROACH_S)
    if len(way) < 4 or way[-1][0] - way[0][0] < APPROACH_MIN_S - 1e-6:
        return False
    net_m = math.hypot(way[-1][1] - way[0][1], way[-1][2] - way[0][2])
    wide = min(p[3] for p in run[k:]) >= WIDE_BODY_M
    min_speed = APPROACH_WIDE_M_S if wide else WALK_ARRIVE_M_S
    return (
        net_m >= APPROACH_MIN_M
        and ground.row_span_m(max(p[2] for p in way)) <= MAX_ROW_M
        and math.hypot(*velocity(way)) >= min_speed
        and straight(way)
        and steady(way)
    )


def _brisk_up_to(m: Mover, x_m: float, z_m: float, t_stop: float) -> bool:
    """Was ``m`` judged brisk for ``ARRIVE_MIN_S`` or more up to where it stopped at
    (``x_m``, ``z_m``) from ``t_stop``: a stretch ending at most ``BRIDGE_S`` before it,
    within ``BRIDGE_GATE_M`` (|dX| + |dz|) of the stop?"""
    r = m.brisk_run
    return (
        r is not None
        and r.last_s - r.first_s >= ARRIVE_MIN_S - 1e-6
        and t_stop - r.last_s <= BRIDGE_S + 1e-6
        and abs(r.x_m - x_m) + abs(r.z_m - z_m) <= BRIDGE_GATE_M
    )


def _on_a_lost_fast_line(fast_lost: list[FastTrace], x_m: float, z_m: float, t_stop: float) -> bool:
    """Could a lost clearly fast mover (``fast_lost``) have driven on to (``x_m``,
    ``z_m``) by ``t_stop``, where a body stopped?"""
    return any(ahead_on_line(f, x_m, z_m, t_stop, FAST_TRACE_LATERAL) for f in fast_lost)


def _seen_first_standing(run: list[Sample], t_s: float, step: float) -> bool:
    """Was the body of ``run`` (a :func:`recent_run`) standing where it stands on every
    sample, the first ``STOP_S`` (up to ``STOP_LATE_S`` more) before ``t_s``?"""
    _, x_m, z_m, _ = run[-1]
    return (
        len(run) >= 3
        and STOP_S - 0.5 * step <= t_s - run[0][0] <= STOP_S + STOP_LATE_S
        and all(abs(p[1] - x_m) + abs(p[2] - z_m) <= STOP_TOL_M for p in run)
    )


def _arrived(arrival: list[Sample], min_speed_m_s: float, ground: Ground) -> bool:
    """Do the samples up to a stop show a straight, steady approach at ``min_speed_m_s``
    or faster, over ``ARRIVE_MIN_S`` or more, where rows span at most ``ARRIVE_MAX_ROW_M``
    (at their mean depth)?"""
    return (
        len(arrival) >= 4
        and arrival[-1][0] - arrival[0][0] >= ARRIVE_MIN_S - 1e-6
        and ground.row_span_m(sum(p[2] for p in arrival) / len(arrival)) <= ARRIVE_MAX_ROW_M
        and math.hypot(*velocity(arrival)) >= min_speed_m_s
        and straight(arrival)
        and steady(arrival)
    )


def _after_trail(stop: tuple[list[Sample], int], ground: Ground, seen: list[Sample]) -> bool:
    """Did a trail of wide sightings (``seen``) lead to where a body stands still and rigid
    (``stop``: :func:`_stop`; see ``TRAIL_S``)?"""
    run, k = stop
    t_stop, x_m, z_m = run[k][0], run[-1][1], run[-1][2]
    trail = [
        p
        for p in seen
        if t_stop - TRAIL_S <= p[0] < t_stop - 1e-6
        and abs(p[1] - x_m) <= TRAIL_LATERAL_M
        and p[2] >= z_m + STOP_TOL_M
    ]
    rel = [(p[0] - t_stop, *p[1:]) for p in trail]
    fit = _on_one_line(rel, ground) or _most_on_one_line(rel, ground)
    if fit is None:
        return False
    speed, z0, pts = fit
    return (
        -pts[0][0] >= TRAIL_MIN_S - 1e-6
        and max(p[2] for p in pts) - z_m >= TRAIL_MIN_M
        and -speed >= WALK_ARRIVE_M_S
        and abs(z0 - z_m) <= TRAIL_LAND_M
    )


def _on_one_line(trail: list[Sample], ground: Ground) -> tuple[float, float, list[Sample]] | None:
    """(speed in depth (m/s), depth at time 0 (m), the sightings kept) of the least-squares
    line through ``trail`` (times relative to the stop, oldest first) with at most a third of
    it left out, the worst first, until every one kept lies within half a row's depth plus
    ``TRAIL_FIT_M`` of it; None if fewer than ``TRAIL_MIN_SIGHTINGS`` at
    ``TRAIL_MIN_TIMES`` distinct times would be left."""
    pts = list(trail)
    for _ in range(len(trail) // 3 + 1):
        if len(pts) < TRAIL_MIN_SIGHTINGS or len({p[0] for p in pts}) < TRAIL_MIN_TIMES:
            return None
        speed, z0 = _depth_line(pts)
        worst = max(pts, key=lambda p: abs(z0 + speed * p[0] - p[2]) - _fit_tolerance_m(ground, p))
        if abs(z0 + speed * worst[0] - worst[2]) <= _fit_tolerance_m(ground, worst):
            return speed, z0, pts
        pts.remove(worst)
    return None


def _fit_tolerance_m(ground: Ground, p: Sample) -> float:
    """How far (m, in depth) sighting ``p`` may lie off a trail's line: half a row's depth
    where it is, plus ``TRAIL_FIT_M``."""
    return 0.5 * ground.row_span_m(p[2]) + TRAIL_FIT_M


def _most_on_one_line(
    trail: list[Sample], ground: Ground
) -> tuple[float, float, list[Sample]] | None:
    """Like :func:`_on_one_line`, where more are left out (see ``TRAIL_MANY_SIGHTINGS``): of
    the lines through two sightings of ``trail`` coming nearer at ``WALK_ARRIVE_M_S`` or
    faster, the one with the most sightings within :func:`_fit_tolerance_m` of it; then the
    least-squares line through those. None unless they are ``TRAIL_MANY_SIGHTINGS`` or
    more, at least as many as left out, none more than ``TRAIL_GAP_M`` deeper than the
    next."""
    if len(trail) < TRAIL_MANY_SIGHTINGS:
        return None
    tol = [_fit_tolerance_m(ground, p) for p in trail]
    best: list[Sample] = []
    for i, a in enumerate(trail):
        for b in trail[i + 1 :]:
            dt = b[0] - a[0]
            if dt < 1e-6 or a[2] - b[2] < WALK_ARRIVE_M_S * dt:
                continue
            slope = (b[2] - a[2]) / dt
            on = [
                p
                for p, d in zip(trail, tol, strict=True)
                if abs(a[2] + slope * (p[0] - a[0]) - p[2]) <= d
            ]
            if len(on) > len(best):
                best = on
    if len(best) < TRAIL_MANY_SIGHTINGS or 2 * len(best) < len(trail):
        return None
    if any(p[2] - q[2] > TRAIL_GAP_M for p, q in itertools.pairwise(best)):
        return None
    return (*_depth_line(best), best)


def _depth_line(pts: list[Sample]) -> tuple[float, float]:
    """(speed in depth (m/s), depth at time 0 (m)) of the least-squares line through
    ``pts`` (at two or more distinct times)."""
    _, speed = velocity(pts)
    return speed, (sum(p[2] for p in pts) - speed * sum(p[0] for p in pts)) / len(pts)
