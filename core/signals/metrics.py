"""Prometheus metrics of the signal engine (registered once, on import).

Per-trade counts are plain integers on ``SignalEngine.stats`` (a Prometheus increment per trade
would cost more than the aggregation); these cover the rarer events.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SIGNALS_EMITTED = Counter(
    "solsignals_signals_emitted_total", "Signals emitted by the engine, by reason", ["reason"]
)
MINTS_EVICTED = Counter(
    "solsignals_signals_mints_evicted_total",
    "Mints forgotten by the signal engine, by cause (idle, cap)",
    ["cause"],
)
LIVE_MINTS = Gauge("solsignals_signals_live_mints", "Mints the signal engine holds state for")
