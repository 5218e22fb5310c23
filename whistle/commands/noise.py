"""`whistle noise analyze|calibrate`: the sound level meter on WAV files."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "noise",
        help="sound level meter tools (analyse, calibrate)",
        description="IEC 61672-1 style sound level meter on WAV files.",
    )
    sub = p.add_subparsers(dest="noise_command", metavar="ACTION", required=True)
    a = sub.add_parser("analyze", help="per-second levels and a summary of a WAV recording")
    a.add_argument("file", help="PCM WAV file (int16/int32/float, mono or channel 0)")
    a.add_argument(
        "--sensitivity-dbfs",
        type=float,
        default=-26.0,
        help="microphone sensitivity: dBFS of a 94 dB SPL 1 kHz tone (default -26)",
    )
    a.add_argument("--json", action="store_true", help="one JSON object per line")
    a.set_defaults(func=analyze)
    c = sub.add_parser("calibrate", help="microphone sensitivity from a 94 dB / 1 kHz recording")
    c.add_argument("file", help="PCM WAV recording of the acoustic calibrator")
    c.add_argument("--level-db", type=float, default=94.0, help="calibrator level (default 94)")
    c.add_argument(
        "--previous-dbfs",
        type=float,
        default=None,
        help="the last calibration's sensitivity, to report drift over 0.5 dB",
    )
    c.add_argument("--json", action="store_true", help="print a JSON object")
    c.set_defaults(func=calibrate)


def _err(msg: str) -> int:
    print(f"error: {msg}".replace("\n", " "), file=sys.stderr)
    return 2


def _warn(msg: str) -> None:
    print(f"warning: {msg}".replace("\n", " "), file=sys.stderr)


def analyze(args: argparse.Namespace) -> int:
    from edge.noise.wavio import WavError, read_wav
    from models.noise.meter import SoundLevelMeter
    from models.noise.stats import period_stats

    try:
        fs, data = read_wav(args.file, warn=_warn)
        meter = SoundLevelMeter(fs, args.sensitivity_dbfs)
    except (WavError, ValueError) as exc:
        return _err(str(exc))
    laeq: list[float] = []
    lafmax: list[float] = []
    step = fs * 10
    for i in range(0, data.shape[0], step):
        for s in meter.process(data[i : i + step]):
            laeq.append(s.laeq)
            lafmax.append(s.lafmax)
            if args.json:
                print(
                    json.dumps(
                        {
                            "t": s.index,
                            "LAeq": round(s.laeq, 1),
                            "LAFmax": round(s.lafmax, 1),
                            "LASmax": round(s.lasmax, 1),
                            "LCpeak": round(s.lcpeak, 1),
                        }
                    )
                )
            else:
                print(
                    f"t={s.index:6d} s  LAeq {s.laeq:5.1f}  LAFmax {s.lafmax:5.1f}  "
                    f"LASmax {s.lasmax:5.1f}  LCpeak {s.lcpeak:5.1f} dB"
                )
    if not laeq:
        return _err(f"{args.file}: shorter than one second")
    if data.shape[0] % fs:
        _warn(
            f"{args.file}: the last {data.shape[0] % fs / fs:.2f} s (not a whole second) "
            "was left out"
        )
    st = period_stats(laeq, lafmax)
    summary = {
        "summary": True,
        "seconds": st.seconds,
        "LAeq": round(st.laeq, 1),
        "LAFmax": round(st.lafmax, 1),
        "L10": round(st.l10, 1),
        "L50": round(st.l50, 1),
        "L90": round(st.l90, 1),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"summary over {st.seconds} s: LAeq {st.laeq:.1f}  LAFmax {st.lafmax:.1f}  "
            f"L10 {st.l10:.1f}  L50 {st.l50:.1f}  L90 {st.l90:.1f} dB(A)"
        )
    return 0


def _num(x: float, digits: int) -> float | None:
    return round(x, digits) if math.isfinite(x) else None


def calibrate(args: argparse.Namespace) -> int:
    """Exit 0: a valid calibration; 1: refused (unfit recording) or drift over 0.5 dB since
    ``--previous-dbfs`` (data measured in between is not valid); 2: unreadable file."""
    from edge.noise.wavio import WavError, read_wav
    from models.noise.calibration import calibrate_from_tone, drift_db, drift_problem

    try:
        fs, data = read_wav(args.file, warn=_warn)
    except WavError as exc:
        return _err(str(exc))
    res = calibrate_from_tone(data, fs, args.level_db)
    drift: float | None = None
    drift_msg: str | None = None
    if res.ok and args.previous_dbfs is not None:
        drift = drift_db(args.previous_dbfs, res.sensitivity_dbfs)
        drift_msg = drift_problem(args.previous_dbfs, res.sensitivity_dbfs)
    if args.json:
        print(
            json.dumps(
                {
                    "ok": res.ok and drift_msg is None,
                    "sensitivity_dbfs": _num(res.sensitivity_dbfs, 2) if res.ok else None,
                    "measured_dbfs": _num(res.sensitivity_dbfs, 2),
                    "frequency_hz": _num(res.frequency_hz, 1),
                    "spread_db": _num(res.spread_db, 2),
                    "refused": list(res.problems),
                    "drift_db": None if drift is None else round(drift, 2),
                    "drift_problem": drift_msg,
                }
            )
        )
    elif not res.ok:
        print(f"calibration refused: {'; '.join(res.problems)}", file=sys.stderr)
    else:
        print(
            f"sensitivity {res.sensitivity_dbfs:.2f} dBFS at {args.level_db:g} dB SPL "
            f"(tone {res.frequency_hz:.1f} Hz, 100 ms levels within {res.spread_db:.2f} dB)"
        )
        if drift is not None:
            print(
                f"drift {drift:+.2f} dB since the previous calibration "
                f"({args.previous_dbfs:.2f} dBFS)"
            )
        if drift_msg:
            print(f"warning: {drift_msg}", file=sys.stderr)
    return 0 if res.ok and drift_msg is None else 1
