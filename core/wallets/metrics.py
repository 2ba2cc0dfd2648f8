"""Prometheus metrics of the wallet registry (registered once, on import)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

WALLETS_IMPORTED = Counter(
    "solsignals_wallets_imported_total",
    "Wallet rows stored by imports and adds (new or updated), by list kind",
    ["kind"],
)
WALLET_IMPORT_BAD_ROWS = Counter(
    "solsignals_wallet_import_bad_rows_total",
    "Rows of wallet files rejected by validation (bad address, tag, duplicate, column)",
)
WALLET_IMPORT_SECONDS = Histogram(
    "solsignals_wallet_import_seconds",
    "Time to store one validated wallet list in the database",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0),
)
WALLET_TRADES_FOLDED = Counter(
    "solsignals_wallet_trades_folded_total",
    "Trades of tracked wallets folded into wallet positions by stats refreshes",
)
WALLET_REFRESH_SECONDS = Histogram(
    "solsignals_wallet_refresh_seconds",
    "Time of one wallet stats refresh batch (read trades, fold, write positions)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
