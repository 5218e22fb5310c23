"""Evidence blobs of a noise episode: per-second level trace, 1/3-octave spectrum, audio clip."""

from __future__ import annotations

import io
import json
import uuid
import wave
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from edge.device import EvidenceBlob


def level_trace(
    rows: Sequence[tuple[datetime, float, float, bool]], limit_db: float
) -> EvidenceBlob:
    """JSON: {"unit": "dB(A)", "limit_db", "seconds": [{"t", "laeq", "lafmax", "valid"}]}."""
    doc = {
        "unit": "dB(A)",
        "limit_db": limit_db,
        "seconds": [
            {"t": t.isoformat(), "laeq": round(la, 1), "lafmax": round(fm, 1), "valid": ok}
            for t, la, fm, ok in rows
        ],
    }
    return EvidenceBlob(
        str(uuid.uuid4()),
        "level_trace",
        "application/json",
        json.dumps(doc, separators=(",", ":")).encode(),
    )


def spectrum(
    t: datetime, centres_hz: npt.NDArray[np.float64], bands_db: npt.NDArray[np.float64]
) -> EvidenceBlob:
    doc = {
        "t": t.isoformat(),
        "weighting": "Z",
        "bandwidth": "1/3 octave",
        "unit": "dB",
        "bands": [
            {"f_hz": round(float(f), 1), "level_db": round(float(v), 1)}
            for f, v in zip(centres_hz, bands_db, strict=True)
        ],
    }
    return EvidenceBlob(
        str(uuid.uuid4()),
        "spectrum",
        "application/json",
        json.dumps(doc, separators=(",", ":")).encode(),
    )


def audio_clip(samples: npt.NDArray[np.int16], fs_hz: int, max_s: float = 10.0) -> EvidenceBlob:
    """A mono 16-bit WAV of at most ``max_s`` (never more than 10 s)."""
    n = int(min(max_s, 10.0) * fs_hz)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(fs_hz)
        w.writeframes(np.asarray(samples[-n:], dtype="<i2").tobytes())
    return EvidenceBlob(str(uuid.uuid4()), "audio_clip", "audio/wav", buf.getvalue())
