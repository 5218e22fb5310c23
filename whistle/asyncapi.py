"""Build ``docs/asyncapi.yaml`` (AsyncAPI 3.0) from the wire contract.

The channel and message descriptions live here; the payload schemas come from the pydantic
models in :mod:`whistle.contract`, so the document cannot drift from the code.
``python -m whistle.asyncapi --write`` regenerates it; a test fails when it is out of date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from whistle import __version__, contract

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.yaml"

_PARAMS = {
    "site": {"description": "Site id, e.g. `gumo` (the early market) or `haiyuan-park`."},
    "device": {"description": "Device id (an edge agent or a device it serves), `[a-z0-9_-]+`."},
}

#: channel id -> (address, description, payload model, QoS, retained, direction)
_CHANNELS: dict[str, tuple[str, str, type[contract.WirePayload], str, bool, str]] = {
    "status": (
        "whistle/v1/{site}/{device}/status",
        "Presence. `online` birth on every connect (software version, config hash, boot epoch, "
        "capabilities; an agent's birth lists its devices); `offline` is the agent's last will; "
        "`stopped` on a clean stop. A will or stop whose boot_epoch is older than the newest "
        "birth is stale and ignored by the gateway.",
        contract.StatusPayload,
        "1",
        True,
        "send",
    ),
    "telemetry": (
        "whistle/v1/{site}/{device}/telemetry/{stream}",
        "Periodic measurements of one stream: `noise` (per-second LAeq, LAFmax, LAFmin, "
        "LASmax, LCpeak), `noise_1min` (LAeq,1min, LAFmax, LAFmin, L5-L95, seconds over the "
        "limit, valid seconds), `camera` (frame rate, drops, reconnects), `counts`, `occupancy`, "
        "`carpark`, `health`. `seq` counts per device.",
        contract.TelemetryPayload,
        "0 or 1 by stream (noise, camera, health: 0; noise_1min, counts, occupancy, carpark: 1)",
        False,
        "send",
    ),
    "alert": (
        "whistle/v1/{site}/{device}/alert",
        "An alert episode's state changes: `opened` (seq 0), `updated`, `closed`, all with the "
        "same `alert_id`. Redelivery is possible; the gateway stores each (alert_id, seq) once "
        "and never lets an older seq overwrite a newer state.",
        contract.AlertPayload,
        "1",
        False,
        "send",
    ),
    "evidence": (
        "whistle/v1/{site}/{device}/evidence/{alert_id}",
        "One evidence blob of an alert (JPEG snapshot, level trace, spectrum, heat map), base64 "
        f"in JSON, at most {contract.MAX_EVIDENCE_BYTES} bytes before encoding, sha256-checked.",
        contract.EvidencePayload,
        "1",
        False,
        "send",
    ),
    "command": (
        "whistle/v1/{site}/{device}/command",
        "Requests from the gateway to an agent (`rebirth`: publish the births again). "
        "An agent may read only its own command topic.",
        contract.CommandPayload,
        "1",
        False,
        "receive",
    ),
}


def _schema(model: type[contract.WirePayload]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"schema": schema, "defs": defs}


def build_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for name, (address, description, model, qos, retained, action) in _CHANNELS.items():
        params = {k: dict(v) for k, v in _PARAMS.items() if "{" + k + "}" in address}
        if "{stream}" in address:
            params["stream"] = {"description": "Telemetry stream id."}
        if "{alert_id}" in address:
            params["alert_id"] = {"description": "The alert episode's UUID."}
        message_name = model.__name__
        channels[name] = {
            "address": address,
            "description": description,
            "parameters": params,
            "messages": {message_name: {"$ref": f"#/components/messages/{message_name}"}},
        }
        operations[f"{action}_{name}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{name}"},
            "bindings": {"mqtt": {"qos": qos, "retain": retained}},
            "messages": [{"$ref": f"#/channels/{name}/messages/{message_name}"}],
        }
        parts = _schema(model)
        schemas.update(parts["defs"])
        schemas[message_name] = parts["schema"]
        messages[message_name] = {
            "name": message_name,
            "contentType": "application/json",
            "summary": (model.__doc__ or "").strip().splitlines()[0],
            "payload": {"$ref": f"#/components/schemas/{message_name}"},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Whistle edge-to-gateway MQTT contract",
            "version": f"{contract.SCHEMA_VERSION}.0.0",
            "description": (
                "Topics and payloads between Whistle edge agents and the gateway. Generated from "
                f"whistle/contract.py (whistle {__version__}) by `python -m whistle.asyncapi "
                "--write`. Every payload carries schema_version; unknown extra fields are "
                "ignored, missing or ill-typed fields are rejected."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "mqtt.example.district:8883",
                "protocol": "mqtts",
                "description": "Mosquitto 2 with per-agent credentials and ACLs.",
            },
            "demo": {
                "host": "127.0.0.1:1883",
                "protocol": "mqtt",
                "description": "The embedded demo broker (amqtt, MQTT 3.1.1, loopback only).",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render() -> str:
    return yaml.safe_dump(build_document(), sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/asyncapi.yaml from the contract")
    parser.add_argument("--write", action="store_true", help="write the file (default: print)")
    args = parser.parse_args(argv)
    if args.write:
        DOC_PATH.write_text(render(), encoding="utf-8")
        print(f"wrote {DOC_PATH}")
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
