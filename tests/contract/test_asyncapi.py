"""docs/asyncapi.yaml must describe exactly what whistle/contract.py implements."""

from __future__ import annotations

import yaml

from whistle import asyncapi, contract


def test_the_committed_document_is_up_to_date() -> None:
    committed = yaml.safe_load(asyncapi.DOC_PATH.read_text(encoding="utf-8"))
    assert committed == asyncapi.build_document(), (
        "docs/asyncapi.yaml is out of date: run `python -m whistle.asyncapi --write`"
    )


def test_every_channel_and_payload_is_documented() -> None:
    doc = yaml.safe_load(asyncapi.DOC_PATH.read_text(encoding="utf-8"))
    assert doc["asyncapi"].startswith("3.")
    for channel, model in contract.PAYLOAD_BY_CHANNEL.items():
        entry = doc["channels"][channel.value]
        assert entry["address"].startswith(
            contract.TOPIC_ROOT + "/{site}/{device}/" + channel.value
        )
        schema = doc["components"]["schemas"][model.__name__]
        fields = model.model_fields
        assert set(schema["properties"]) == set(fields)
        required = {name for name, f in fields.items() if f.is_required()}
        assert set(schema.get("required", [])) == required
