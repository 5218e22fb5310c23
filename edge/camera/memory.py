"""Keep glibc's per-thread malloc arenas few when one process reads many cameras.

glibc gives each thread that allocates its own arena, up to ``8 x cores`` of them (16 on the
2-core demo machine), and an arena keeps the memory its thread freed for re-use. A camera agent
runs several threads per camera (reader, HTTP handler, detector), each decoding, scaling and
analysing 0.7 MB frames, so 17 cameras spread their working sets over 16 arenas that each hold
tens of MB: measured 530 MB peak RSS for the 17 demo sources with the default, 227 MB with one
arena (``bench/bench_camera_input.py``). Two knobs, both set by :func:`tune_malloc`:

- ``mallopt(M_ARENA_MAX, 2)`` caps the number of arenas, but glibc fixes that limit the first
  time a second thread allocates, so it only works when called at process start, before any
  thread; with the fixed mmap threshold below, capping the arenas early (``MALLOC_ARENA_MAX=2``)
  measured no further gain (agent at speed 10: 223 vs 225 MB), so it is a bonus, not needed;
- ``mallopt(M_MMAP_THRESHOLD, 256 KiB)`` works whenever it is called: blocks of 256 KiB and more
  (every frame-sized array: a 640x360 BGR frame is 675 KiB) are mapped from and returned to the
  system on free instead of being kept in the arena of the thread that freed them. Setting it
  also switches off glibc's dynamic threshold, which otherwise rises to the largest block freed
  (up to 32 MiB) and sends frame arrays back into the arenas. Cost: the page faults of fresh
  pages, about 0.1 ms per frame-sized array.

Reference: mallopt(3) (``M_ARENA_MAX``, ``M_MMAP_THRESHOLD``) and the glibc manual, "Memory
Allocation Tunables".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

#: mallopt(3) parameter numbers (glibc malloc.h).
M_ARENA_MAX = -8
M_MMAP_THRESHOLD = -3
#: Arenas for a camera process: one per core of the 2-core target, enough to avoid lock
#: contention between the two threads that can run at once.
DEFAULT_ARENAS = 2
#: Blocks at least this large are mmap-ed and given back on free (bytes).
DEFAULT_MMAP_THRESHOLD = 256 * 1024

_done = False
_lock = threading.Lock()


def tune_malloc(
    arenas: int = DEFAULT_ARENAS, mmap_threshold: int = DEFAULT_MMAP_THRESHOLD
) -> dict[str, bool]:
    """Cap glibc malloc arenas and fix the mmap threshold for this process (once).

    Returns which settings were applied (``{"arena_max": .., "mmap_threshold": ..}``); both
    False on non-glibc systems or when already done. A setting given in the environment
    (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``) is left alone.
    """
    global _done
    out = {"arena_max": False, "mmap_threshold": False}
    with _lock:
        if _done or not sys.platform.startswith("linux"):
            return out
        _done = True
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # musl or another libc: nothing to tune
            return out
        mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        mallopt.restype = ctypes.c_int
        if "MALLOC_ARENA_MAX" not in os.environ:
            out["arena_max"] = bool(mallopt(M_ARENA_MAX, arenas))
        if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
            out["mmap_threshold"] = bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold))
        log.debug("malloc tuned: %s", out)
        return out
