"""SQL of the wallet registry and its statistics (SQLAlchemy Core, PostgreSQL and SQLite).

Every function takes an open ``AsyncConnection`` so the registry decides the transaction. Bulk
writes are one ``INSERT ... ON CONFLICT`` executed with all rows at once (asyncpg pipelines the
parameter sets; SQLite uses executemany), and ``IN (...)`` reads go in chunks of ``CHUNK``.
``wallets.monitor_count`` is recomputed from ``wallet_watches`` for the touched addresses by
``recount_watchers``, inside the transaction that changed the watches, so it cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from core.storage.models import (
    ListKind,
    Token,
    Trade,
    User,
    Wallet,
    WalletPosition,
    WalletStats,
    WalletWatch,
)
from core.storage.types import U64, u64_to_sqlite
from core.wallets.stats import PositionState, TradeCounters, WalletTrade

CHUNK = 1_000
T = TypeVar("T")


def _t(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


WALLETS = _t(Wallet)
WATCHES = _t(WalletWatch)
POSITIONS = _t(WalletPosition)
STATS = _t(WalletStats)
TRADES = _t(Trade)
TOKENS = _t(Token)
USERS = _t(User)


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """A wallet as one list shows it: registry row, or a user's watch (alias and tags theirs)."""

    address: str
    alias: str | None
    tags: tuple[str, ...]
    list_kind: ListKind
    monitor_count: int


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(conn: AsyncConnection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def upsert(
    conn: AsyncConnection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``rows``; where ``keys`` already exist, overwrite the ``update`` columns."""
    if not rows:
        return
    stmt = _insert(conn, table)
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={name: stmt.excluded[name] for name in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    await conn.execute(stmt, rows)


async def user_exists(conn: AsyncConnection, user_id: int) -> bool:
    found = await conn.scalar(sa.select(USERS.c.id).where(USERS.c.id == user_id))
    return found is not None


async def registry_rows(
    conn: AsyncConnection, addresses: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Stored ``wallets`` rows by address (only those that exist)."""
    out: dict[str, dict[str, Any]] = {}
    for part in chunks(addresses):
        result = await conn.execute(sa.select(WALLETS).where(WALLETS.c.address.in_(part)))
        out.update({row.address: dict(row._mapping) for row in result})
    return out


async def watch_rows(
    conn: AsyncConnection, user_id: int, addresses: Sequence[str]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for part in chunks(addresses):
        result = await conn.execute(
            sa.select(WATCHES).where(WATCHES.c.user_id == user_id, WATCHES.c.address.in_(part))
        )
        out.update({row.address: dict(row._mapping) for row in result})
    return out


async def recount_watchers(conn: AsyncConnection, addresses: Sequence[str], now: datetime) -> None:
    count = (
        sa.select(sa.func.count())
        .select_from(WATCHES)
        .where(WATCHES.c.address == WALLETS.c.address)
        .scalar_subquery()
    )
    for part in chunks(addresses):
        await conn.execute(
            sa.update(WALLETS)
            .where(WALLETS.c.address.in_(part))
            .values(monitor_count=count, updated_at=now)
        )


async def delete_wallet(conn: AsyncConnection, address: str) -> None:
    """Remove a wallet from the registry with its watches, positions and stats."""
    for table, column in (
        (WATCHES, WATCHES.c.address),
        (POSITIONS, POSITIONS.c.wallet),
        (STATS, STATS.c.address),
        (WALLETS, WALLETS.c.address),
    ):
        await conn.execute(sa.delete(table).where(column == address))


async def delete_watch(conn: AsyncConnection, user_id: int, address: str) -> int:
    result = await conn.execute(
        sa.delete(WATCHES).where(WATCHES.c.user_id == user_id, WATCHES.c.address == address)
    )
    return int(result.rowcount or 0)


def _entry(row: Any, kind: ListKind | None = None) -> StoredEntry:
    return StoredEntry(
        address=row.address,
        alias=row.alias,
        tags=tuple(row.tags or ()),
        list_kind=kind or ListKind(row.list_kind),
        monitor_count=int(row.monitor_count),
    )


async def entries(
    conn: AsyncConnection, *, kind: ListKind | None = None, user_id: int | None = None
) -> list[StoredEntry]:
    """A list's wallets by address: a user's watches, or registry rows (of one kind or all)."""
    if user_id is not None and kind in (None, ListKind.MINE):
        query = (
            sa.select(WATCHES.c.address, WATCHES.c.alias, WATCHES.c.tags, WALLETS.c.monitor_count)
            .join(WALLETS, WALLETS.c.address == WATCHES.c.address)
            .where(WATCHES.c.user_id == user_id)
            .order_by(WATCHES.c.address)
        )
        result = await conn.execute(query)
        return [_entry(row, ListKind.MINE) for row in result]
    query = sa.select(WALLETS).order_by(WALLETS.c.address)
    if kind is not None:
        query = query.where(WALLETS.c.list_kind == kind.value)
    result = await conn.execute(query)
    return [_entry(row) for row in result]


# ---- statistics -----------------------------------------------------------------------------


async def new_trades(conn: AsyncConnection, limit: int) -> list[WalletTrade]:
    """Trades of registered wallets newer than each wallet's cursor, oldest id first."""
    cursor = sa.func.coalesce(STATS.c.last_trade_id, 0)
    query = (
        sa.select(
            TRADES.c.id,
            TRADES.c.trader,
            TRADES.c.mint,
            TRADES.c.is_buy,
            TRADES.c.sol_lamports,
            TRADES.c.token_amount_raw,
            TRADES.c.block_time,
        )
        .join(WALLETS, WALLETS.c.address == TRADES.c.trader)
        .outerjoin(STATS, STATS.c.address == WALLETS.c.address)
        .where(TRADES.c.id > cursor)
        .order_by(TRADES.c.id)
        .limit(limit)
    )
    result = await conn.execute(query)
    return [
        WalletTrade(
            trade_id=row.id,
            wallet=row.trader,
            mint=row.mint,
            is_buy=row.is_buy,
            sol_lamports=int(row.sol_lamports),
            token_amount_raw=int(row.token_amount_raw),
            block_time=row.block_time,
        )
        for row in result
    ]


def _position(row: Any) -> PositionState:
    return PositionState(
        wallet=row.wallet,
        mint=row.mint,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        token_amount_raw=int(row.token_amount_raw),
        bought_token_raw=int(row.bought_token_raw),
        cost_lamports=row.cost_lamports,
        bought_lamports=row.bought_lamports,
        sold_lamports=row.sold_lamports,
        realized_pnl_lamports=row.realized_pnl_lamports,
        buys=row.buys,
        sells=row.sells,
        closed=row.closed_at is not None or int(row.token_amount_raw) == 0,
        position_id=row.id,
    )


async def positions(
    conn: AsyncConnection, wallets: Sequence[str], *, open_only: bool = False
) -> list[PositionState]:
    out: list[PositionState] = []
    for part in chunks(wallets):
        query = sa.select(POSITIONS).where(POSITIONS.c.wallet.in_(part))
        if open_only:
            query = query.where(POSITIONS.c.closed_at.is_(None))
        result = await conn.execute(query.order_by(POSITIONS.c.id))
        out.extend(_position(row) for row in result)
    return [p for p in out if not p.closed] if open_only else out


async def counters(conn: AsyncConnection, wallets: Sequence[str]) -> dict[str, TradeCounters]:
    return {address: c for address, (c, _) in (await stats_rows(conn, wallets)).items()}


async def stats_rows(
    conn: AsyncConnection, wallets: Sequence[str]
) -> dict[str, tuple[TradeCounters, int | None]]:
    """Per wallet: its trade counters and its last known SOL balance (lamports)."""
    out: dict[str, tuple[TradeCounters, int | None]] = {}
    for part in chunks(wallets):
        result = await conn.execute(sa.select(STATS).where(STATS.c.address.in_(part)))
        for row in result:
            counted = TradeCounters(
                row.trade_count, row.buy_count, row.buy_lamports, row.last_trade_id
            )
            out[row.address] = (counted, row.balance_lamports)
    return out


def _position_values(p: PositionState) -> dict[str, Any]:
    return {
        "wallet": p.wallet,
        "mint": p.mint,
        "opened_at": p.opened_at,
        "closed_at": p.closed_at,
        "token_amount_raw": p.token_amount_raw,
        "bought_token_raw": p.bought_token_raw,
        "cost_lamports": p.cost_lamports,
        "bought_lamports": p.bought_lamports,
        "sold_lamports": p.sold_lamports,
        "realized_pnl_lamports": p.realized_pnl_lamports,
        "buys": p.buys,
        "sells": p.sells,
    }


def _sqlite_u64(conn: AsyncConnection, values: dict[str, Any]) -> dict[str, Any]:
    """On SQLite, u64 values in their storage form, bound without the BLOB bind processor
    (``U64`` hands SQLAlchemy an int that its BLOB processor refuses)."""
    if conn.dialect.name != "sqlite":
        return values
    return {
        name: (u64_to_sqlite(value) if isinstance(POSITIONS.c[name].type, U64) else value)
        for name, value in values.items()
    }


def _sqlite_u64_binds(conn: AsyncConnection, names: Iterable[str]) -> dict[str, Any]:
    if conn.dialect.name != "sqlite":
        return {}
    return {
        name: sa.bindparam(name, type_=sa.Integer())
        for name in names
        if isinstance(POSITIONS.c[name].type, U64)
    }


async def save_positions(conn: AsyncConnection, touched: Iterable[PositionState]) -> None:
    """Update stored positions by id, insert new ones (all in the caller's transaction)."""
    new: list[dict[str, Any]] = []
    for p in touched:
        values = _position_values(p)
        if p.position_id is None:
            new.append(_sqlite_u64(conn, values))
            continue
        binds = _sqlite_u64_binds(conn, values)
        stmt = sa.update(POSITIONS).where(POSITIONS.c.id == sa.bindparam("position_id"))
        await conn.execute(
            stmt.values({name: binds.get(name, sa.bindparam(name)) for name in values}),
            {**_sqlite_u64(conn, values), "position_id": p.position_id},
        )
    if new:
        binds = _sqlite_u64_binds(conn, new[0])
        await conn.execute(
            sa.insert(POSITIONS).values(binds) if binds else sa.insert(POSITIONS), new
        )


async def save_counters(
    conn: AsyncConnection, counted: dict[str, TradeCounters], now: datetime
) -> None:
    rows = [
        {
            "address": address,
            "last_trade_id": c.last_trade_id,
            "trade_count": c.trade_count,
            "buy_count": c.buy_count,
            "buy_lamports": c.buy_lamports,
            "updated_at": now,
        }
        for address, c in counted.items()
    ]
    update = ("last_trade_id", "trade_count", "buy_count", "buy_lamports", "updated_at")
    await upsert(conn, STATS, rows, ["address"], update)


async def save_balances(conn: AsyncConnection, balances: dict[str, int], now: datetime) -> None:
    rows = [
        {
            "address": address,
            "last_trade_id": 0,
            "trade_count": 0,
            "buy_count": 0,
            "buy_lamports": 0,
            "balance_lamports": lamports,
            "balance_at": now,
            "updated_at": now,
        }
        for address, lamports in balances.items()
    ]
    await upsert(conn, STATS, rows, ["address"], ("balance_lamports", "balance_at", "updated_at"))


async def latest_prices(
    conn: AsyncConnection, mints: Sequence[str]
) -> tuple[dict[str, float], dict[str, int]]:
    """Price (SOL per whole token) of each mint's newest stored trade, and known decimals."""
    prices: dict[str, float] = {}
    decimals: dict[str, int] = {}
    for part in chunks(sorted(set(mints))):
        newest = (
            sa.select(TRADES.c.mint, sa.func.max(TRADES.c.id).label("id"))
            .where(TRADES.c.mint.in_(part))
            .group_by(TRADES.c.mint)
            .subquery()
        )
        result = await conn.execute(
            sa.select(TRADES.c.mint, TRADES.c.price_sol).join(newest, newest.c.id == TRADES.c.id)
        )
        prices.update({row.mint: float(row.price_sol) for row in result})
        result = await conn.execute(
            sa.select(TOKENS.c.mint, TOKENS.c.decimals).where(
                TOKENS.c.mint.in_(part), TOKENS.c.decimals.is_not(None)
            )
        )
        decimals.update({row.mint: int(row.decimals) for row in result})
    return prices, decimals
