"""`whistle devices add|remove`: an edge agent's MQTT credentials and ACL."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_DIR = Path("deploy/mosquitto")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "devices",
        help="provision edge agents' MQTT credentials and ACLs",
        description=(
            "Give an edge agent its own Mosquitto user and ACL block (it may publish only under "
            "its own topics and those of the devices it serves, and read only its own command "
            "topic), or revoke them. Send SIGHUP to mosquitto afterwards to reload."
        ),
    )
    actions = p.add_subparsers(dest="devices_action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="create an agent's credentials and print its edge config",
        description="Create the agent's password entry and ACL block; print edge.yaml lines.",
    )
    add.add_argument("site", help="site id, e.g. gumo")
    add.add_argument("agent", help="agent id as in the site file, e.g. edge-gumo-cams")
    _files(add)
    add.add_argument(
        "--sites-dir", type=Path, default=Path("config/sites"), help="site files (config/sites)"
    )
    add.add_argument(
        "--broker-url", default="mqtts://mqtt.example.district:8883", help="URL agents connect to"
    )
    add.add_argument("--password", help="use this password instead of a generated one")
    add.set_defaults(func=run_add)

    rm = actions.add_parser(
        "remove",
        help="revoke an agent's credentials",
        description="Delete the agent's password entry and ACL block.",
    )
    rm.add_argument("site", help="site id")
    rm.add_argument("agent", help="agent id")
    _files(rm)
    rm.set_defaults(func=run_remove)


def _files(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--password-file", type=Path, default=DEFAULT_DIR / "passwd", help="mosquitto password file"
    )
    p.add_argument("--acl-file", type=Path, default=DEFAULT_DIR / "acl", help="mosquitto ACL file")


def _find_agent(sites_dir: Path, site_id: str, agent_id: str) -> tuple[Path, tuple[str, ...]]:
    from whistle.config.site import load_site

    for path in sorted(sites_dir.glob("*.yaml")):
        site = load_site(path)
        if site.id != site_id:
            continue
        try:
            return path, tuple(site.agent(agent_id).devices)
        except KeyError:
            raise LookupError(f"{path}: site {site_id!r} has no agent {agent_id!r}") from None
    raise LookupError(f"no site {site_id!r} in {sites_dir}")


def run_add(args: argparse.Namespace) -> int:
    from whistle.config.loader import ConfigError
    from whistle.provisioning import (
        AgentGrant,
        ProvisioningError,
        add_acl,
        edge_config_snippet,
        new_password,
        set_password,
    )

    try:
        site_file, devices = _find_agent(args.sites_dir, args.site, args.agent)
        grant = AgentGrant(args.site, args.agent, devices)
        password = args.password or new_password()
        add_acl(args.acl_file, grant)
        set_password(args.password_file, grant.username, password)
    except (LookupError, ConfigError, ProvisioningError) as exc:
        print(f"whistle devices add: {exc}")
        return 2
    print(edge_config_snippet(grant, password, args.broker_url, f"/etc/whistle/{site_file.name}"))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from whistle.provisioning import ProvisioningError, delete_password, remove_acl

    try:
        had_acl = remove_acl(args.acl_file, args.site, args.agent)
        had_password = delete_password(args.password_file, args.agent)
    except ProvisioningError as exc:
        print(f"whistle devices remove: {exc}")
        return 2
    if not (had_acl or had_password):
        print(f"whistle devices remove: no agent {args.site}/{args.agent} to remove")
        return 2
    print(f"removed {args.site}/{args.agent}; send SIGHUP to mosquitto to apply")
    return 0
