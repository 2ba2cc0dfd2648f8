"""Smart Activity: the latest fills of tracked wallets (the /activity table in UX.md), as data.

Tracked wallets are the featured and community lists of the wallet registry plus, with a
``user_id``, that user's own watches ("mine"). The user's alias takes precedence over the
registry's; a wallet's tags are the union of both. Rendering is the bot's job: a row carries
everything the table needs (time, wallet, alias, tags, side, price, market cap, amount, value,
mint, symbol, decimals, signature).

Queries go by the set of tracked addresses within the window, in chunks of ``CHUNK`` addresses
(``trader IN (...) AND block_time BETWEEN ...``: the (trader, block_time) index), never a scan
of all trades. Each chunk returns at most ``offset + limit`` newest rows, merged in Python; the
window totals (buy / sell SOL, unique wallets, row count) come from grouped queries per chunk.

Market cap (SOL) at a fill: on the bonding curve from the trade's virtual reserves
(``core.market.curve.market_cap_sol``, supply from ``tokens.supply_raw`` or Pump.fun's 1e9
tokens); in a pool, ``price_sol`` x ``tokens.supply_raw`` (None when the supply is unknown).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.market import curve
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import ListKind, Token, Trade
from core.storage.types import u64_from_db
from core.wallets.registry import WalletRegistry

TRADES: sa.Table = Trade.__table__  # type: ignore[attr-defined]
TOKENS: sa.Table = Token.__table__  # type: ignore[attr-defined]
CHUNK = 500
MAX_LIMIT = 500
T = TypeVar("T")


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True)
class TrackedWallet:
    address: str
    alias: str | None
    tags: frozenset[str]


@dataclass(frozen=True, slots=True)
class ActivityRow:
    time: datetime  # block time, UTC
    wallet: str
    alias: str | None
    tags: tuple[str, ...]  # sorted
    side: Side
    price_sol: float  # SOL per whole token after the fill
    market_cap_sol: float | None  # at the fill; None when the supply is unknown
    token_amount_raw: int
    sol_lamports: int
    mint: str
    symbol: str | None
    decimals: int | None  # of the token, when known (to show the amount in whole tokens)
    signature: str


@dataclass(frozen=True, slots=True)
class ActivityTotals:
    """Over every fill in the window that matches the filters (not only the page)."""

    buy_lamports: int
    sell_lamports: int
    unique_wallets: int
    unique_buyers: int
    fills: int

    @property
    def net_lamports(self) -> int:
        return self.buy_lamports - self.sell_lamports


@dataclass(frozen=True, slots=True)
class ActivityPage:
    rows: tuple[ActivityRow, ...]  # newest first
    totals: ActivityTotals
    since: datetime
    until: datetime
    window_s: int
    offset: int
    limit: int
    mint: str | None
    tags: frozenset[str] | None

    @property
    def has_prev(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.totals.fills

    def threshold_passed(self, v_min_lamports: int) -> bool:
        """The alert "smart wallets bought >= V_min in the window"."""
        return self.totals.buy_lamports >= v_min_lamports


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def market_cap_sol(
    *,
    price_sol: float,
    pool: str | None,
    virtual_sol_reserves: int | None,
    virtual_token_reserves: int | None,
    supply_raw: int | None,
    decimals: int | None,
) -> float | None:
    """Market cap in SOL at a fill (see the module docstring)."""
    if pool is None and virtual_sol_reserves and virtual_token_reserves:
        return curve.market_cap_sol(
            virtual_sol_reserves,
            virtual_token_reserves,
            supply_raw or curve.TOKEN_TOTAL_SUPPLY_RAW,
            decimals if decimals is not None else curve.TOKEN_DECIMALS,
        )
    if supply_raw is None:
        return None
    dec = decimals if decimals is not None else curve.TOKEN_DECIMALS
    return price_sol * supply_raw / 10**dec


class SmartActivity(EngineOwner):
    """Give a URL (owns its engine) or an engine you own; ``clock`` is "now" for the window,
    ``chunk`` the number of addresses per ``IN (...)`` query."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
        chunk: int = CHUNK,
    ) -> None:
        if chunk <= 0:
            raise ValueError("chunk must be positive")
        self._chunk = chunk
        super().__init__(url, engine=engine)
        self._clock = clock
        self._registry = WalletRegistry(engine=self._engine, clock=clock)

    async def tracked_wallets(self, user_id: int | None = None) -> dict[str, TrackedWallet]:
        """Featured + community wallets, plus the user's watches (their alias first)."""
        out: dict[str, TrackedWallet] = {}
        for e in await self._registry.entries():
            if e.list_kind is not ListKind.MINE:
                out[e.address] = TrackedWallet(e.address, e.alias, frozenset(e.tags))
        if user_id is not None:
            for w in await self._registry.entries(user_id=user_id):
                shared = out.get(w.address)
                alias = w.alias if w.alias is not None else (shared.alias if shared else None)
                tags = frozenset(w.tags) | (shared.tags if shared else frozenset())
                out[w.address] = TrackedWallet(w.address, alias, tags)
        return out

    async def smart_activity(
        self,
        *,
        mint: str | None,
        tags: set[str] | frozenset[str] | None,
        window_s: int,
        limit: int,
        offset: int = 0,
        user_id: int | None = None,
    ) -> ActivityPage:
        """Fills of tracked wallets in the last ``window_s`` seconds, newest first.

        ``tags``: only wallets having at least one of them (None or empty: every tracked wallet).
        ``mint``: only that token. ``limit`` / ``offset`` page the rows; totals cover the window.
        """
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        if not 0 < limit <= MAX_LIMIT or offset < 0:
            raise ValueError(f"limit must be 1-{MAX_LIMIT} and offset >= 0")
        until = self._clock()
        since = until - timedelta(seconds=window_s)
        wanted = frozenset(t.lower() for t in tags) if tags else None
        tracked = {
            a: w
            for a, w in (await self.tracked_wallets(user_id)).items()
            if wanted is None or wanted & w.tags
        }
        addresses = sorted(tracked)
        rows: list[Any] = []
        buy = sell = fills = 0
        wallets: set[str] = set()
        buyers: set[str] = set()
        async with self._engine.connect() as conn:
            for part in _chunks(addresses, self._chunk):
                where = [
                    TRADES.c.trader.in_(part),
                    TRADES.c.block_time >= since,
                    TRADES.c.block_time <= until,
                ]
                if mint is not None:
                    where.append(TRADES.c.mint == mint)
                result = await conn.execute(
                    sa.select(TRADES)
                    .where(*where)
                    .order_by(TRADES.c.block_time.desc(), TRADES.c.slot.desc(), TRADES.c.id.desc())
                    .limit(offset + limit)
                )
                rows.extend(result)
                grouped = await conn.execute(
                    sa.select(
                        TRADES.c.trader,
                        TRADES.c.is_buy,
                        sa.func.count().label("fills"),
                        sa.func.sum(TRADES.c.sol_lamports, type_=sa.Numeric()).label("lamports"),
                    )
                    .where(*where)
                    .group_by(TRADES.c.trader, TRADES.c.is_buy)
                )
                for g in grouped:
                    lamports = int(g.lamports or 0)
                    fills += int(g.fills)
                    wallets.add(g.trader)
                    if g.is_buy:
                        buy += lamports
                        buyers.add(g.trader)
                    else:
                        sell += lamports
            rows.sort(key=lambda r: (r.block_time, r.slot, r.id), reverse=True)
            page = rows[offset : offset + limit]
            tokens = await _tokens(conn, sorted({r.mint for r in page}))
        return ActivityPage(
            rows=tuple(_activity_row(r, tracked[r.trader], tokens.get(r.mint)) for r in page),
            totals=ActivityTotals(buy, sell, len(wallets), len(buyers), fills),
            since=since,
            until=until,
            window_s=window_s,
            offset=offset,
            limit=limit,
            mint=mint,
            tags=wanted,
        )


