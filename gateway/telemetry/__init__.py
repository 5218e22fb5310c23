"""Telemetry: 1-minute aggregates in SQL, raw points to InfluxDB, retention."""
