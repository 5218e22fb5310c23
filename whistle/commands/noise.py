"""`whistle noise analyze|calibrate`: the sound level meter on WAV files."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("noise", help="sound level meter tools (analyse, calibrate)",
                              description="IEC 61672-1 style sound level meter on WAV files.")
    sub = p.add_subparsers(dest="noise_command", metavar="ACTION", required=True)
    a = sub.add_parser("analyze", help="per-second levels and a summary of a WAV recording")
    a.add_argument("file", help="PCM WAV file (int16/int32/float, mono or channel 0)")
    a.add_argument("--sensitivity-dbfs", type=float, default=-26.0,
                   help="microphone sensitivity: dBFS of a 94 dB SPL 1 kHz tone (default -26)")
    a.add_argument("--json", action="store_true", help="one JSON object per line")
    a.set_defaults(func=analyze)
    c = sub.add_parser("calibrate", help="microphone sensitivity from a 94 dB / 1 kHz recording")
    c.add_argument("file", help="PCM WAV recording of the acoustic calibrator")
    c.add_argument("--level-db", type=float, default=94.0, help="calibrator level (default 94)")
    c.add_argument("--previous-dbfs", type=float, default=None,
                   help="the last calibration's sensitivity, to report drift over 0.5 dB")
    c.add_argument("--json", action="store_true", help="print a JSON object")
    c.set_defaults(func=calibrate)


def _err(msg: str) -> int:
    print(f"error: {msg}".replace("\n", " "), file=sys.stderr)
    return 2


def analyze(args: argparse.Namespace) -> int:
    from edge.noise.wavio import WavError, read_wav
    from models.noise.meter import SoundLevelMeter
    from models.noise.stats import period_stats

    try:
        fs, data = read_wav(args.file)
    except WavError as exc:
        return _err(str(exc))
    meter = SoundLevelMeter(fs, args.sensitivity_dbfs)
    seconds = []
    step = fs * 10
    for i in range(0, data.shape[0], step):
        for s in meter.process(data[i:i + step]):
            seconds.append(s)
            row = {"t": s.index, "LAeq": round(s.laeq, 1), "LAFmax": round(s.lafmax, 1),
                   "LASmax": round(s.lasmax, 1), "LCpeak": round(s.lcpeak, 1)}
            if args.json:
                print(json.dumps(row))
            else:
                print(f"t={s.index:6d} s  LAeq {s.laeq:5.1f}  LAFmax {s.lafmax:5.1f}  "
                      f"LASmax {s.lasmax:5.1f}  LCpeak {s.lcpeak:5.1f} dB")
    if not seconds:
        return _err(f"{args.file}: shorter than one second")
    st = period_stats([s.laeq for s in seconds], [s.lafmax for s in seconds])
    summary = {"summary": True, "seconds": st.seconds, "LAeq": round(st.laeq, 1),
               "LAFmax": round(st.lafmax, 1), "L10": round(st.l10, 1),
               "L50": round(st.l50, 1), "L90": round(st.l90, 1)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"summary over {st.seconds} s: LAeq {st.laeq:.1f}  LAFmax {st.lafmax:.1f}  "
              f"L10 {st.l10:.1f}  L50 {st.l50:.1f}  L90 {st.l90:.1f} dB(A)")
    return 0


def calibrate(args: argparse.Namespace) -> int:
    from edge.noise.wavio import WavError, read_wav
    from models.noise.calibration import calibrate_from_tone, drift_problem

    try:
        fs, data = read_wav(args.file)
    except WavError as exc:
        return _err(str(exc))
    res = calibrate_from_tone(data, fs, args.level_db)
    problems = list(res.problems)
    if args.previous_dbfs is not None and math.isfinite(res.sensitivity_dbfs):
        drift = drift_problem(args.previous_dbfs, res.sensitivity_dbfs)
        if drift:
            problems.append(drift)
    if args.json:
        print(json.dumps({"sensitivity_dbfs": round(res.sensitivity_dbfs, 2),
                          "frequency_hz": round(res.frequency_hz, 1),
                          "spread_db": round(res.spread_db, 2), "ok": not problems,
                          "problems": problems}))
    else:
        print(f"sensitivity {res.sensitivity_dbfs:.2f} dBFS at {args.level_db:g} dB SPL "
              f"(tone {res.frequency_hz:.1f} Hz, 100 ms levels within {res.spread_db:.2f} dB)")
        for p in problems:
            print(f"warning: {p}")
    return 0 if not problems else 1
