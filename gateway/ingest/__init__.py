"""MQTT ingest: validation against the wire contract, idempotent storage, dead letters."""
