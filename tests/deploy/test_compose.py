"""docker-compose.yml is valid, complete and every file it mounts exists and parses.

Docker does not run here; Debian's docker-compose validates the file and the mounted configs
are checked by parsing them (the Mosquitto config also runs natively in test_acl.py and in the
native-topology test).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

ONE_SHOT = {"mosquitto-passwd"}
REQUIRED_SERVICES = {
    "edge-haiyuan",
    "mosquitto",
    "postgres",
    "influxdb",
    "grafana",
    "gateway",
    "edge-gumo-noise",
    "edge-gumo-cams",
}


def env_values(example: Path) -> dict[str, str]:
    """.env.example with every empty secret filled with a test value."""
    values = {}
    for line in example.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key] = value or f"test-{key.lower()}"
    return values


def compose_config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose is not installed (make test installs it with apt-get)")
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return subprocess.run(
        [
            tool,
            "--project-directory",
            str(REPO_ROOT),
            "-f",
            str(REPO_ROOT / "docker-compose.yml"),
            "--env-file",
            str(env_file),
            "config",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    done = compose_config(
        tmp_path_factory.mktemp("compose"), env_values(REPO_ROOT / ".env.example")
    )
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_compose_file_is_valid_and_complete(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    assert set(services) >= REQUIRED_SERVICES
    for name, service in services.items():
        if name in ONE_SHOT:
            continue
        assert service.get("restart") in ("always", "unless-stopped"), name
        assert "healthcheck" in service, f"{name} has no health check"


def test_a_missing_secret_is_named(tmp_path: Path) -> None:
    env = env_values(REPO_ROOT / ".env.example")
    del env["WHISTLE_SECRET_KEY"]
    done = compose_config(tmp_path, env)
    assert done.returncode != 0
    assert "WHISTLE_SECRET_KEY" in done.stderr


def test_no_secret_is_committed() -> None:
    example = (REPO_ROOT / ".env.example").read_text()
    for line in example.splitlines():
        if re.search(r"(PASSWORD|TOKEN|SECRET_KEY)=", line):
            assert line.endswith("="), f"{line!r} must not carry a value"
    assert not (REPO_ROOT / ".env").exists() or ".env" in (REPO_ROOT / ".gitignore").read_text()


def _bind_sources(rendered: dict[str, Any]) -> list[Path]:
    sources = []
    for service in rendered["services"].values():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                if volume.get("type") == "bind":
                    sources.append(Path(volume["source"]))
            elif volume.startswith(("/", ".")):
                sources.append(Path(volume.split(":", 1)[0]))
    return sources


def test_every_mounted_file_exists_and_parses(rendered: dict[str, Any]) -> None:
    sources = _bind_sources(rendered)
    assert sources, "the compose file mounts the project's config files"
    checked = 0
    for source in sources:
        path = source if source.is_absolute() else REPO_ROOT / source
        assert path.exists(), f"{source} is mounted but does not exist"
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if f.suffix in (".yaml", ".yml"):
                assert yaml.safe_load(f.read_text()) is not None, f
            elif f.suffix == ".json":
                document = json.loads(f.read_text())
                assert document.get("panels"), f"{f} is a dashboard with panels"
            elif f.name == "mosquitto.conf":
                for line in f.read_text().splitlines():
                    assert not line.strip() or line.lstrip().startswith("#") or " " in line, line
            checked += 1
    assert checked >= 6


def test_grafana_provisioning_points_at_the_dashboards(rendered: dict[str, Any]) -> None:
    grafana = rendered["services"]["grafana"]
    targets = {
        str(v["target"]) if isinstance(v, dict) else v.split(":")[1] for v in grafana["volumes"]
    }
    provider = yaml.safe_load(
        (REPO_ROOT / "deploy/grafana/provisioning/dashboards/whistle.yaml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] in targets
    uids = {
        d["uid"]
        for d in yaml.safe_load(
            (REPO_ROOT / "deploy/grafana/provisioning/datasources/whistle.yaml").read_text()
        )["datasources"]
    }
    for dashboard in (REPO_ROOT / "deploy/grafana/dashboards").glob("*.json"):
        for panel in json.loads(dashboard.read_text())["panels"]:
            for target in panel["targets"]:
                assert target["datasource"]["uid"] in uids, dashboard


def test_the_image_copies_files_that_exist() -> None:
    """Every COPY of the Dockerfile the compose file builds names files of the repository."""
    copies = [
        line.split()[1:-1]
        for line in (REPO_ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("COPY ") and "--from=" not in line
    ]
    assert copies
    for sources in copies:
        for source in sources:
            assert (REPO_ROOT / source).exists(), f"the Dockerfile copies missing {source}"
