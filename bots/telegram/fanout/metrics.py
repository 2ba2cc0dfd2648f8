"""Prometheus metrics of the alert fan-out (registered once, on import)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

QUEUE_DEPTH = Gauge(
    "solsignals_alert_queue_depth",
    "Deliveries (signal x chat) waiting or in flight in this process",
)
QUEUE_CAPACITY = Gauge(
    "solsignals_alert_queue_capacity", "Deliveries held before the stream stops being read"
)
IN_FLIGHT = Gauge(
    "solsignals_alert_in_flight", "Bot API requests of the fan-out in flight (awaiting answers)"
)
ENTRIES_OPEN = Gauge(
    "solsignals_alert_entries_open", "Stream entries read and not yet fully delivered"
)
ENTRIES = Counter(
    "solsignals_alert_entries_total",
    "Alert stream entries (signals.out, activity.out) handled, by result (planned, acked, "
    "empty, undecodable, abandoned)",
    ["result"],
)
RECIPIENTS = Counter(
    "solsignals_alert_recipients_total",
    "Per-user filter decisions of the fan-out (private mode), by result (pass, filtered)",
    ["result"],
)
RECIPIENTS_LOADED = Gauge(
    "solsignals_alert_recipients_loaded", "Users with alerts on, as last loaded"
)
RECIPIENT_REFRESHES = Counter(
    "solsignals_alert_recipient_refreshes_total",
    "Reloads of the recipients and wallet tags, by result (ok, error)",
    ["result"],
)
DELIVERED = Counter(
    "solsignals_alert_delivered_total",
    "Alerts delivered, by how (sent, edited, not_modified)",
    ["kind"],
)
FAILED = Counter(
    "solsignals_alert_failed_total",
    "Failed attempts that will be retried, by reason (network, server_error, rate_limited…)",
    ["reason"],
)
DEAD = Counter(
    "solsignals_alert_dead_total",
    "Alerts written to the dead letter stream, by reason (blocked, chat_not_found…)",
    ["reason"],
)
RATE_LIMITED = Counter(
    "solsignals_alert_rate_limited_total", "429 Too Many Requests answers to the fan-out"
)
PAUSED_SECONDS = Counter(
    "solsignals_alert_paused_seconds_total",
    "Time the whole sender waited for the global rate or a retry_after",
)
MESSAGE_GONE = Counter(
    "solsignals_alert_message_gone_total",
    "Re-scores whose earlier card could not be edited (deleted, too old): sent anew",
)
LATENCY = Histogram(
    "solsignals_alert_latency_seconds",
    "From the signal's time (Signal.at) to Telegram accepting the alert",
    buckets=_LATENCY_BUCKETS,
)
OWN_SECONDS = Histogram(
    "solsignals_alert_own_seconds",
    "From publication on signals.out to the request leaving, minus pacing / retry waits",
    buckets=_LATENCY_BUCKETS,
)
WAIT_SECONDS = Histogram(
    "solsignals_alert_wait_seconds",
    "Time a delivery waited for pacing, retry_after or a retry backoff",
    buckets=_LATENCY_BUCKETS,
)
LOOP_ERRORS = Counter(
    "solsignals_alert_loop_errors_total",
    "Errors caught by a fan-out loop (it carries on), by loop",
    ["loop"],
)
LOOP_ITERATIONS = Counter(
    "solsignals_alert_loop_iterations_total", "Iterations of the fan-out loops, by loop", ["loop"]
)
DELIVERIES_BY_KIND = Counter(
    "solsignals_alert_deliveries_by_kind_total",
    "Finished deliveries by alert kind (signal, activity) and outcome (sent, edited, "
    "not_modified, dead)",
    ["kind", "outcome"],
)
RECORD_BATCH = Histogram(
    "solsignals_alert_record_batch_size",
    "Finished deliveries written to Redis in one round trip",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)
RECORD_FAILED = Counter(
    "solsignals_alert_record_failed_total",
    "Deliveries whose outcome could not be written to Redis (their entry stays pending)",
)
