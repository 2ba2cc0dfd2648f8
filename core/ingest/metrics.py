"""Prometheus metrics of the ingestion loop."""

from prometheus_client import Counter, Gauge, Histogram

NOTICES_IN = Counter(
    "solsignals_ingest_notices_total", "Transactions received by the pipeline", ["source"]
)
EVENTS_DECODED = Counter(
    "solsignals_ingest_events_decoded_total", "Events decoded", ["program", "event"]
)
DECODE_FAILURES = Counter(
    "solsignals_ingest_decode_failures_total", "Inputs skipped by the decoder", ["kind"]
)
RECORDS_OUT = Counter("solsignals_ingest_records_total", "Records handed to storage", ["kind"])
INBOX_DEPTH = Gauge("solsignals_ingest_inbox_depth", "Notices waiting to be decoded")
BATCH_SECONDS = Histogram(
    "solsignals_ingest_batch_seconds",
    "Time to decode and normalise one drained batch of notices",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
