"""The gateway's HTTP API: FastAPI app, routers by resource, errors, Server-Sent Events."""
