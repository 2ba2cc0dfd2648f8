"""Prometheus metrics of the replay server (shared by every server in the process)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

PUBLISHED = Counter(
    "solsignals_replay_published_total", "Transactions published by the replay server"
)
FRAMES_SENT = Counter(
    "solsignals_replay_frames_sent_total", "Websocket notification frames queued to clients"
)
CONNECTIONS = Gauge("solsignals_replay_ws_connections", "Open websocket connections")
DROPPED = Counter(
    "solsignals_replay_dropped_connections_total",
    "Websocket connections closed by the server",
    ["reason"],  # drop (drop_connections / drop_every_n), kill, slow_consumer
)
RPC_REQUESTS = Counter(
    "solsignals_replay_rpc_requests_total", "JSON-RPC requests answered", ["transport"]
)
