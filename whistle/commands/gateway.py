"""`whistle gateway`: run the central collector (MQTT ingest, storage, API)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gateway",
        help="run the gateway: MQTT ingest, storage, incidents and the web API",
        description=(
            "Run the central gateway. Settings come from --config (YAML), WHISTLE_* "
            "environment variables and these flags (flags win). Production mode needs "
            "secret_key and admin_password; --demo runs with demo users instead."
        ),
    )
    parser.add_argument("--config", type=Path, help="settings YAML file")
    parser.add_argument("--broker", help="broker URL, mqtt://host:port or mqtts://host:port")
    parser.add_argument("--db-url", help="database URL (sqlite:///path or postgresql://...)")
    parser.add_argument("--port", type=int, help="HTTP port")
    parser.add_argument("--host", help="HTTP address to bind")
    parser.add_argument("--data-dir", type=Path, help="directory for the database and evidence")
    parser.add_argument("--sites-dir", type=Path, help="directory of site YAML files")
    parser.add_argument("--client-id", help="MQTT client id (stable and unique per instance)")
    parser.add_argument("--shared-group", help="MQTT 5 shared subscription group (scale-out)")
    parser.add_argument("--mqtt-protocol", choices=["auto", "5", "3.1.1"], help="MQTT version")
    parser.add_argument("--demo", action="store_true", default=None, help="demo mode")
    parser.add_argument("--demo-password", help="password of the demo users (with --demo)")
    parser.add_argument("--no-http", action="store_true", help="ingest only, no web server")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gateway.settings import Settings, SettingsError

    try:
        settings = Settings.load(
            args.config,
            broker_url=args.broker,
            database_url=args.db_url,
            http_port=args.port,
            http_host=args.host,
            data_dir=args.data_dir,
            sites_dir=args.sites_dir,
            client_id=args.client_id,
            shared_group=args.shared_group,
            mqtt_protocol=args.mqtt_protocol,
            demo=args.demo,
            demo_password=args.demo_password,
            serve_http=False if args.no_http else None,
        )
        settings.check_production()
    except SettingsError as exc:
        log.error("%s", exc)
        print(f"whistle gateway: {exc}")
        return 2
    from gateway.service import GatewayService

    return GatewayService(settings).run()
