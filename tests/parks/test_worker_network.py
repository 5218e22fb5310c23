"""The parks worker end to end over real HTTP: simulated counters push vendor JSON to the
worker's receiver; the demo playground shows a capacity warning within minutes."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.device import WorkerOptions
from edge.parks import build_workers
from edge.parks.worker import ParksWorker
from tests.sinks import ListSink
from whistle.config.counter import AreaConfig, CounterConfig
from whistle.config.site import SiteConfig


def playground_site() -> SiteConfig:
    return SiteConfig.model_validate(
        {
            "id": "haiyuan",
            "name": "海源公园",
            "kind": "park",
            "agents": [{"id": "edge-park", "devices": ["gate-play", "playground"]}],
            "devices": [
                {
                    "id": "gate-play",
                    "name": "playground gate",
                    "kind": "counter",
                    "source": {"kind": "simulator", "scenario": "demo_playground", "seed": 5},
                    "undercount_ratio": 0.036,
                },
                {
                    "id": "playground",
                    "name": "children's playground",
                    "kind": "area",
                    "capacity": 60,
                    "gates": ["gate-play"],
                },
            ],
        }
    )


def test_demo_playground_warns_within_five_simulated_minutes(tmp_path: Path) -> None:
    site = playground_site()
    start = datetime(2026, 5, 16, 9, 17, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    devices = [d for d in site.devices if isinstance(d, CounterConfig | AreaConfig)]
    workers = build_workers(
        site, devices, WorkerOptions(data_dir=tmp_path, sim_start=start, sim_speed=80.0)
    )
    assert len(workers) == 1
    worker = workers[0]
    assert isinstance(worker, ParksWorker)
    sink, stop = ListSink(), threading.Event()
    thread = threading.Thread(target=worker.run, args=(sink, stop), daemon=True)
    thread.start()
    deadline = threading.Event()
    for _ in range(100):  # up to ~13 simulated minutes at x80
        if deadline.wait(0.1):
            break
        with sink.lock:
            if any(e.type == "park_capacity" for e in sink.events):
                break
    # a malformed push is refused with the field named, and the worker carries on
    assert worker.receiver is not None
    req = urllib.request.Request(
        worker.receiver.url, data=json.dumps({"serial": "x"}).encode(), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 400
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    warn = [e for e in sink.events if e.type == "park_capacity" and e.state.value == "opened"]
    assert warn, "no capacity warning"
    assert (warn[0].ts - start).total_seconds() <= 5 * 60 + 60
    occ = [o for o in sink.obs if o.device == "playground" and o.stream == "occupancy"]
    assert len(occ) >= 3 and occ[-1].values["occupancy"] > occ[0].values["occupancy"]
    counts = [o for o in sink.obs if o.device == "gate-play" and o.stream == "counts"]
    assert sum(o.values["in"] for o in counts) > 0
