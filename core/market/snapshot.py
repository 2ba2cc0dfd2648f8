"""A token's market as the stored tables tell it now: what a signal card shows besides the signal.

``TokenSnapshots.snapshot(mint)`` reads, as of the reader's clock:

- from ``tokens``: name, symbol, creation time, decimals, supply, curve completion;
- from the mint's newest trade at or before now (``trades``, the (mint, block_time) index): the
  last price (``price_sol`` as stored), the reserves after it and whether it was on the curve;
- from ``pools`` (oriented: the token as base, SOL as quote) the reserves of the pool when the
  newest trade was a pool trade that carried none, or when the mint has no trade yet;
- the SOL traded over the last ``VOLUME_WINDOW_S`` seconds (sum of ``trades.sol_lamports``);
- the close of every 1-minute candle (``ticks``, interval 60) of the last ``SERIES_WINDOW_S``
  seconds, oldest first, for a sparkline;
- tracked wallets' buys of the mint over the last ``SMART_WINDOW_S`` seconds, newest first (at
  most ``MAX_LIMIT``), with the wallet's alias: the featured and community lists, as
  ``core.signals.activity.SmartActivity`` tracks them (a join with ``wallets``, so the list is
  never loaded in Python).

Two queries in all (the token, newest trade and volume in one row; the candles and the smart buys
in one ``UNION ALL``), a third only when the pool's reserves must be read. The statements are
built once with bound parameters, so SQLAlchemy compiles each once per dialect.

Market cap (integer lamports, fully diluted, floored): on the curve ``supply * vsol // vtok``
(``curve.market_cap_sol`` x 1e9: the price per raw unit is vsol / vtok lamports); in a pool
``supply * sol_reserve // token_reserve`` (``amm.market_cap_sol`` x 1e9); with no reserves, last
price x supply. The supply is ``tokens.supply_raw``, else Pump.fun's fixed 1e9 tokens for a token
launched on a bonding curve (on it or migrated), else unknown (no market cap). Liquidity is the
SOL the curve holds (real reserves) or the pool's SOL side; USD figures count both sides
(``amm.liquidity_usd``). Curve progress (``curve.curve_progress_pct``) only while on the curve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.market import curve
from core.programs import LAMPORTS_PER_SOL, WSOL_MINT
from core.signals.activity import MAX_LIMIT
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import ListKind, Pool, Tick, Token, Trade, Wallet
from core.storage.types import U64, UtcDateTime, u64_from_db

TOKENS: sa.Table = Token.__table__  # type: ignore[attr-defined]
TRADES: sa.Table = Trade.__table__  # type: ignore[attr-defined]
TICKS: sa.Table = Tick.__table__  # type: ignore[attr-defined]
POOLS: sa.Table = Pool.__table__  # type: ignore[attr-defined]
WALLETS: sa.Table = Wallet.__table__  # type: ignore[attr-defined]

VOLUME_WINDOW_S = 300
SERIES_WINDOW_S = 3600
SERIES_INTERVAL_S = 60
SMART_WINDOW_S = 900
LABELS_CHUNK = 500
_CLOSE, _BUY = "close", "buy"  # the two kinds of rows of SERIES_QUERY


@dataclass(frozen=True, slots=True)
class PricePoint:
    at: datetime  # the candle's start, UTC
    price_sol: float  # its close, SOL per whole token


@dataclass(frozen=True, slots=True)
class SmartBuyFill:
    """A tracked wallet's buy of the mint."""

    wallet: str
    alias: str | None
    lamports: int
    at: datetime


@dataclass(frozen=True, slots=True)
class TokenLabel:
    """What a list line needs of a token."""

    mint: str
    symbol: str | None
    name: str | None
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class TokenSnapshot:
    """A mint's market at ``at``. Fields are None when the tables do not know them."""

    mint: str
    at: datetime
    name: str | None = None
    symbol: str | None = None
    created_at: datetime | None = None
    decimals: int | None = None
    supply_raw: int | None = None  # tokens.supply_raw, or Pump.fun's fixed supply
    on_curve: bool | None = None  # None: no token row, no trade and no pool known
    pool: str | None = None
    last_trade_at: datetime | None = None
    price_sol: float | None = None
    market_cap_lamports: int | None = None
    liquidity_lamports: int | None = None  # SOL in the curve / the pool's SOL side
    curve_progress_pct: float | None = None
    volume_5m_lamports: int = 0
    prices: tuple[PricePoint, ...] = ()  # 1-minute closes, oldest first
    smart_buys: tuple[SmartBuyFill, ...] = ()  # newest first

    @property
    def known(self) -> bool:
        """Whether any table knows the mint (a token row, a trade, a pool or a candle)."""
        return self.on_curve is not None or self.price_sol is not None or bool(self.prices)


