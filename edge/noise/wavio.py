"""Reading PCM WAV files for the analyser, the calibrator and the ``file`` source."""

from __future__ import annotations

import struct
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt


class WavError(Exception):
    """The file is not a readable PCM (or IEEE float) WAV; ``str()`` says what and where."""


def read_wav(
    path: str | Path, channel: int = 0, warn: Callable[[str], None] | None = None
) -> tuple[int, npt.NDArray[np.generic]]:
    """(sample rate, one channel of samples) without converting the sample type.

    A file cut short (a recorder that died: fewer data bytes than its header promises) is read
    as far as it goes; ``warn`` gets a message saying so.
    """
    from scipy.io import wavfile

    p = Path(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fs, data = wavfile.read(p, mmap=False)
    except FileNotFoundError as exc:
        raise WavError(f"{p}: no such file") from exc
    except IsADirectoryError as exc:
        raise WavError(f"{p}: is a directory, not a WAV file") from exc
    except (ValueError, OSError, EOFError, IndexError, TypeError, struct.error) as exc:
        raise WavError(f"{p}: not a PCM WAV file ({exc})") from exc
    if warn is not None:
        for w in caught:
            if "prematurely" in str(w.message):
                warn(f"{p}: truncated file, read what is there ({w.message})")
    if data.dtype not in (np.int16, np.int32, np.uint8, np.float32, np.float64):
        raise WavError(f"{p}: unsupported sample type {data.dtype}")
    if data.ndim == 2:
        if not 0 <= channel < data.shape[1]:
            raise WavError(f"{p}: no channel {channel} (the file has {data.shape[1]})")
        data = data[:, channel]
    if data.size == 0:
        raise WavError(f"{p}: no samples")
    if fs <= 0 or fs % 10:
        raise WavError(f"{p}: unsupported sample rate {fs} Hz")
    return int(fs), np.ascontiguousarray(data)
