"""PostgreSQL backend (asyncpg): trades by COPY into a staging table, the rest by upserts.

Trades: ``copy_records_to_table`` into a per-session temp table (``ON COMMIT DELETE ROWS``), then
``INSERT ... SELECT ... ON CONFLICT (signature, event_index) DO NOTHING``: COPY speed, and
duplicates (replays, gap fills) are ignored. Everything of a flush runs in one transaction.
"""

from __future__ import annotations

import time

import asyncpg

from core.storage.backends import Batch, TableWrite
from core.storage.backends import statements as sql
from core.storage.types import unix_to_utc as _ts

STAGE_TABLE = "solsignals_trades_stage"

_CREATE_STAGE = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} (
    signature varchar NOT NULL,
    event_index integer NOT NULL,
    slot bigint NOT NULL,
    block_time timestamptz,
    program varchar NOT NULL,
    mint varchar NOT NULL,
    trader varchar NOT NULL,
    is_buy boolean NOT NULL,
    sol_lamports numeric(20, 0) NOT NULL,
    token_amount_raw numeric(20, 0) NOT NULL,
    price_sol double precision NOT NULL,
    virtual_sol_reserves numeric(20, 0),
    virtual_token_reserves numeric(20, 0),
    real_sol_reserves numeric(20, 0),
    real_token_reserves numeric(20, 0),
    pool varchar
) ON COMMIT DELETE ROWS
"""

_COLS = ", ".join(sql.TRADE_COLUMNS)
_MOVE_STAGED = (
    f"INSERT INTO trades ({_COLS}) SELECT {_COLS} FROM {STAGE_TABLE} "
    "ON CONFLICT (signature, event_index) DO NOTHING"
)


def _u64(value: int | None) -> int | None:
    return value


def _status_rows(status: str) -> int:
    """Rows from a command tag such as ``INSERT 0 42``."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0


class PostgresBackend:
    name = "postgresql"

    def __init__(self, dsn: str, *, pool_size: int = 2, command_timeout_s: float = 60.0) -> None:
        self._dsn = dsn
        self._pool_size = pool_size
        self._command_timeout_s = command_timeout_s
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self._dsn,
            min_size=1,
            max_size=self._pool_size,
            command_timeout=self._command_timeout_s,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def write(self, batch: Batch) -> list[TableWrite]:
        if self._pool is None:
            raise RuntimeError("PostgresBackend.write before open()")
        out: list[TableWrite] = []
        async with self._pool.acquire() as conn, conn.transaction():
            if batch.mints:
                rows = [sql.mint_row(r, _ts, _u64) for r in batch.mints]
                out.append(await _executemany(conn, "tokens", sql.UPSERT_MINT_SQL, rows))
            if batch.pools:
                rows = [sql.pool_row(r, _ts, _u64) for r in batch.pools]
                out.append(await _executemany(conn, "pools", sql.UPSERT_POOL_SQL, rows))
            if batch.trades:
                out.append(await _copy_trades(conn, batch))
            if batch.completes:
                rows = [sql.complete_row(r, _ts) for r in batch.completes]
                out.append(
                    await _executemany(conn, "tokens_complete", sql.UPSERT_COMPLETE_SQL, rows)
                )
            if batch.ticks:
                rows = [sql.tick_row(r, _ts) for r in batch.ticks]
                out.append(await _executemany(conn, "ticks", sql.UPSERT_TICK_SQL, rows))
        return out


async def _executemany(
    conn: asyncpg.Connection, table: str, statement: str, rows: list[tuple[object, ...]]
) -> TableWrite:
    started = time.perf_counter()
    await conn.executemany(statement, rows)
    return TableWrite(table, len(rows), len(rows), time.perf_counter() - started)


async def _copy_trades(conn: asyncpg.Connection, batch: Batch) -> TableWrite:
    started = time.perf_counter()
    await conn.execute(_CREATE_STAGE)
    records = [sql.trade_row(r, _ts, _u64) for r in batch.trades]
    await conn.copy_records_to_table(STAGE_TABLE, records=records, columns=sql.TRADE_COLUMNS)
    status = await conn.execute(_MOVE_STAGED)
    # ON COMMIT DELETE ROWS empties the stage at commit; truncate anyway in case a caller
    # ever runs two flushes in one transaction.
    await conn.execute(f"TRUNCATE {STAGE_TABLE}")
    return TableWrite("trades", len(records), _status_rows(status), time.perf_counter() - started)
