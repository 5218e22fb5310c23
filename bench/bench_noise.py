"""Speed of the full per-second noise chain vs a plain SciPy A-weighting pass, same samples.

Prints JSON lines. ``--quick`` runs a few seconds of audio for CI smoke runs.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy import signal

from models.noise.meter import SoundLevelMeter
from models.noise.weighting import plain_bilinear_a_sos


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="short run for CI")
    ap.add_argument("--seconds", type=int, default=120, help="seconds of 48 kHz audio")
    args = ap.parse_args()
    fs = 48000
    secs = 10 if args.quick else args.seconds
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(fs * secs) * 3000).astype(np.int16)
    sos = plain_bilinear_a_sos(fs)
    best_chain, best_ref = float("inf"), float("inf")
    for _ in range(3):
        m = SoundLevelMeter(fs, -26.0)
        t0 = time.perf_counter()
        for i in range(0, x.size, fs // 10):  # 100 ms blocks, as the worker reads them
            m.process(x[i:i + fs // 10])
        best_chain = min(best_chain, time.perf_counter() - t0)
        t0 = time.perf_counter()
        signal.sosfilt(sos, x.astype(np.float64) / 32768.0)
        best_ref = min(best_ref, time.perf_counter() - t0)
    print(json.dumps({"name": "noise_chain_48k", "audio_s": secs,
                      "chain_x_realtime": round(secs / best_chain, 1),
                      "reference_scipy_a_weighting_x_realtime": round(secs / best_ref, 1),
                      "chain_time_over_reference": round(best_chain / best_ref, 2),
                      "goal": ">=300x real time and <=2.5x reference time"}))


if __name__ == "__main__":
    main()
