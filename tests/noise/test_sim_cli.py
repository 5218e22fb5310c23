"""`whistle sim noise scenarios|serve|render`, run in-process through whistle.cli.main."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from edge.noise.sources import parse_l16_content_type
from edge.noise.wavio import read_wav
from firmware_sim.noise.scenarios import SCENARIOS, get_scenario
from firmware_sim.noise.truth import ground_truth
from models.noise.meter import SoundLevelMeter
from models.noise.stats import energy_mean_db
from whistle.cli import main


def test_scenarios_lists_every_scenario_with_its_duration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sim", "noise", "scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split()[0] for ln in lines] == list(SCENARIOS)
    for ln in lines:
        sc = get_scenario(ln.split()[0])
        assert f"{sc.duration_s / 60:.1f} min" in ln
        assert f"{sc.start:%H:%M}" in ln


def _render(
    tmp_path: Path,
    scenario: str,
    seconds: int,
    seed: int = 0,
    rate: int = 16000,
    name: str = "out.wav",
) -> tuple[Path, dict[str, object]]:
    out = tmp_path / name
    rc = main(
        [
            "sim",
            "noise",
            "render",
            "--scenario",
            scenario,
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--duration-s",
            str(seconds),
            "--rate",
            str(rate),
            "--date",
            "2024-05-01",
        ]
    )
    assert rc == 0
    doc = json.loads(out.with_suffix(".truth.json").read_text())
    return out, doc


def test_render_writes_wav_and_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, doc = _render(tmp_path, "clipping_mic", 3)
    fs, x = read_wav(out)
    assert (fs, x.dtype, x.size) == (16000, np.dtype(np.int16), 3 * 16000)
    sc = get_scenario("clipping_mic")
    truth = ground_truth(sc, date(2024, 5, 1), "Asia/Shanghai", seconds=3)
    assert doc["episodes"] == [e.as_dict() for e in truth]
    assert doc["start"] == "2024-05-01T05:00:00+08:00"
    assert doc["faults"] == [{"kind": "clip", "start_s": 120, "end_s": 240}]
    assert len(doc["nominal_laeq_1s"]) == 3  # type: ignore[arg-type]
    assert "wrote" in capsys.readouterr().out


def test_render_truth_lists_the_scripted_episodes(tmp_path: Path) -> None:
    # crates dropped at 320 s into a quiet night: LAFmax over the night limit + 15 dB
    _, doc = _render(tmp_path, "impulsive", 330)
    eps = doc["episodes"]
    assert isinstance(eps, list) and len(eps) == 1
    assert eps[0]["type"] == "noise_impulsive"
    assert (eps[0]["limit_db"], eps[0]["period"]) == (65.0, "night")
    assert eps[0]["open_earliest"] <= "2024-05-01T03:05:20+08:00" <= eps[0]["open_latest"]
    assert eps[0]["close_latest"] is None  # still open when the render ends


def test_render_is_reproducible_and_seeded(tmp_path: Path) -> None:
    a, _ = _render(tmp_path, "compliant", 2, seed=3, name="a.wav")
    b, _ = _render(tmp_path, "compliant", 2, seed=3, name="b.wav")
    c, _ = _render(tmp_path, "compliant", 2, seed=4, name="c.wav")
    xa, xb, xc = (read_wav(p)[1] for p in (a, b, c))
    assert np.array_equal(xa, xb)
    assert not np.array_equal(xa, xc)


def test_rendered_calibration_scenario_measures_72_dba(tmp_path: Path) -> None:
    out, _ = _render(tmp_path, "calibration_72", 4, rate=48000)
    fs, x = read_wav(out)
    levels = [s.laeq for s in SoundLevelMeter(fs, -26.0).process(x)]
    assert energy_mean_db(levels) == pytest.approx(72.0, abs=0.5)


@pytest.mark.parametrize(
    "argv,message",
    [
        (["render", "--scenario", "nope", "--out", "x.wav"], "unknown noise scenario 'nope'"),
        (
            ["render", "--scenario", "compliant", "--out", "x.wav", "--duration-s", "0"],
            "--duration-s",
        ),
        (["serve", "--scenario", "compliant", "--start", "yesterday"], "isoformat"),
        (["serve", "--scenario", "compliant", "--timezone", "Mars/Olympus"], "time zone"),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(
    argv: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["sim", "noise", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith("error:") and message in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, deadline_s: float = 20.0) -> http.client.HTTPResponse:
    end = time.monotonic() + deadline_s
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path)
            return conn.getresponse()
        except OSError:
            conn.close()
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def test_serve_streams_l16_with_device_time(capsys: pytest.CaptureFixture[str]) -> None:
    port = _free_port()
    start = "2024-05-01T12:00:00+08:00"
    result: list[int] = []
    th = threading.Thread(
        target=lambda: result.append(
            main(
                [
                    "sim",
                    "noise",
                    "serve",
                    "--scenario",
                    "calibration_72",
                    "--port",
                    str(port),
                    "--speed",
                    "30",
                    "--start",
                    start,
                    "--rate",
                    "16000",
                    "--stop-after-s",
                    "60",
                ]
            )
        )
    )
    th.start()
    try:
        resp = _get(port, "/audio.l16")
        assert resp.status == 200
        assert parse_l16_content_type(resp.getheader("Content-Type", "")) == (16000, 1)
        assert datetime.fromisoformat(
            resp.getheader("X-Device-Start", "")
        ) == datetime.fromisoformat(start)
        pcm = np.frombuffer(resp.read(3 * 16000 * 2), dtype=">i2").astype(np.int16)
        resp.close()
        levels = [s.laeq for s in SoundLevelMeter(16000, -26.0).process(pcm)]
        assert len(levels) == 3
        assert energy_mean_db(levels) == pytest.approx(72.0, abs=0.5)
        status = _get(port, "/status")
        assert json.loads(status.read())["scenario"] == "calibration_72"
    finally:
        th.join(timeout=30)
    assert result == [0]
    assert f"127.0.0.1:{port}/audio.l16" in capsys.readouterr().out


def test_serve_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        rc = main(["sim", "noise", "serve", "--scenario", "compliant", "--port", str(port)])
    assert rc == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
