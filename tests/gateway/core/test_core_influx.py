"""The InfluxDB sink against a real server speaking the InfluxDB v2 write API
(VictoriaMetrics, Debian's victoria-metrics), including an outage with no data lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.telemetry.influx import InfluxSink, line
from tests.conftest import free_port, wait_for_port
from tests.gateway.core.core_helpers import T0, wait_until


def _victoria_metrics_binary() -> str:
    found = shutil.which("victoria-metrics")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail("victoria-metrics is not installed (apt-get install victoria-metrics)")
    subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=300)
    policy = subprocess.run(
        ["apt-cache", "policy", "victoria-metrics"], check=True, capture_output=True, text=True
    ).stdout
    if "Candidate: (none)" in policy:
        pytest.fail(f"no victoria-metrics package available:\n{policy}")
    subprocess.run(
        ["apt-get", "install", "-y", "victoria-metrics"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    found = shutil.which("victoria-metrics")
    assert found, "victoria-metrics installed but not on PATH"
    return found


@dataclass
class VictoriaMetrics:
    binary: str
    data_dir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = (self.data_dir.parent / "vm.log").open("ab")
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"-storageDataPath={self.data_dir}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-retentionPeriod=100y",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout_s=20)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)
            self.proc = None

    def export(self, match: str) -> list[dict[str, Any]]:
        urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10).read()
        query = urllib.parse.urlencode({"match[]": match})
        body = urllib.request.urlopen(f"{self.url}/api/v1/export?{query}", timeout=10).read()
        return [json.loads(x) for x in body.decode().splitlines() if x.strip()]


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    vm = VictoriaMetrics(_victoria_metrics_binary(), tmp_path / "vm-data", free_port())
    vm.start()
    yield vm
    vm.stop()


def test_line_protocol_keeps_ids_out_of_tags_and_escapes() -> None:
    text = line("noise", {"site": "gumo", "device": "mic 1", "zone": None}, {"laeq": 61.5}, T0)
    assert text == f"noise,device=mic\\ 1,site=gumo laeq=61.5 {int(T0.timestamp() * 1000)}"


def test_points_survive_a_server_outage(victoria: VictoriaMetrics) -> None:
    sink = InfluxSink(
        victoria.url,
        "",
        "whistle",
        "whistle",
        batch_size=50,
        flush_interval_s=0.1,
        max_backoff_s=0.5,
    )
    sink.start()
    try:
        for i in range(100):
            sink.add_telemetry(
                "gumo", "mic1", "noise", "stalls", T0 + timedelta(seconds=i), {"laeq": 50.0 + i}
            )
        assert wait_until(lambda: sink.written == 100)
        victoria.stop()
        for i in range(100, 200):
            sink.add_telemetry(
                "gumo", "mic1", "noise", "stalls", T0 + timedelta(seconds=i), {"laeq": 50.0 + i}
            )
        assert wait_until(lambda: sink.failures >= 2)
        assert len(sink) == 100 and sink.written == 100
        victoria.start()
        assert wait_until(lambda: sink.written == 200 and len(sink) == 0, timeout_s=30)
    finally:
        sink.stop()
    series = victoria.export('{__name__="noise_laeq"}')
    assert len(series) == 1
    assert series[0]["metric"] == {
        "__name__": "noise_laeq",
        "site": "gumo",
        "device": "mic1",
        "zone": "stalls",
    }
    assert sorted(series[0]["values"]) == [50.0 + i for i in range(200)]
    assert sink.dropped == 0


def test_buffer_is_bounded_dropping_the_oldest() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    sink = InfluxSink(dead, "", "o", "b", max_points=150, batch_size=1000)
    for i in range(200):
        sink.add(f"m v={i} {i}")
    assert len(sink) == 150 and sink.dropped == 50
    assert sink._take()[0] == "m v=50 50"