@dataclass(frozen=True, slots=True)
class _Reserves:
    sol_lamports: int
    token_raw: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _positive(value: Any) -> int | None:
    number = u64_from_db(value)
    return number if number is not None and number > 0 else None


def market_cap_lamports(
    *,
    on_curve: bool,
    virtual_sol_reserves: int | None,
    virtual_token_reserves: int | None,
    pool_reserves: tuple[int, int] | None,  # (SOL lamports, raw tokens)
    price_sol: float | None,
    supply_raw: int | None,
    decimals: int | None,
) -> int | None:
    """Fully diluted market cap in lamports (see the module docstring), None when unknown."""
    if on_curve and virtual_sol_reserves and virtual_token_reserves:
        supply = supply_raw or curve.TOKEN_TOTAL_SUPPLY_RAW
        return supply * virtual_sol_reserves // virtual_token_reserves
    if supply_raw is None:
        return None
    if pool_reserves is not None:
        sol_lamports, token_raw = pool_reserves
        return supply_raw * sol_lamports // token_raw
    if price_sol is None:
        return None
    dec = decimals if decimals is not None else curve.TOKEN_DECIMALS
    return int(price_sol * supply_raw / 10**dec * LAMPORTS_PER_SOL)


# ---- the statements (built once; values are bound per call) ------------------------------------

_MINT = sa.bindparam("mint", type_=sa.String())
_NOW = sa.bindparam("now", type_=UtcDateTime())
_VOLUME_SINCE = sa.bindparam("volume_since", type_=UtcDateTime())
_SERIES_SINCE = sa.bindparam("series_since", type_=UtcDateTime())
_SMART_SINCE = sa.bindparam("smart_since", type_=UtcDateTime())
_NEWEST_FIRST = (TRADES.c.block_time.desc(), TRADES.c.slot.desc(), TRADES.c.id.desc())

_LAST_TRADE = (
    sa.select(
        TRADES.c.block_time,
        TRADES.c.price_sol,
        TRADES.c.pool,
        TRADES.c.virtual_sol_reserves,
        TRADES.c.virtual_token_reserves,
        TRADES.c.real_sol_reserves,
        TRADES.c.real_token_reserves,
    )
    .where(TRADES.c.mint == _MINT, TRADES.c.block_time <= _NOW)
    .order_by(*_NEWEST_FIRST)
    .limit(1)
    .subquery("last_trade")
)
_VOLUME = (
    sa.select(sa.func.sum(TRADES.c.sol_lamports, type_=sa.Numeric()))
    .where(
        TRADES.c.mint == _MINT,
        TRADES.c.block_time >= _VOLUME_SINCE,
        TRADES.c.block_time <= _NOW,
    )
    .scalar_subquery()
)
_ONE_ROW = sa.select(sa.literal(1).label("one")).subquery("one_row")
# One row: the token (NULLs when unknown), the newest trade (NULLs when none), the volume.
MARKET_QUERY = sa.select(
    TOKENS.c.mint.label("token_mint"),
    TOKENS.c.name,
    TOKENS.c.symbol,
    TOKENS.c.created_at,
    TOKENS.c.decimals,
    TOKENS.c.supply_raw,
    TOKENS.c.bonding_curve,
    TOKENS.c.complete,
    _LAST_TRADE.c.block_time.label("trade_at"),
    _LAST_TRADE.c.price_sol,
    _LAST_TRADE.c.pool,
    _LAST_TRADE.c.virtual_sol_reserves,
    _LAST_TRADE.c.virtual_token_reserves,
    _LAST_TRADE.c.real_sol_reserves,
    _LAST_TRADE.c.real_token_reserves,
    _VOLUME.label("volume"),
).select_from(_ONE_ROW.outerjoin(TOKENS, TOKENS.c.mint == _MINT).outerjoin(_LAST_TRADE, sa.true()))

