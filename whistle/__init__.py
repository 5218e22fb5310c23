"""Whistle: shared pieces of the edge agents and the gateway (wire contract, site config, CLI)."""

__version__ = "0.1.0"
