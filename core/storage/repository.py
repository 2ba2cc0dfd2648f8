"""Read side of storage (demo summary, bots): SQLAlchemy async Core, both backends.

Not the hot path. Values come back typed by the models: u64 columns as ``int``, times as aware
UTC datetimes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from core.storage.db import DatabaseUrl, create_engine, parse_database_url
from core.storage.models import TABLES, Tick, Token, Trade

M = TypeVar("M", bound=SQLModel)


def _table(model: type[SQLModel]) -> sa.Table:
    table: Any = model.__table__  # type: ignore[attr-defined]
    return table


class Repository:
    """Queries over the stored data. ``async with Repository(url) as repo: ...``."""

    def __init__(self, url: str | DatabaseUrl, *, engine: AsyncEngine | None = None) -> None:
        self._db = url if isinstance(url, DatabaseUrl) else parse_database_url(url)
        self._engine = engine if engine is not None else create_engine(self._db)

    async def __aenter__(self) -> Repository:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._engine.dispose()

    async def counts(self) -> dict[str, int]:
        """Row count of every table, by table name."""
        out: dict[str, int] = {}
        async with self._engine.connect() as conn:
            for model in TABLES:
                table = _table(model)
                count = await conn.scalar(sa.select(sa.func.count()).select_from(table))
                out[table.name] = int(count or 0)
        return out

    async def recent_trades(self, mint: str, limit: int = 50) -> list[Trade]:
        """The newest trades of a mint, newest first (by block time, then slot, then id)."""
        table = _table(Trade)
        query = (
            sa.select(table)
            .where(table.c.mint == mint)
            .order_by(table.c.block_time.desc(), table.c.slot.desc(), table.c.id.desc())
            .limit(limit)
        )
        return await self._rows(Trade, query)

    async def token(self, mint: str) -> Token | None:
        table = _table(Token)
        rows = await self._rows(Token, sa.select(table).where(table.c.mint == mint))
        return rows[0] if rows else None

    async def ticks(self, mint: str, interval_s: int, since: datetime | None = None) -> list[Tick]:
        """Candles of a mint for one interval, oldest first, from ``since`` (aware UTC) on."""
        table = _table(Tick)
        query = sa.select(table).where(table.c.mint == mint, table.c.interval_s == interval_s)
        if since is not None:
            query = query.where(table.c.bucket_start >= since)
        return await self._rows(Tick, query.order_by(table.c.bucket_start))

    async def _rows(self, model: type[M], query: sa.Select[Any]) -> list[M]:
        async with self._engine.connect() as conn:
            result = await conn.execute(query)
            return [model(**dict(row._mapping)) for row in result]