_SMART_BUYS = (
    sa.select(
        sa.literal(_BUY, sa.String()).label("kind"),
        TRADES.c.block_time.label("at"),
        sa.cast(sa.null(), sa.Double()).label("close"),
        TRADES.c.sol_lamports.label("lamports"),
        TRADES.c.trader.label("wallet"),
        WALLETS.c.alias,
        TRADES.c.slot,
        TRADES.c.id,
    )
    .select_from(TRADES.join(WALLETS, WALLETS.c.address == TRADES.c.trader))
    .where(
        TRADES.c.mint == _MINT,
        TRADES.c.block_time >= _SMART_SINCE,
        TRADES.c.block_time <= _NOW,
        TRADES.c.is_buy.is_(True),
        WALLETS.c.list_kind != ListKind.MINE.value,  # featured and community lists
    )
    .order_by(*_NEWEST_FIRST)
    .limit(MAX_LIMIT)
    .subquery("smart_buys")
)
# The minute closes of the last hour and the tracked wallets' buys, in one result.
SERIES_QUERY = sa.union_all(
    sa.select(
        sa.literal(_CLOSE, sa.String()).label("kind"),
        TICKS.c.bucket_start.label("at"),
        TICKS.c.close_price_sol.label("close"),
        sa.cast(sa.null(), U64()).label("lamports"),
        sa.cast(sa.null(), sa.String()).label("wallet"),
        sa.cast(sa.null(), sa.String()).label("alias"),
        sa.cast(sa.null(), sa.BigInteger()).label("slot"),
        sa.cast(sa.null(), sa.BigInteger()).label("id"),
    ).where(
        TICKS.c.mint == _MINT,
        TICKS.c.interval_s == SERIES_INTERVAL_S,
        TICKS.c.bucket_start >= _SERIES_SINCE,
        TICKS.c.bucket_start <= _NOW,
    ),
    sa.select(_SMART_BUYS),
)


@dataclass(frozen=True, slots=True)
class _Trade:
    """The fields of the mint's newest trade a snapshot uses."""

    block_time: datetime
    price_sol: float
    pool: str | None
    virtual_sol_reserves: int | None
    virtual_token_reserves: int | None
    real_sol_reserves: int | None
    real_token_reserves: int | None


class TokenSnapshots(EngineOwner):
    """Give a URL (owns its engine) or an engine you own; ``clock`` is "now"."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(url, engine=engine)
        self._clock = clock

    async def snapshot(self, mint: str) -> TokenSnapshot:
        """Two queries (the market row; the candles and smart buys), plus the pool's row when
        the newest trade carried no reserves or there is no trade."""
        now = self._clock()
        params = {
            "mint": mint,
            "now": now,
            "volume_since": now - timedelta(seconds=VOLUME_WINDOW_S),
            "series_since": now - timedelta(seconds=SERIES_WINDOW_S),
            "smart_since": now - timedelta(seconds=SMART_WINDOW_S),
        }
        async with self._engine.connect() as conn:
            row = (await conn.execute(MARKET_QUERY, params)).one()
            series = (await conn.execute(SERIES_QUERY, params)).all()
            trade = None
            if row.trade_at is not None:
                trade = _Trade(
                    row.trade_at,
                    float(row.price_sol),
                    row.pool,
                    u64_from_db(row.virtual_sol_reserves),
                    u64_from_db(row.virtual_token_reserves),
                    u64_from_db(row.real_sol_reserves),
                    u64_from_db(row.real_token_reserves),
                )
            pool_name, pool_reserves = await _pool(conn, mint, trade)
        token = row if row.token_mint is not None else None
        closes = sorted((r for r in series if r.kind == _CLOSE), key=lambda r: r.at)
        prices = tuple(PricePoint(r.at, float(r.close)) for r in closes)
        buys = sorted(
            (r for r in series if r.kind == _BUY), key=lambda r: (r.at, r.slot, r.id), reverse=True
        )
        smart = tuple(
            SmartBuyFill(r.wallet, r.alias, u64_from_db(r.lamports) or 0, r.at) for r in buys
        )
        return _snapshot(
            mint, now, token, trade, pool_name, pool_reserves, int(row.volume or 0), prices, smart
        )

    async def labels(self, mints: Sequence[str]) -> dict[str, TokenLabel]:
        """Symbol, name and creation time of the known ``mints``."""
        out: dict[str, TokenLabel] = {}
        wanted = sorted(set(mints))
        async with self._engine.connect() as conn:
            for start in range(0, len(wanted), LABELS_CHUNK):
                result = await conn.execute(
                    sa.select(
                        TOKENS.c.mint, TOKENS.c.symbol, TOKENS.c.name, TOKENS.c.created_at
                    ).where(TOKENS.c.mint.in_(wanted[start : start + LABELS_CHUNK]))
                )
                for row in result:
                    out[row.mint] = TokenLabel(row.mint, row.symbol, row.name, row.created_at)
        return out


async def _pool(
    conn: AsyncConnection, mint: str, trade: _Trade | None
) -> tuple[str | None, _Reserves | None]:
    """The mint's pool and its reserves, the token oriented as base (see the docstring)."""
    if trade is not None and trade.pool is None:
        return None, None  # still on the curve
    if trade is not None:
        sol_res = _positive(trade.real_sol_reserves)
        token_res = _positive(trade.real_token_reserves)
        if sol_res and token_res:
            return trade.pool, _Reserves(sol_res, token_res)
        where = POOLS.c.pool == trade.pool
    else:
        where = sa.or_(
            sa.and_(POOLS.c.base_mint == mint, POOLS.c.quote_mint == WSOL_MINT),
            sa.and_(POOLS.c.quote_mint == mint, POOLS.c.base_mint == WSOL_MINT),
        )
    row = (
        await conn.execute(
            sa.select(POOLS)
            .where(where)
            .order_by(POOLS.c.created_at.desc(), POOLS.c.pool)
            .limit(1)
        )
    ).first()
    if row is None:
        return (trade.pool if trade is not None else None), None
    base, quote = _positive(row.base_reserve_raw), _positive(row.quote_reserve_raw)
    if not (base and quote):
        return row.pool, None
    if row.base_mint == WSOL_MINT and row.quote_mint == mint:
        return row.pool, _Reserves(sol_lamports=base, token_raw=quote)
    return row.pool, _Reserves(sol_lamports=quote, token_raw=base)


