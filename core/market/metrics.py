"""Prometheus metrics of the market layer (registered once, on import)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SOL_USD_REFRESHES = Counter(
    "solsignals_sol_usd_refresh_total",
    "SOL/USD oracle refreshes by outcome (ok, rpc_error, missing_account, wrong_owner, "
    "decode_error, wrong_feed, unverified, bad_price, stale)",
    ["outcome"],
)
SOL_USD_FALLBACKS = Counter(
    "solsignals_sol_usd_fallback_total",
    "Times the SOL/USD price switched from Pyth to the configured fallback, by reason",
    ["reason"],
)
SOL_USD_USING_FALLBACK = Gauge(
    "solsignals_sol_usd_using_fallback",
    "1 while the SOL/USD price in use is the configured fallback, 0 while it is fresh Pyth",
)
SOL_USD_PRICE = Gauge(
    "solsignals_sol_usd_price_usd",
    "SOL/USD price currently in use",
)
SOL_USD_AGE_S = Gauge(
    "solsignals_sol_usd_pyth_age_seconds",
    "Age of the last accepted Pyth SOL/USD price (now - publish_time) at the last refresh",
)
CANDLE_LATE_TRADES = Counter(
    "solsignals_candle_late_trades_total",
    "Trades older than their mint's open candle, folded into its volumes (OHLC untouched)",
    ["interval_s"],
)
CANDLE_OPEN_MINTS = Gauge(
    "solsignals_candle_open_mints",
    "Mints with an open candle in the aggregator",
)
