"""Prometheus metrics of the storage writer (registered once, on import)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

STORAGE_FLUSH_SECONDS = Histogram(
    "solsignals_storage_flush_seconds",
    "Time to write one batch of one table inside a flush, by table and backend",
    ["table", "backend"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
STORAGE_ROWS_WRITTEN = Counter(
    "solsignals_storage_rows_written_total",
    "Rows inserted or updated by the writer (duplicate trades ignored are not counted)",
    ["table", "backend"],
)
STORAGE_RECORDS_FLUSHED = Counter(
    "solsignals_storage_records_flushed_total",
    "Records handed to the database by successful flushes, by table and backend",
    ["table", "backend"],
)
STORAGE_BUFFERED = Gauge(
    "solsignals_storage_buffered_records",
    "Records waiting in the writer (buffers plus a batch kept for retry)",
    ["backend"],
)
STORAGE_FLUSH_ERRORS = Counter(
    "solsignals_storage_flush_errors_total",
    "Flushes that failed (batch kept and retried), by backend and error class",
    ["backend", "error"],
)
STORAGE_BACKPRESSURE_WAITS = Counter(
    "solsignals_storage_backpressure_waits_total",
    "Times add() had to wait because the writer held its maximum of buffered records",
    ["backend"],
)