def _on_curve_trade(trade: Any | None) -> bool:
    return trade is not None and trade.pool is None


def _snapshot(
    mint: str,
    now: datetime,
    token: Any | None,
    trade: Any | None,
    pool_name: str | None,
    pool_reserves: _Reserves | None,
    volume_lamports: int,
    prices: tuple[PricePoint, ...],
    smart: tuple[SmartBuyFill, ...],
) -> TokenSnapshot:
    supply = u64_from_db(token.supply_raw) if token is not None else None
    if supply is None and ((token is not None and token.bonding_curve) or _on_curve_trade(trade)):
        supply = curve.TOKEN_TOTAL_SUPPLY_RAW
    decimals = token.decimals if token is not None else None
    complete = bool(token.complete) if token is not None else False
    if trade is not None:
        on_curve: bool | None = trade.pool is None and not complete
    elif pool_name is not None or complete:
        on_curve = False
    else:
        on_curve = True if token is not None else None

    vsol = vtok = real_token = real_sol = None
    if trade is not None and trade.pool is None:
        vsol = _positive(trade.virtual_sol_reserves)
        vtok = _positive(trade.virtual_token_reserves)
        real_token = u64_from_db(trade.real_token_reserves)
        real_sol = u64_from_db(trade.real_sol_reserves)

    price: float | None = float(trade.price_sol) if trade is not None else None
    if price is None and pool_reserves is not None:
        dec = decimals if decimals is not None else curve.TOKEN_DECIMALS
        price = pool_reserves.sol_lamports * 10**dec / (pool_reserves.token_raw * LAMPORTS_PER_SOL)
    if price is None and prices:
        price = prices[-1].price_sol

    if on_curve:
        liquidity = real_sol
        progress = curve.curve_progress_pct(real_token) if real_token is not None else None
    else:
        liquidity = pool_reserves.sol_lamports if pool_reserves is not None else None
        progress = None
    return TokenSnapshot(
        mint=mint,
        at=now,
        name=token.name if token is not None else None,
        symbol=token.symbol if token is not None else None,
        created_at=token.created_at if token is not None else None,
        decimals=decimals,
        supply_raw=supply,
        on_curve=on_curve,
        pool=None if on_curve else pool_name,
        last_trade_at=trade.block_time if trade is not None else None,
        price_sol=price,
        market_cap_lamports=market_cap_lamports(
            on_curve=bool(on_curve),
            virtual_sol_reserves=vsol,
            virtual_token_reserves=vtok,
            pool_reserves=(
                (pool_reserves.sol_lamports, pool_reserves.token_raw)
                if pool_reserves is not None
                else None
            ),
            price_sol=price,
            supply_raw=supply,
            decimals=decimals,
        ),
        liquidity_lamports=liquidity,
        curve_progress_pct=progress,
        volume_5m_lamports=volume_lamports,
        prices=prices,
        smart_buys=smart,
    )
