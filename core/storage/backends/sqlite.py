"""SQLite backend (aiosqlite): executemany in one transaction per flush, same semantics as PG.

Times are stored as SQLAlchemy's UTC DATETIME text; u64 values as INTEGER, or zero-padded TEXT
above 2^63 - 1 (see ``core.storage.types``).
"""

from __future__ import annotations

import time
from pathlib import Path

import aiosqlite

from core.storage.backends import Batch, TableWrite
from core.storage.backends import statements as sql
from core.storage.db import SQLITE_BUSY_TIMEOUT_MS, sqlite_pragmas
from core.storage.types import u64_to_sqlite, unix_to_sqlite

_INSERT_TRADES = sql.to_qmark(sql.insert_trades_sql())
_UPSERT_MINT = sql.to_qmark(sql.UPSERT_MINT_SQL)
_UPSERT_COMPLETE = sql.to_qmark(sql.UPSERT_COMPLETE_SQL)
_UPSERT_POOL = sql.to_qmark(sql.UPSERT_POOL_SQL)
_UPSERT_TICK = sql.to_qmark(sql.UPSERT_TICK_SQL)


class SqliteBackend:
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: aiosqlite.Connection | None = None

    async def open(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(
            self._path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None
        )
        for pragma in sqlite_pragmas():
            await conn.execute(pragma)
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def write(self, batch: Batch) -> list[TableWrite]:
        conn = self._conn
        if conn is None:
            raise RuntimeError("SqliteBackend.write before open()")
        ts, u64 = unix_to_sqlite, u64_to_sqlite
        out: list[TableWrite] = []
        await conn.execute("BEGIN IMMEDIATE")
        try:
            if batch.mints:
                rows = [sql.mint_row(r, ts, u64) for r in batch.mints]
                out.append(await _executemany(conn, "tokens", _UPSERT_MINT, rows))
            if batch.pools:
                rows = [sql.pool_row(r, ts, u64) for r in batch.pools]
                out.append(await _executemany(conn, "pools", _UPSERT_POOL, rows))
            if batch.trades:
                rows = [sql.trade_row(r, ts, u64) for r in batch.trades]
                out.append(await _executemany(conn, "trades", _INSERT_TRADES, rows))
            if batch.completes:
                rows = [sql.complete_row(r, ts) for r in batch.completes]
                out.append(await _executemany(conn, "tokens_complete", _UPSERT_COMPLETE, rows))
            if batch.ticks:
                rows = [sql.tick_row(r, ts) for r in batch.ticks]
                out.append(await _executemany(conn, "ticks", _UPSERT_TICK, rows))
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        return out


async def _executemany(
    conn: aiosqlite.Connection, table: str, statement: str, rows: list[tuple[object, ...]]
) -> TableWrite:
    started = time.perf_counter()
    before = conn.total_changes
    await conn.executemany(statement, rows)
    written = conn.total_changes - before
    return TableWrite(table, len(rows), written, time.perf_counter() - started)
