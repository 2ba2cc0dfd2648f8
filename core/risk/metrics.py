"""Prometheus metrics of the risk service (registered once, on import)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RISK_REPORTS = Counter(
    "solsignals_risk_reports_total",
    "Risk reports served, by where the chain facts came from (cache, lookup, shared)",
    ["source"],
)
RISK_VERDICTS = Counter(
    "solsignals_risk_verdicts_total",
    "Check results in served reports, by check and verdict",
    ["check", "verdict"],
)
RISK_LOOKUP_FAILURES = Counter(
    "solsignals_risk_lookup_failures_total",
    "Chain lookups of the risk service that failed (their checks say UNKNOWN), by what failed",
    ["what"],
)
RISK_CACHE_ENTRIES = Gauge(
    "solsignals_risk_cache_entries", "Mints whose chain facts the risk service holds"
)
RISK_LOOKUPS_IN_FLIGHT = Gauge(
    "solsignals_risk_lookups_in_flight", "Chain lookups of the risk service under way"
)
