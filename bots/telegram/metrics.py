"""Prometheus metrics of the Telegram bot's command side (registered once, on import)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

UPDATES = Counter(
    "solsignals_telegram_updates_total", "Updates handled by the bot, by kind", ["kind"]
)
HANDLER_ERRORS = Counter(
    "solsignals_telegram_handler_errors_total",
    "Updates whose handler failed, by kind (user_input: answered with the reason; internal)",
    ["kind"],
)
THROTTLED = Counter(
    "solsignals_telegram_throttled_total", "Updates refused by the per-user rate limit"
)
HANDLER_SECONDS = Histogram(
    "solsignals_telegram_handler_seconds",
    "Time from receiving an update to the end of its handler",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
