"""Per-agent MQTT credentials and ACLs for Mosquitto.

``whistle devices add <site> <agent>`` gives an edge agent its own user in Mosquitto's password
file (via ``mosquitto_passwd``, sha512-pbkdf2) and its own block in the ACL file: it may publish
only under its own topics and those of the devices it serves, and read only its own command
topic. ``remove`` revokes both. Mosquitto re-reads both files on SIGHUP.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from whistle.contract import TOPIC_ROOT

_BEGIN = "# >>> whistle agent {site}/{agent}"
_END = "# <<< whistle agent {site}/{agent}"
#: Channels an agent may publish on, for itself and for each device it serves.
PUBLISH_CHANNELS = ("status", "telemetry/#", "alert", "evidence/#")


class ProvisioningError(Exception):
    """Provisioning could not be done; the message says what and where."""


@dataclass(frozen=True)
class AgentGrant:
    site: str
    agent: str
    devices: tuple[str, ...]

    @property
    def username(self) -> str:
        return self.agent

    def acl_block(self) -> str:
        lines = [_BEGIN.format(site=self.site, agent=self.agent), f"user {self.username}"]
        for device in (self.agent, *self.devices):
            for channel in PUBLISH_CHANNELS:
                lines.append(f"topic write {TOPIC_ROOT}/{self.site}/{device}/{channel}")
        lines.append(f"topic read {TOPIC_ROOT}/{self.site}/{self.agent}/command")
        lines.append(_END.format(site=self.site, agent=self.agent))
        return "\n".join(lines) + "\n"


def _block_re(site: str, agent: str) -> re.Pattern[str]:
    begin = re.escape(_BEGIN.format(site=site, agent=agent))
    end = re.escape(_END.format(site=site, agent=agent))
    return re.compile(rf"^{begin}\n.*?^{end}\n", re.MULTILINE | re.DOTALL)


def _user_taken(text: str, username: str) -> bool:
    return re.search(rf"^user {re.escape(username)}$", text, re.MULTILINE) is not None


def add_acl(acl_file: Path, grant: AgentGrant) -> None:
    text = acl_file.read_text(encoding="utf-8") if acl_file.exists() else ""
    if _block_re(grant.site, grant.agent).search(text):
        raise ProvisioningError(f"{acl_file}: agent {grant.site}/{grant.agent} already has a block")
    if _user_taken(text, grant.username):
        raise ProvisioningError(f"{acl_file}: user {grant.username!r} already exists")
    if text and not text.endswith("\n"):
        text += "\n"
    acl_file.write_text(text + "\n" + grant.acl_block(), encoding="utf-8")


def remove_acl(acl_file: Path, site: str, agent: str) -> bool:
    if not acl_file.exists():
        return False
    text = acl_file.read_text(encoding="utf-8")
    new, count = _block_re(site, agent).subn("", text)
    if count:
        acl_file.write_text(new.replace("\n\n\n", "\n\n"), encoding="utf-8")
    return bool(count)


def _mosquitto_passwd(*args: str) -> None:
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        raise ProvisioningError("mosquitto_passwd is not installed (Debian package mosquitto)")
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ProvisioningError(f"mosquitto_passwd {args[0]} failed: {done.stderr.strip()}")


def set_password(password_file: Path, username: str, password: str) -> None:
    password_file.parent.mkdir(parents=True, exist_ok=True)
    if password_file.exists():
        _mosquitto_passwd("-b", str(password_file), username, password)
    else:
        _mosquitto_passwd("-c", "-b", str(password_file), username, password)
    password_file.chmod(0o600)


def delete_password(password_file: Path, username: str) -> bool:
    if not password_file.exists():
        return False
    users = [line.split(":", 1)[0] for line in password_file.read_text().splitlines() if line]
    if username not in users:
        return False
    _mosquitto_passwd("-D", str(password_file), username)
    return True


def new_password() -> str:
    return secrets.token_urlsafe(24)


def edge_config_snippet(grant: AgentGrant, password: str, broker_url: str, site_file: str) -> str:
    return (
        f"# /etc/whistle/edge.yaml for {grant.site}/{grant.agent}\n"
        f"agent: {grant.agent}\n"
        f"site_file: {site_file}\n"
        "data_dir: /var/lib/whistle\n"
        "broker:\n"
        f"  url: {broker_url}\n"
        f"  username: {grant.username}\n"
        f'  password: "{password}"\n'
    )
