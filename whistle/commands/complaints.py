"""`whistle complaints import FILE.csv`: load a 12345 hotline export as complaints, matched to
sensor alerts; rows no sensor saw are flagged as misses by the grid."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "complaints",
        help="12345 hotline complaints: import exports, match them to sensor alerts",
        description="Citizen complaints (12345 hotline) for the incidents part of the gateway.",
    )
    sub = parser.add_subparsers(dest="complaints_command", metavar="ACTION", required=True)
    imp = sub.add_parser(
        "import",
        help="import a hotline CSV export (bad rows are reported with line numbers)",
        description=(
            "Import FILE.csv (columns ticket_id, requested_at, service_code, description, "
            "address, lat, long, site, zone; the hotline's Chinese headers work too). Each "
            "row is matched to sensor alerts by place, type and time; unmatched rows open an "
            "incident and are flagged as missed by the grid. Exit status 1 if any row was bad."
        ),
    )
    imp.add_argument("file", type=Path, help="the CSV export")
    imp.add_argument("--config", type=Path, help="gateway settings YAML file")
    imp.add_argument("--db-url", help="database URL (sqlite:///path or postgresql://...)")
    imp.add_argument("--routing", type=Path, help="routing YAML (default: settings routing_file)")
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    from gateway.settings import Settings, SettingsError
    from whistle.config.loader import ConfigError

    try:
        settings = Settings.load(args.config, database_url=args.db_url, routing_file=args.routing)
    except SettingsError as exc:
        print(f"whistle complaints import: {exc}")
        return 2
    from gateway.db.session import Store
    from gateway.incidents.csv_import import import_csv
    from gateway.incidents.runtime import build_engine

    try:
        engine = build_engine(settings)
    except ConfigError as exc:
        print(f"whistle complaints import: {exc}")
        return 2
    store = Store.from_url(settings.database_url)
    try:
        store.migrate()
        report = import_csv(engine, store, args.file)
    finally:
        store.dispose()
    for line, message in report.errors:
        print(f"{args.file}:{line}: {message}")
    print(
        f"imported {report.imported} complaint(s): {report.matched} matched a sensor alert, "
        f"{report.misses} missed by the grid; {report.duplicates} already imported; "
        f"{len(report.errors)} bad row(s)"
    )
    return 1 if report.errors else 0
