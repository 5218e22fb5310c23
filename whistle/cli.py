"""The `whistle` console script: one entry point, one subcommand per module in `whistle.commands`.

Each command module exposes ``register(subparsers) -> None``; it adds its parser and sets
``func`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit status).
Heavy imports happen inside the command functions, never at import time, so ``whistle --help``
stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from whistle import __version__

#: Command modules, in the order they appear in ``whistle --help``.
COMMAND_MODULES: tuple[str, ...] = (
    "whistle.commands.demo",
    "whistle.commands.gateway",
    "whistle.commands.edge",
    "whistle.commands.sim",
    "whistle.commands.noise",
    "whistle.commands.vision",
    "whistle.commands.devices",
    "whistle.commands.complaints",
    "whistle.commands.config",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="whistle",
        description=(
            "Whistle: edge monitoring for street markets and parks. Edge agents read cameras, "
            "noise sensors and people counters, publish alerts over MQTT to a gateway that "
            "stores them, turns them into incidents and serves the API and pages."
        ),
    )
    parser.add_argument("--version", action="version", version=f"whistle {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging verbosity (default: INFO)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # command not built yet in this checkout
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    status: int = args.func(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