async def _tokens(conn: AsyncConnection, mints: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in _chunks(mints):
        result = await conn.execute(
            sa.select(
                TOKENS.c.mint, TOKENS.c.symbol, TOKENS.c.supply_raw, TOKENS.c.decimals
            ).where(TOKENS.c.mint.in_(part))
        )
        out.update({row.mint: row for row in result})
    return out


def _activity_row(r: Any, wallet: TrackedWallet, token: Any | None) -> ActivityRow:
    supply = u64_from_db(token.supply_raw) if token is not None else None
    decimals = token.decimals if token is not None else None
    return ActivityRow(
        time=r.block_time,
        wallet=r.trader,
        alias=wallet.alias,
        tags=tuple(sorted(wallet.tags)),
        side=Side.BUY if r.is_buy else Side.SELL,
        price_sol=float(r.price_sol),
        market_cap_sol=market_cap_sol(
            price_sol=float(r.price_sol),
            pool=r.pool,
            virtual_sol_reserves=r.virtual_sol_reserves,
            virtual_token_reserves=r.virtual_token_reserves,
            supply_raw=supply,
            decimals=decimals,
        ),
        token_amount_raw=int(r.token_amount_raw),
        sol_lamports=int(r.sol_lamports),
        mint=r.mint,
        symbol=token.symbol if token is not None else None,
        decimals=decimals,
        signature=r.signature,
    )
