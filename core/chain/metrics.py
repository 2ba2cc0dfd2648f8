"""Prometheus metrics of the chain clients (registered once, on import)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RPC_REQUESTS = Counter(
    "solsignals_rpc_requests_total",
    "JSON-RPC calls by provider, method and outcome (ok, rpc_error, http_error, transport_error)",
    ["provider", "method", "outcome"],
)
RPC_LATENCY_S = Histogram(
    "solsignals_rpc_request_seconds",
    "Latency of one JSON-RPC HTTP attempt",
    ["provider", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RPC_RETRIES = Counter(
    "solsignals_rpc_retries_total",
    "JSON-RPC attempts retried, by provider, method and reason",
    ["provider", "method", "reason"],
)

PUBSUB_NOTICES = Counter(
    "solsignals_pubsub_notices_total",
    "Notices emitted downstream, by provider and source (ws, gapfill)",
    ["provider", "source"],
)
PUBSUB_DUPLICATES = Counter(
    "solsignals_pubsub_duplicates_total",
    "Notices dropped because their signature was already emitted",
    ["provider", "source"],
)
PUBSUB_RECONNECTS = Counter(
    "solsignals_pubsub_reconnects_total",
    "Websocket (re)connection attempts after the first, by provider",
    ["provider"],
)
PUBSUB_FAILOVERS = Counter(
    "solsignals_pubsub_failovers_total",
    "Switches of the active provider, by the provider left and the reason",
    ["from_provider", "reason"],
)
PUBSUB_GAPFILLED = Counter(
    "solsignals_pubsub_gapfilled_total",
    "Transactions recovered by gap fill after a reconnect, by provider",
    ["provider"],
)
PUBSUB_SUBSCRIBE_ERRORS = Counter(
    "solsignals_pubsub_subscribe_errors_total",
    "logsSubscribe / slotSubscribe calls answered with a JSON-RPC error, by provider",
    ["provider"],
)
PUBSUB_SLOT_LAG = Gauge(
    "solsignals_pubsub_slot_lag_slots",
    "Best known slot minus the active provider's slot",
    ["provider"],
)
PUBSUB_QUEUE_DEPTH = Gauge(
    "solsignals_pubsub_queue_depth",
    "Notices waiting in the pubsub client's output queue",
)
PUBSUB_GAPFILL_MISSING = Counter(
    "solsignals_pubsub_gapfill_missing_total",
    "Signatures listed by getSignaturesForAddress whose getTransaction stayed null",
    ["provider"],
)
