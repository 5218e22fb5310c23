"""`whistle demo`: the whole system on this machine in one command."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from whistle.config.loader import ConfigError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "demo",
        help="run broker, gateway, simulators and edge agents in one terminal",
        description=(
            "Start the whole loop on this machine with no hardware and no external service: an "
            "embedded MQTT broker (amqtt, 127.0.0.1), the gateway with SQLite, and an edge agent "
            "per agent in the site files with simulated cameras, noise sensors and counters "
            "playing a scripted morning at the Gumo early market and a day in the parks. Prints "
            "the dashboard address and the demo users' password. Ctrl-C stops everything."
        ),
    )
    p.add_argument("--port", type=int, default=8080, help="HTTP port of the gateway (8080)")
    p.add_argument(
        "--mqtt-port", type=int, default=0, help="port of the embedded broker (default: a free one)"
    )
    p.add_argument(
        "--broker",
        metavar="URL",
        help="use this broker (mqtt://host:port, e.g. the local Mosquitto), not the embedded one",
    )
    p.add_argument(
        "--data-dir", type=Path, default=Path("data/demo"), help="data and logs (data/demo)"
    )
    p.add_argument(
        "--sites-dir", type=Path, default=None, help="site YAML files (default: config/sites)"
    )
    p.add_argument(
        "--demo-password",
        help="password of the demo users admin, manager, officer, viewer (default: generated)",
    )
    p.add_argument(
        "--speed", type=float, default=10.0, help="simulated seconds per real second (10)"
    )
    p.add_argument(
        "--start",
        type=datetime.fromisoformat,
        help="simulated start time, ISO 8601 with zone (default: today 04:20 Asia/Shanghai)",
    )
    p.add_argument("--duration-s", type=float, help="stop by itself after this many real seconds")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from whistle.demo import DEFAULT_SITES_DIR, DemoOptions, run_demo

    if args.speed <= 0:
        print("whistle demo: --speed must be positive")
        return 2
    if args.start is not None and args.start.tzinfo is None:
        print("whistle demo: --start needs a time zone, e.g. 2026-11-27T04:20:00+08:00")
        return 2
    options = DemoOptions(
        data_dir=args.data_dir.resolve(),
        sites_dir=(args.sites_dir or DEFAULT_SITES_DIR).resolve(),
        http_port=args.port,
        mqtt_port=args.mqtt_port,
        broker_url=args.broker,
        demo_password=args.demo_password,
        speed=args.speed,
        start=args.start,
        duration_s=args.duration_s,
    )
    try:
        return run_demo(options)
    except ConfigError as exc:
        print(f"whistle demo: bad site config:\n{exc}")
        return 2
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"whistle demo: {exc}")
        return 1
