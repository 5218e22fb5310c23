"""`whistle edge`: run an edge agent (device workers, disk outbox, MQTT to the gateway).

Either from its config file (``--config /etc/whistle/edge.yaml``) or, for the demo, from flags
(``--site config/sites/gumo.yaml --agent edge-gumo-1 --broker mqtt://127.0.0.1:1883
--data-dir DIR``). SIGTERM or SIGINT stops it cleanly (``stopped`` statuses, outbox flushed).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)


def _iso(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time: {exc}") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone, e.g. +08:00")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "edge",
        help="run an edge agent",
        description=(
            "Run an edge agent: read its devices, detect, queue alerts in the disk outbox and "
            "publish them over MQTT. Use --config, or --site/--agent/--broker/--data-dir."
        ),
    )
    p.add_argument("--config", type=Path, help="agent config YAML (e.g. /etc/whistle/edge.yaml)")
    p.add_argument("--site", type=Path, help="site config YAML (without --config)")
    p.add_argument("--agent", help="agent id from the site file (without --config)")
    p.add_argument(
        "--broker", default="mqtt://127.0.0.1:1883", help="mqtt://host:port or mqtts://host:port"
    )
    p.add_argument("--data-dir", type=Path, help="state directory (outbox, worker state)")
    p.add_argument("--username", help="broker username")
    p.add_argument("--password", help="broker password (prefer a config file)")
    p.add_argument("--tls-ca", type=Path, help="CA file for mqtts://")
    p.add_argument(
        "--mqtt-protocol",
        choices=["auto", "5", "3.1.1"],
        default="auto",
        help="MQTT version (auto: 5, falling back to 3.1.1 when the broker refuses it)",
    )
    p.add_argument("--sim-start", type=_iso, help="simulated clock start (ISO 8601 with zone)")
    p.add_argument("--sim-speed", type=float, default=1.0, help="simulated clock speed")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from edge.agent import EdgeAgent
    from edge.config import AgentConfig, from_flags, load_agent_config
    from edge.outbox import OutboxError
    from whistle.config.loader import ConfigError
    from whistle.config.site import load_site

    config: AgentConfig
    try:
        if args.config is not None:
            config = load_agent_config(args.config)
        else:
            missing = [
                flag
                for flag, value in (("--site", args.site), ("--agent", args.agent))
                if value is None
            ]
            if missing:
                print(f"whistle edge: give --config, or {' and '.join(missing)}", file=sys.stderr)
                return 2
            config = from_flags(
                agent=args.agent,
                site_file=args.site,
                broker_url=args.broker,
                data_dir=args.data_dir or Path("data") / "edge" / args.agent,
                username=args.username,
                password=args.password,
                tls_ca_file=args.tls_ca,
                protocol=args.mqtt_protocol,
                sim_start=args.sim_start,
                sim_speed=args.sim_speed,
            )
        site = load_site(config.site_file)
        agent = EdgeAgent(config, site)
    except ConfigError as exc:
        print(f"whistle edge: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"whistle edge: bad option: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"whistle edge: agent {exc} is not in the site file", file=sys.stderr)
        return 2
    except OutboxError as exc:
        print(f"whistle edge: {exc}", file=sys.stderr)
        return 1

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    return agent.run(stop)
