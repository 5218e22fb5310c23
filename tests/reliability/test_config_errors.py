"""Every config field given a wrong value: the error names the file, the line and the field.

The cases are generated from the pydantic models (:mod:`tests.reliability.config_cases`) over
full documents of the three kinds of file: a site (every device kind and camera zone kind), an
edge agent's config, and the routing file shipped in ``config/routing.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.config import AgentConfig
from gateway.incidents.routing import RoutingConfig
from tests.reliability.config_cases import Case, cases, key_line
from whistle.config.loader import ConfigError, load_yaml_model
from whistle.config.site import SiteConfig

ROOT = Path(__file__).resolve().parents[2]
SQUARE = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]
WINDOW = {"start": "04:30:00", "end": "08:30:00"}
POINT = {"lat": 37.5, "lon": 122.1}


def _zone(kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"z-{kind}".replace("_", "-"),
        "kind": kind,
        "polygon": SQUARE,
        "schedule": [WINDOW],
        **extra,
    }


SITE: dict[str, Any] = {
    "id": "all-kinds",
    "name": "every device kind",
    "name_en": "all",
    "kind": "park",
    "timezone": "Asia/Shanghai",
    "location": POINT,
    "grid": "grid-1",
    "capacity": 500,
    "agents": [{"id": "edge-1", "devices": ["cam-1", "mic-1", "gate-1", "area-1"]}],
    "devices": [
        {
            "id": "cam-1",
            "kind": "camera",
            "name": "camera",
            "name_en": "cam",
            "position": {"x": 0.5, "y": 0.5},
            "location": POINT,
            "source": {
                "kind": "simulator",
                "simulator": "market",
                "url": None,
                "scenario": "market_morning",
                "seed": 1,
            },
            "analysis_fps": 5.0,
            "zones": [
                _zone("no_stall", dwell_s=180.0, min_area=0.002, ignore_people=True),
                _zone("walkway", threshold=0.2, for_s=60.0, perspective=2.0),
                _zone("restricted", dwell_s=60.0, min_area=0.001),
                _zone("vehicle_free", min_area=0.004, min_aspect=0.8, confirm_s=1.0),
                _zone(
                    "cleanliness",
                    check_at="09:00:00",
                    learn={"start": "03:00:00", "end": "04:30:00"},
                    max_litter=0.01,
                ),
            ],
            "privacy_masks": [SQUARE],
            "motion_masks": [SQUARE],
            "tamper": {
                "enabled": True,
                "hold_s": 2.0,
                "defocus_ratio": 0.35,
                "moved_similarity": 0.5,
            },
            "spaces": [{"id": "bay-1", "polygon": SQUARE, "label": "A1"}],
        },
        {
            "id": "mic-1",
            "kind": "microphone",
            "name": "microphone",
            "source": {
                "kind": "simulator",
                "url": None,
                "scenario": "gumo_morning",
                "seed": 1,
                "sample_rate_hz": 48000,
            },
            "sensitivity_dbfs": -26.0,
            "zone_class": "2",
            "zone": "stalls",
            "rules": {
                "window_s": 300,
                "min_window_s": 60,
                "open_after_s": 10.0,
                "close_after_s": 60.0,
                "update_every_s": 60.0,
                "impulsive_margin_db": 15.0,
                "impulsive_close_after_s": 60.0,
                "day": {"start": "06:00:00", "end": "22:00:00"},
                "local_limits": [
                    {"window": WINDOW, "laeq_db": 60.0, "lafmax_db": 75.0, "reason": "market rule"}
                ],
                "noise_floor_db": 20.0,
                "clip_samples": 5,
                "fault_open_after_s": 5.0,
                "fault_close_after_s": 10.0,
            },
            "evidence": {
                "pre_roll_s": 60,
                "max_trace_s": 1800,
                "audio_clip": False,
                "audio_clip_s": 10.0,
            },
        },
        {
            "id": "gate-1",
            "kind": "counter",
            "name": "gate",
            "source": {
                "kind": "simulator",
                "url": None,
                "scenario": "all_faults",
                "seed": 0,
                "sim_gate": 0,
                "listen": "0.0.0.0:8710",
            },
            "serial": "SN1",
            "report_period_s": 10.0,
            "counter_bits": 16,
            "resolving_time_s": 0.1,
            "undercount_ratio": 0.05,
            "offline_after_s": 180.0,
            "stuck_after_s": 1800.0,
        },
        {
            "id": "area-1",
            "kind": "area",
            "name": "area",
            "capacity": 200,
            "gates": ["gate-1"],
            "warn_ratio": 0.8,
            "critical_ratio": 1.0,
            "closed": [WINDOW],
        },
    ],
}

AGENT: dict[str, Any] = {
    "agent": "edge-1",
    "site_file": "/etc/whistle/sites/all-kinds.yaml",
    "data_dir": "/var/lib/whistle",
    "broker": {
        "url": "mqtts://gateway.example:8883",
        "username": "edge-1",
        "password": "pw",
        "tls_ca_file": "/etc/whistle/ca.pem",
        "protocol": "auto",
        "keepalive_s": 30,
        "reconnect_min_s": 1,
        "reconnect_max_s": 30,
    },
    "outbox": {
        "path": "/var/lib/whistle/outbox.sqlite3",
        "max_bytes": 268435456,
        "telemetry_soft_cap": 5000,
        "thin_keep_every": 2,
        "qos0_buffer": 200,
        "inflight": 20,
        "synchronous": "full",
    },
    "telemetry": {"health_interval_s": 30.0, "device_expected_interval_s": 120.0},
    "workers": {"restart_min_s": 1.0, "restart_max_s": 60.0},
    "sim_start": "2026-11-27T04:20:00+08:00",
    "sim_speed": 1.0,
}


def _routing() -> dict[str, Any]:
    doc = yaml.safe_load((ROOT / "config" / "routing.yaml").read_text(encoding="utf-8"))
    doc["fallback"].setdefault("grid", "huancui-gumo")
    return doc


MODELS: dict[str, tuple[type[Any], dict[str, Any]]] = {
    "site": (SiteConfig, SITE),
    "agent": (AgentConfig, AGENT),
    "routing": (RoutingConfig, _routing()),
}
GENERATED = {name: cases(model, base) for name, (model, base) in MODELS.items()}
ALL_CASES: list[Case] = [case for found, _unchecked in GENERATED.values() for case in found]


TAGS = [(name, path) for name, (_f, unchecked) in GENERATED.items() for path in unchecked]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("configs")


def _problem(case: Case, workdir: Path) -> str | None:
    path = workdir / f"{case.id.replace(':', '-')}.yaml"
    text = yaml.safe_dump(case.document(), sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    try:
        load_yaml_model(path, case.model)
    except ConfigError as err:
        expected = f"{path}:{key_line(text, case.path)}: {'.'.join(map(str, case.path))}: "
        return None if expected in str(err) else f"{case.id}: wanted {expected!r} in {err}"
    return f"{case.id}: {case.value!r} was accepted"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_wrong_value_names_file_line_and_field(name: str, workdir: Path) -> None:
    """One wrong value per field, each in its own file (the cases of one model per test item:
    hundreds of items would cost more in pytest than the checks)."""
    found, _unchecked = GENERATED[name]
    problems = [p for p in (_problem(case, workdir) for case in found) if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "dotted"), TAGS, ids=[f"{n}:{p}" for n, p in TAGS])
def test_wrong_kind_names_the_item_and_the_tag(name: str, dotted: str, workdir: Path) -> None:
    """A discriminator (``kind`` of a device or zone) is reported at its item: the line of the
    item and ``'kind'`` in the message."""
    assert dotted.endswith(".kind"), f"{dotted}: no wrong value is reported at this field"
    model, base = MODELS[name]
    parts = tuple(int(p) if p.isdigit() else p for p in dotted.split("."))
    case = Case(model, base, parts, "bogus-kind")
    path = workdir / f"tag-{name}-{dotted}.yaml"
    text = yaml.safe_dump(case.document(), sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_yaml_model(path, model)
    item = ".".join(map(str, parts[:-1]))
    assert f"{path}:{key_line(text, parts[:-1])}: {item}: " in str(err.value)
    assert "'kind'" in str(err.value) and "bogus-kind" in str(err.value)


def test_the_generated_cases_cover_every_model() -> None:
    for name, (found, _unchecked) in GENERATED.items():
        assert len(found) >= 25, name
