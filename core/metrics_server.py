"""Expose the process's Prometheus metrics on /metrics (port from METRICS_PORT; 0 = off)."""

from __future__ import annotations

import structlog
from prometheus_client import start_http_server

log = structlog.get_logger(__name__)


def start_metrics_server(port: int, host: str = "127.0.0.1") -> int | None:
    """Start the /metrics endpoint in a background thread; returns the bound port or None."""
    if port <= 0:
        return None
    server, _thread = start_http_server(port, addr=host)
    bound = int(server.server_port)
    log.info("metrics_server_started", port=bound, host=host)
    return bound
