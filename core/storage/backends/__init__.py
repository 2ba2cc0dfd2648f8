"""Storage backends behind one small protocol; chosen from DATABASE_URL.

A backend writes one ``Batch`` (every buffered record type) in ONE transaction: either all of it
is stored or none, so the writer can retry a failed batch without double-counting tick volumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from core.storage.db import Backend, DatabaseUrl, parse_database_url
from core.storage.records import (
    CurveCompleteRecord,
    MintRecord,
    PoolRecord,
    Record,
    TickRecord,
    TradeRecord,
)


@dataclass(slots=True)
class Batch:
    """Records waiting to be written, one list per record type, in arrival order."""

    mints: list[MintRecord] = field(default_factory=list)
    pools: list[PoolRecord] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)
    completes: list[CurveCompleteRecord] = field(default_factory=list)
    ticks: list[TickRecord] = field(default_factory=list)

    def append(self, record: Record) -> int:
        """Add one record; returns the new length of its list."""
        target = self.list_for(record)
        target.append(record)
        return len(target)

    def list_for(self, record: Record) -> list[Record]:
        if isinstance(record, TradeRecord):
            return self.trades  # type: ignore[return-value]
        if isinstance(record, MintRecord):
            return self.mints  # type: ignore[return-value]
        if isinstance(record, CurveCompleteRecord):
            return self.completes  # type: ignore[return-value]
        if isinstance(record, PoolRecord):
            return self.pools  # type: ignore[return-value]
        if isinstance(record, TickRecord):
            return self.ticks  # type: ignore[return-value]
        raise TypeError(f"BatchWriter cannot store {type(record).__name__}")

    def extend(self, other: Batch) -> None:
        self.mints.extend(other.mints)
        self.pools.extend(other.pools)
        self.trades.extend(other.trades)
        self.completes.extend(other.completes)
        self.ticks.extend(other.ticks)

    @property
    def size(self) -> int:
        return (
            len(self.mints)
            + len(self.pools)
            + len(self.trades)
            + len(self.completes)
            + len(self.ticks)
        )


@dataclass(frozen=True, slots=True)
class TableWrite:
    """What one flush did to one table: records handed over, rows changed, seconds taken."""

    table: str  # trades, tokens, tokens_complete, pools, ticks
    records: int
    rows_written: int
    seconds: float


class StorageBackend(Protocol):
    """Where the BatchWriter sends its batches."""

    name: str  # "postgresql" or "sqlite": the metrics label

    async def open(self) -> None: ...

    async def write(self, batch: Batch) -> list[TableWrite]:
        """Store the whole batch in one transaction (all or nothing)."""
        ...

    async def close(self) -> None: ...


def backend_for(url: str | DatabaseUrl) -> StorageBackend:
    """The backend for a DATABASE_URL (not yet opened)."""
    db = url if isinstance(url, DatabaseUrl) else parse_database_url(url)
    if db.backend is Backend.POSTGRESQL:
        from core.storage.backends.pg import PostgresBackend

        assert db.asyncpg_dsn is not None
        return PostgresBackend(db.asyncpg_dsn)
    from core.storage.backends.sqlite import SqliteBackend

    assert db.sqlite_path is not None
    return SqliteBackend(db.sqlite_path)
