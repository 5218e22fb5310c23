"""Run the production Mosquitto config (deploy/mosquitto) natively, paths moved to a temp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

DEPLOY_MOSQUITTO = REPO_ROOT / "deploy" / "mosquitto"


def native_config(workdir: Path, port: int, extra: str = "") -> str:
    """The compose file's mosquitto.conf with its container paths pointing into ``workdir``.

    The ACL file is copied there first, so provisioning in a test never touches the
    repository's files; the password file goes there too (see :func:`make_passwd`).
    """
    config_dir = workdir / "config"
    data_dir = workdir / "data"
    config_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(exist_ok=True)
    shutil.copy(DEPLOY_MOSQUITTO / "acl", config_dir / "acl")
    text = (DEPLOY_MOSQUITTO / "mosquitto.conf").read_text()
    text = text.replace("/mosquitto/config/", f"{config_dir}/")
    text = text.replace("/mosquitto/data/", f"{data_dir}/")
    text = text.replace("/mosquitto/auth/", f"{config_dir}/")
    text = text.replace("listener 1883\n", f"listener {port} 127.0.0.1\n")
    # run as the test's user: as root, mosquitto would switch to the `mosquitto` user, which
    # cannot read pytest's private temp folders
    text += "\nuser root\n" if os.geteuid() == 0 else ""
    return text.replace("{", "{{").replace("}", "}}") + extra


def make_passwd(workdir: Path, passwords: dict[str, str]) -> Path:
    """Run deploy/mosquitto/make-passwd.sh (what the compose file's one-shot service runs)."""
    out = workdir / "config" / "passwd"
    env = dict(os.environ)
    env["GATEWAY_MQTT_PASSWORD"] = passwords["gateway"]
    for user, password in passwords.items():
        env[user.upper().replace("-", "_") + "_MQTT_PASSWORD"] = password
    subprocess.run(
        ["sh", str(DEPLOY_MOSQUITTO / "make-passwd.sh"), str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    return out
