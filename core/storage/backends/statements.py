"""SQL shared by the PostgreSQL and SQLite backends, and record → row mapping.

Statements use PostgreSQL ``$n`` placeholders (each used once, in order); ``to_qmark`` turns them
into SQLite ``?``. Both databases accept ``INSERT ... ON CONFLICT ... DO UPDATE`` with
``EXCLUDED``.

Merge rules:
- tokens (MintRecord): a known field is never replaced by NULL (``COALESCE(new, old)``);
  ``complete`` / ``completed_at`` are left alone, so a completion seen first is kept.
- tokens (CurveCompleteRecord): ``complete = TRUE``; ``completed_at`` keeps the first value; an
  unknown mint gets a minimal row (mint, bonding curve, completion).
- pools: like tokens, new non-NULL values win.
- ticks: an existing bucket merges: open kept, high = max, low = min, close = new,
  volume_lamports / buys / sells / net_flow_lamports added.
- trades: ``ON CONFLICT (signature, event_index) DO NOTHING``: replays never double-store.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core.storage.records import (
    CurveCompleteRecord,
    MintRecord,
    PoolRecord,
    TickRecord,
    TradeRecord,
)

TimeConv = Callable[[int | None], Any]
U64Conv = Callable[[int | None], Any]

TRADE_COLUMNS: tuple[str, ...] = (
    "signature",
    "event_index",
    "slot",
    "block_time",
    "program",
    "mint",
    "trader",
    "is_buy",
    "sol_lamports",
    "token_amount_raw",
    "price_sol",
    "virtual_sol_reserves",
    "virtual_token_reserves",
    "real_sol_reserves",
    "real_token_reserves",
    "pool",
)
MINT_COLUMNS: tuple[str, ...] = (
    "mint",
    "name",
    "symbol",
    "uri",
    "creator",
    "bonding_curve",
    "created_at",
    "created_slot",
    "signature",
    "decimals",
    "supply_raw",
    "token_program",
)
POOL_COLUMNS: tuple[str, ...] = (
    "pool",
    "program",
    "base_mint",
    "quote_mint",
    "created_at",
    "created_slot",
    "signature",
    "creator",
    "lp_mint",
    "base_reserve_raw",
    "quote_reserve_raw",
)
TICK_COLUMNS: tuple[str, ...] = (
    "mint",
    "interval_s",
    "bucket_start",
    "open_price_sol",
    "high_price_sol",
    "low_price_sol",
    "close_price_sol",
    "volume_lamports",
    "buys",
    "sells",
    "net_flow_lamports",
)


def _params(n: int, start: int = 1) -> str:
    return ", ".join(f"${i}" for i in range(start, start + n))


def _coalesce_set(table: str, columns: tuple[str, ...], key: str) -> str:
    return ", ".join(
        f"{col} = COALESCE(EXCLUDED.{col}, {table}.{col})" for col in columns if col != key
    )


def insert_trades_sql(table: str = "trades") -> str:
    cols = ", ".join(TRADE_COLUMNS)
    return (
        f"INSERT INTO {table} ({cols}) VALUES ({_params(len(TRADE_COLUMNS))}) "
        "ON CONFLICT (signature, event_index) DO NOTHING"
    )


UPSERT_MINT_SQL = (
    f"INSERT INTO tokens ({', '.join(MINT_COLUMNS)}, complete) "
    f"VALUES ({_params(len(MINT_COLUMNS))}, FALSE) "
    f"ON CONFLICT (mint) DO UPDATE SET {_coalesce_set('tokens', MINT_COLUMNS, 'mint')}"
)

UPSERT_COMPLETE_SQL = (
    "INSERT INTO tokens (mint, bonding_curve, completed_at, complete) VALUES ($1, $2, $3, TRUE) "
    "ON CONFLICT (mint) DO UPDATE SET complete = TRUE, "
    "completed_at = COALESCE(tokens.completed_at, EXCLUDED.completed_at), "
    "bonding_curve = COALESCE(tokens.bonding_curve, EXCLUDED.bonding_curve)"
)

UPSERT_POOL_SQL = (
    f"INSERT INTO pools ({', '.join(POOL_COLUMNS)}) VALUES ({_params(len(POOL_COLUMNS))}) "
    f"ON CONFLICT (pool) DO UPDATE SET {_coalesce_set('pools', POOL_COLUMNS, 'pool')}"
)

UPSERT_TICK_SQL = (
    f"INSERT INTO ticks ({', '.join(TICK_COLUMNS)}) VALUES ({_params(len(TICK_COLUMNS))}) "
    "ON CONFLICT (mint, interval_s, bucket_start) DO UPDATE SET "
    "high_price_sol = CASE WHEN EXCLUDED.high_price_sol > ticks.high_price_sol "
    "THEN EXCLUDED.high_price_sol ELSE ticks.high_price_sol END, "
    "low_price_sol = CASE WHEN EXCLUDED.low_price_sol < ticks.low_price_sol "
    "THEN EXCLUDED.low_price_sol ELSE ticks.low_price_sol END, "
    "close_price_sol = EXCLUDED.close_price_sol, "
    "volume_lamports = ticks.volume_lamports + EXCLUDED.volume_lamports, "
    "buys = ticks.buys + EXCLUDED.buys, "
    "sells = ticks.sells + EXCLUDED.sells, "
    "net_flow_lamports = ticks.net_flow_lamports + EXCLUDED.net_flow_lamports"
)

_PLACEHOLDER = re.compile(r"\$\d+")


def to_qmark(sql: str) -> str:
    """``$1, $2`` → ``?, ?`` (valid because every statement here uses each parameter once)."""
    return _PLACEHOLDER.sub("?", sql)


def trade_row(r: TradeRecord, ts: TimeConv, u64: U64Conv) -> tuple[Any, ...]:
    return (
        r.signature,
        r.event_index,
        r.slot,
        ts(r.block_time),
        str(r.program),
        r.mint,
        r.trader,
        r.is_buy,
        u64(r.sol_lamports),
        u64(r.token_amount_raw),
        r.price_sol,
        u64(r.virtual_sol_reserves),
        u64(r.virtual_token_reserves),
        u64(r.real_sol_reserves),
        u64(r.real_token_reserves),
        r.pool,
    )


def mint_row(r: MintRecord, ts: TimeConv, u64: U64Conv) -> tuple[Any, ...]:
    return (
        r.mint,
        r.name,
        r.symbol,
        r.uri,
        r.creator,
        r.bonding_curve,
        ts(r.created_at),
        r.slot,
        r.signature,
        r.decimals,
        u64(r.supply_raw),
        r.token_program,
    )


def complete_row(r: CurveCompleteRecord, ts: TimeConv) -> tuple[Any, ...]:
    return (r.mint, r.bonding_curve, ts(r.completed_at))


def pool_row(r: PoolRecord, ts: TimeConv, u64: U64Conv) -> tuple[Any, ...]:
    return (
        r.pool,
        str(r.program),
        r.base_mint,
        r.quote_mint,
        ts(r.created_at),
        r.slot,
        r.signature,
        r.creator,
        r.lp_mint,
        u64(r.base_reserve_raw),
        u64(r.quote_reserve_raw),
    )


def tick_row(r: TickRecord, ts: TimeConv) -> tuple[Any, ...]:
    return (
        r.mint,
        r.interval_s,
        ts(r.bucket_start),
        r.open_price_sol,
        r.high_price_sol,
        r.low_price_sol,
        r.close_price_sol,
        r.volume_lamports,
        r.buys,
        r.sells,
        r.net_flow_lamports,
    )
