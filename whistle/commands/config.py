"""`whistle config check`: validate config files before deploying them."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "config",
        help="check site config files",
        description="Validate configuration files; errors name the file, line and key path.",
    )
    actions = p.add_subparsers(dest="config_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate site files (config/sites/*.yaml)",
        description="Validate each site file; exit status 2 when any is invalid.",
    )
    check.add_argument("files", nargs="+", type=Path, help="site YAML files")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from whistle.config.loader import ConfigError
    from whistle.config.site import load_site

    status = 0
    for path in args.files:
        try:
            site = load_site(path)
        except ConfigError as exc:
            print(exc)
            status = 2
        else:
            print(f"{path}: ok (site {site.id}: {len(site.devices)} devices)")
    return status
