"""`whistle noise analyze|calibrate` on synthetic WAV files of known level, in-process."""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from whistle.cli import main

FS = 48000
SENS = -26.0


def tone_fs(
    spl_db: float, seconds: float, f_hz: float = 1000.0, sens_dbfs: float = SENS, fs: int = FS
) -> np.ndarray:
    """A sine at ``spl_db`` dB SPL in full-scale units for a microphone of ``sens_dbfs``.

    Convention (IEC 61672 / MEMS datasheets): 0 dBFS = RMS of a full-scale sine, so a 94 dB
    tone has peak amplitude 10^(sens/20).
    """
    t = np.arange(round(fs * seconds)) / fs
    return 10 ** ((spl_db - 94.0 + sens_dbfs) / 20) * np.sin(2 * np.pi * f_hz * t)


def write_int16(path: Path, x: np.ndarray, fs: int = FS) -> Path:
    wavfile.write(path, fs, np.round(x * 32767).astype(np.int16))
    return path


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict], str]:
    rc = main(["noise", *argv, "--json"])
    cap = capsys.readouterr()
    return rc, [json.loads(ln) for ln in cap.out.splitlines()], cap.err


# -- analyze ------------------------------------------------------------------------------


# (int16 at -26 dBFS sensitivity: the quantisation floor is ~22 dB SPL; keep 30 dB above it)
@pytest.mark.parametrize("spl", [65.0, 80.0, 110.0])
def test_analyze_tone_reads_its_level(
    spl: float, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_int16(tmp_path / "tone.wav", tone_fs(spl, 5.0))
    rc, rows, _ = run_json(capsys, "analyze", str(wav), "--sensitivity-dbfs", str(SENS))
    assert rc == 0
    per_second, summary = rows[:-1], rows[-1]
    assert [r["t"] for r in per_second] == [0, 1, 2, 3, 4]
    for row in per_second:
        assert set(row) == {"t", "LAeq", "LAFmax", "LASmax", "LCpeak"}
        assert row["LAeq"] == pytest.approx(spl, abs=0.1)
        assert row["LAFmax"] == pytest.approx(spl, abs=0.1)  # F settles within 0.5 s
    # a sine's peak is its RMS + 3.01 dB; C weighting is 0 dB at 1 kHz (after the onset
    # transient of the first second)
    for row in per_second[1:]:
        assert row["LCpeak"] == pytest.approx(spl + 10 * math.log10(2), abs=0.1)
    # S (tau 1 s) reaches 1 - e^-t of the steady value: -2.0 dB after 1 s, -0.03 after 5 s
    assert per_second[0]["LASmax"] == pytest.approx(spl - 2.0, abs=0.1)
    assert per_second[4]["LASmax"] == pytest.approx(spl, abs=0.1)
    assert summary["summary"] is True
    for key in ("LAeq", "LAFmax", "L10", "L50", "L90"):
        assert summary[key] == pytest.approx(spl, abs=0.1), key


def test_analyze_summary_statistics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Five seconds at 60 dB then five at 70 dB (a 1 kHz tone, whole seconds)."""
    x = np.concatenate([tone_fs(60.0, 5.0), tone_fs(70.0, 5.0)])
    wav = write_int16(tmp_path / "steps.wav", x)
    rc, rows, _ = run_json(capsys, "analyze", str(wav), "--sensitivity-dbfs", str(SENS))
    assert rc == 0
    s = rows[-1]
    assert s["LAeq"] == pytest.approx(10 * math.log10((1e6 + 1e7) / 2), abs=0.1)  # 67.4
    assert s["LAFmax"] == pytest.approx(70.0, abs=0.15)
    # L10 is exceeded 10 % of the time: the loud half; L90 the quiet one; L50 between
    assert s["L10"] == pytest.approx(70.0, abs=0.15)
    assert s["L90"] == pytest.approx(60.0, abs=0.15)
    assert 60.0 <= s["L50"] <= 70.0


def test_analyze_sensitivity_shifts_levels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_int16(tmp_path / "tone.wav", tone_fs(80.0, 2.0))
    _, a, _ = run_json(capsys, "analyze", str(wav), "--sensitivity-dbfs", "-26")
    _, b, _ = run_json(capsys, "analyze", str(wav), "--sensitivity-dbfs", "-36")
    assert b[-1]["LAeq"] == pytest.approx(a[-1]["LAeq"] + 10.0, abs=0.05)


@pytest.mark.parametrize("kind", ["float32", "int32", "stereo"])
def test_analyze_other_pcm_types(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = tone_fs(70.0, 2.0)
    path = tmp_path / f"{kind}.wav"
    if kind == "float32":
        wavfile.write(path, FS, x.astype(np.float32))
    elif kind == "int32":
        wavfile.write(path, FS, np.round(x * 2**31).astype(np.int32))
    else:  # channel 0 is measured
        wavfile.write(
            path, FS, np.stack([np.round(x * 32767), np.zeros_like(x)], axis=1).astype(np.int16)
        )
    rc, rows, _ = run_json(capsys, "analyze", str(path), "--sensitivity-dbfs", str(SENS))
    assert rc == 0
    assert rows[-1]["LAeq"] == pytest.approx(70.0, abs=0.1)


def test_analyze_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wav = write_int16(tmp_path / "tone.wav", tone_fs(66.0, 2.0))
    assert main(["noise", "analyze", str(wav), "--sensitivity-dbfs", str(SENS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert "LAeq  66.0" in lines[0]
    assert lines[-1].startswith("summary over 2 s: LAeq 66.0")


def _alaw_wav(path: Path) -> Path:
    fmt = struct.pack("<HHIIHH", 6, 1, 8000, 8000, 1, 8)  # WAVE_FORMAT_ALAW
    data = bytes(16000)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def _text(p: Path) -> None:
    p.write_text("LAeq 70 dB\n")


def _riff_garbage(p: Path) -> None:
    p.write_bytes(b"RIFF" + bytes(100))


def _header_cut(p: Path) -> None:
    p.write_bytes(write_int16(p, tone_fs(70, 1)).read_bytes()[:30])


def _too_short(p: Path) -> None:
    write_int16(p, tone_fs(70, 0.5))


def _odd_rate(p: Path) -> None:
    write_int16(p, tone_fs(70, 2, fs=22051), fs=22051)


BAD_FILES: dict[str, tuple[Callable[[Path], object], str]] = {
    "text": (_text, "not a PCM WAV file"),
    "riff_garbage": (_riff_garbage, "not a PCM WAV file"),
    "header_cut": (_header_cut, "not a PCM WAV file"),
    "alaw": (_alaw_wav, "ALAW"),
    "missing": (lambda p: None, "no such file"),
    "odd_rate": (_odd_rate, "unsupported sample rate 22051"),
}
BAD_CASES = [(case, cmd) for case in BAD_FILES for cmd in ("analyze", "calibrate")]
BAD_CASES.append(("too_short", "analyze"))  # calibrate refuses short recordings itself
BAD_FILES["too_short"] = (_too_short, "shorter than one second")


@pytest.mark.parametrize("case,command", BAD_CASES)
def test_bad_file_one_line_error_status_2(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make, message = BAD_FILES[case]
    path = tmp_path / "bad.wav"
    make(path)
    rc = main(["noise", command, str(path)])
    cap = capsys.readouterr()
    assert rc == 2
    err = cap.err.strip()
    assert "\n" not in err and err.startswith("error:") and message in err, err
    assert str(path) in err
    assert cap.out == ""


def test_analyze_truncated_file_warns_and_measures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = write_int16(tmp_path / "full.wav", tone_fs(70.0, 4.0)).read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full[: 44 + 2 * FS * 2 + 1000])  # a recorder died after ~2 s
    rc, rows, err = run_json(capsys, "analyze", str(cut), "--sensitivity-dbfs", str(SENS))
    assert rc == 0
    assert "truncated" in err
    assert len(rows) == 3 and rows[-1]["seconds"] == 2
    assert rows[-1]["LAeq"] == pytest.approx(70.0, abs=0.1)


# -- calibrate ----------------------------------------------------------------------------


@pytest.mark.parametrize("sens,level", [(-26.0, 94.0), (-38.5, 94.0), (-31.2, 114.0)])
def test_calibrate_finds_the_sensitivity(
    sens: float, level: float, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_int16(tmp_path / "cal.wav", tone_fs(level, 5.0, sens_dbfs=sens))
    rc, rows, _ = run_json(capsys, "calibrate", str(wav), "--level-db", str(level))
    assert rc == 0
    assert rows[0]["ok"] is True
    assert rows[0]["sensitivity_dbfs"] == pytest.approx(sens, abs=0.1)
    assert rows[0]["frequency_hz"] == pytest.approx(1000.0, abs=1.0)
    assert main(["noise", "calibrate", str(wav), "--level-db", str(level)]) == 0
    assert f"sensitivity {sens:.2f} dBFS" in capsys.readouterr().out


def test_calibrate_with_noise_and_a_real_world_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fs = 44100
    rng = np.random.default_rng(5)
    x = tone_fs(94.0, 4.0, sens_dbfs=-29.0, fs=fs)
    x = x + rng.standard_normal(x.size) * 10 ** ((-29.0 - 40.0) / 20)  # 40 dB below the tone
    wav = write_int16(tmp_path / "cal.wav", x, fs=fs)
    rc, rows, _ = run_json(capsys, "calibrate", str(wav))
    assert rc == 0
    assert rows[0]["sensitivity_dbfs"] == pytest.approx(-29.0, abs=0.1)


@pytest.mark.parametrize(
    "case,reason",
    [
        ("unsteady", "not steady"),
        ("off_frequency", "expected 1000 Hz"),
        ("noise", "not a pure tone"),
        ("tone_in_noise", "not a pure tone"),
        ("silence", "digital silence"),
        ("short", "shorter than 0.5 s"),
    ],
)
def test_calibrate_refuses_unfit_recordings(
    case: str, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = tone_fs(94.0, 4.0)
    t = np.arange(x.size) / FS
    if case == "unsteady":  # the calibrator is not sealed on the capsule: the level wobbles
        x = x * (1 + 0.2 * np.sin(2 * np.pi * 1.3 * t))
    elif case == "off_frequency":
        x = tone_fs(94.0, 4.0, f_hz=1250.0)
    elif case == "noise":
        x = np.random.default_rng(2).standard_normal(x.size) * 0.05
    elif case == "tone_in_noise":  # the calibrator fell off: a weak tone in street noise
        x = tone_fs(60.0, 4.0) + np.random.default_rng(3).standard_normal(x.size) * 0.01
    elif case == "silence":
        x = np.zeros(x.size)
    elif case == "short":
        x = x[: FS // 4]
    wav = write_int16(tmp_path / "cal.wav", x)
    rc, rows, _ = run_json(capsys, "calibrate", str(wav))
    assert rc == 1
    assert rows[0]["ok"] is False and rows[0]["sensitivity_dbfs"] is None
    assert any(reason in r for r in rows[0]["refused"]), rows[0]["refused"]
    assert main(["noise", "calibrate", str(wav)]) == 1
    cap = capsys.readouterr()
    assert "calibration refused" in cap.err and reason in cap.err
    assert "sensitivity" not in cap.out


@pytest.mark.parametrize(
    "previous,ok", [(-26.0, True), (-26.4, True), (-26.7, False), (-25.3, False)]
)
def test_calibrate_reports_drift_over_half_a_db(
    previous: float, ok: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_int16(tmp_path / "after.wav", tone_fs(94.0, 3.0, sens_dbfs=-26.0))
    rc, rows, _ = run_json(capsys, "calibrate", str(wav), "--previous-dbfs", str(previous))
    assert rows[0]["drift_db"] == pytest.approx(-26.0 - previous, abs=0.05)
    assert rows[0]["ok"] is ok and rc == (0 if ok else 1)
    assert (rows[0]["drift_problem"] is None) is ok
    main(["noise", "calibrate", str(wav), "--previous-dbfs", str(previous)])
    cap = capsys.readouterr()
    assert "drift" in cap.out
    assert ("not valid" in cap.err) is (not ok)
