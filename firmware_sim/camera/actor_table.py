"""Scripted actors packed in a few numpy arrays, rebuilt as :class:`Actor` objects on demand.

A ``market_morning`` script has about 2000 actors; as frozen dataclasses with tuples of Python
floats they take about 2.5 MB per camera, 40+ MB for the demo's 17 cameras. The renderer only
ever needs the actors of the current minute, so the table keeps waypoints, sizes, colours and
flags in arrays (about 0.5 MB per script) and makes the :class:`Actor` objects of a time bucket
when it is first asked for, keeping the two most recent buckets. The rebuilt actors are equal
to the scripted ones (float64 holds every scripted float exactly), so pictures and truth do not
change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from firmware_sim.camera.actors import Actor

CLASSES: tuple[str, ...] = ("person", "vendor", "stall", "goods", "vehicle", "rubbish")
MAX_COLOURS = 4
_KEEP_BUCKETS = 2


class ActorTable:
    def __init__(self, actors: Sequence[Actor], bucket_s: float, horizon_s: float) -> None:
        """Pack ``actors``; bucket ``k`` holds those active during [k, k+1) x ``bucket_s``
        (up to ``horizon_s``)."""
        n = len(actors)
        self.bucket_s = bucket_s
        self._ids = [a.id for a in actors]
        self._cls = np.array([CLASSES.index(a.cls) for a in actors], np.int8)
        self._size = np.array([a.size_m for a in actors], np.float64).reshape(n, 3)
        self._variant = np.array([a.variant for a in actors], np.int32)
        self._sway = np.array([a.sway_m for a in actors], np.float64)
        self._n_colours = np.array([len(a.colours) for a in actors], np.int8)
        colours = np.zeros((n, MAX_COLOURS, 3), np.float64)
        for i, a in enumerate(actors):
            if len(a.colours) > MAX_COLOURS:
                raise ValueError(f"actor {a.id}: more than {MAX_COLOURS} colours")
            colours[i, : len(a.colours)] = a.colours
        # Scripted colours are whole 8-bit levels: float32 holds them exactly.
        small = colours.astype(np.float32)
        self._colours: np.ndarray = small if np.array_equal(small, colours) else colours
        lengths = np.array([len(a.path) for a in actors], np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self._path = (
            np.array([p for a in actors for p in a.path], np.float64).reshape(-1, 3)
            if n
            else np.zeros((0, 3), np.float64)
        )
        buckets: dict[int, list[int]] = {}
        for i, a in enumerate(actors):
            lo = int(max(a.t_in, 0.0) // bucket_s)
            hi = int(min(a.t_out, horizon_s) // bucket_s)
            for k in range(lo, hi + 1):
                buckets.setdefault(k, []).append(i)
        self._buckets = {k: np.array(v, np.int32) for k, v in buckets.items()}
        self._cache: OrderedDict[int, list[Actor]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._ids)

    def actor(self, i: int) -> Actor:
        """Actor ``i`` (script order) rebuilt from the arrays."""
        a, b = int(self._offsets[i]), int(self._offsets[i + 1])
        path = tuple((float(t), float(x), float(z)) for t, x, z in self._path[a:b].tolist())
        colours = tuple(tuple(c) for c in self._colours[i, : int(self._n_colours[i])].tolist())
        sx, sy, sz = self._size[i].tolist()
        return Actor(
            self._ids[i],
            CLASSES[int(self._cls[i])],
            path,
            (sx, sy, sz),
            colours,
            int(self._variant[i]),
            float(self._sway[i]),
        )

    def bucket(self, t_s: float) -> list[Actor]:
        """Every actor of the bucket holding ``t_s`` (active or not at ``t_s`` itself)."""
        k = int(t_s // self.bucket_s)
        with self._lock:
            got = self._cache.get(k)
            if got is not None:
                self._cache.move_to_end(k)
                return got
        idx = self._buckets.get(k)
        made = [self.actor(int(i)) for i in idx] if idx is not None else []
        with self._lock:
            self._cache[k] = made
            while len(self._cache) > _KEEP_BUCKETS:
                self._cache.popitem(last=False)
        return made

    def active_at(self, t_s: float) -> list[Actor]:
        return [a for a in self.bucket(t_s) if a.active(t_s)]

    def nbytes(self) -> int:
        """Bytes held by the arrays (not counting the cached buckets)."""
        arrays = (
            self._cls,
            self._size,
            self._variant,
            self._sway,
            self._n_colours,
            self._colours,
            self._offsets,
            self._path,
        )
        return sum(a.nbytes for a in arrays) + sum(v.nbytes for v in self._buckets.values())
