"""Mark prices for the order monitor: what a position's mint trades at now.

Sources, in order (per mint, one query for a whole batch):

1. the latest stored trade of the mint (``trades``, written by the live ingest) no older than
   ``max_age_s``: on the Pump.fun curve its *virtual* reserves (``vsol / vtok``); on a pool the
   pool reserves it carries (``real_sol_reserves / real_token_reserves``); else the trade's own
   fill (``sol_lamports / token_amount_raw``);
2. a pool created within ``max_age_s`` (``pools``: its reserves at creation, SOL side oriented);
3. a Jupiter quote selling ``quote_amount_raw`` of the token for SOL (``out / in``): a price
   that includes the route's fee and the price impact of that size — what selling would pay.

Nothing fresh and no route: no price (``None``); the monitor then evaluates only time-based
orders. Reserves are exact integers, so a ``Price`` is an exact fraction (see ``orders``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import UpstreamError
from core.programs import WSOL_MINT
from core.storage.db import DatabaseUrl
from core.storage.engine_owner import EngineOwner
from core.storage.models import Pool, Trade
from core.storage.types import u64_from_db
from core.trading.jupiter_client import JupiterClient
from core.trading.orders import Price

log = structlog.get_logger(__name__)

TRADES: sa.Table = Trade.__table__  # type: ignore[attr-defined]
POOLS: sa.Table = Pool.__table__  # type: ignore[attr-defined]
QUOTE_SLIPPAGE_BPS = 100  # a quote's slippage only sets its threshold; the price is outAmount

PRICE_LOOKUPS = Counter(
    "solsignals_order_price_lookups_total",
    "Mark prices looked up for the order monitor, by source (curve, pool, trade, pool_row, "
    "jupiter, none)",
    ["source"],
)
PRICE_SECONDS = Histogram(
    "solsignals_order_price_seconds",
    "Time to price one batch of mints for the order monitor",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)


class PriceSource(StrEnum):
    CURVE = "curve"
    POOL = "pool"
    TRADE = "trade"
    POOL_ROW = "pool_row"
    JUPITER = "jupiter"


@dataclass(frozen=True, slots=True)
class MarkPrice:
    mint: str
    price: Price
    source: PriceSource
    observed_at: datetime | None  # the trade's block time, the pool's creation, the quote's time
    liquidity_lamports: int | None  # SOL on the curve (real) or the pool side; None: unknown


def _positive(value: Any) -> int | None:
    number = u64_from_db(value)
    return number if number is not None and number > 0 else None


def price_of_trade(row: Any) -> MarkPrice | None:
    """The mark price a stored trade row gives (see the module docstring), or None."""
    if row.pool is None:
        vsol, vtok = _positive(row.virtual_sol_reserves), _positive(row.virtual_token_reserves)
        if vsol and vtok:
            return MarkPrice(
                row.mint,
                Price(vsol, vtok),
                PriceSource.CURVE,
                row.block_time,
                _positive(row.real_sol_reserves),
            )
    else:
        sol, tokens = _positive(row.real_sol_reserves), _positive(row.real_token_reserves)
        if sol and tokens:
            return MarkPrice(row.mint, Price(sol, tokens), PriceSource.POOL, row.block_time, sol)
    sol, tokens = _positive(row.sol_lamports), _positive(row.token_amount_raw)
    if sol and tokens:
        return MarkPrice(row.mint, Price(sol, tokens), PriceSource.TRADE, row.block_time, None)
    return None


def price_of_pool(row: Any, mint: str) -> MarkPrice | None:
    """A ``pools`` row's reserves, oriented so the token is priced in SOL, or None."""
    base, quote = _positive(row.base_reserve_raw), _positive(row.quote_reserve_raw)
    if not (base and quote):
        return None
    if row.base_mint == WSOL_MINT and row.quote_mint == mint:
        sol, tokens = base, quote
    elif row.quote_mint == WSOL_MINT and row.base_mint == mint:
        sol, tokens = quote, base
    else:
        return None
    return MarkPrice(mint, Price(sol, tokens), PriceSource.POOL_ROW, row.created_at, sol)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MarkPrices(EngineOwner):
    """Mark prices from the stored live stream, with a Jupiter quote fallback (``jupiter`` None:
    no fallback). Give a URL (owns its engine) or an engine you own."""

    def __init__(
        self,
        url: str | DatabaseUrl | None = None,
        *,
        engine: AsyncEngine | None = None,
        jupiter: JupiterClient | None = None,
        max_age_s: float = 60.0,
        quote_concurrency: int = 8,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(url, engine=engine)
        self._jupiter = jupiter
        self.max_age = timedelta(seconds=max_age_s)
        self._quotes = asyncio.Semaphore(max(1, quote_concurrency))
        self._clock = clock

    async def prices(self, quote_amounts: Mapping[str, int]) -> dict[str, MarkPrice]:
        """The mark price of each mint of ``quote_amounts`` (mint -> raw tokens a Jupiter
        fallback quote sells; usually what the positions hold) that has one."""
        started = time.perf_counter()
        mints = sorted(quote_amounts)
        found = await self._stored(mints)
        missing = [m for m in mints if m not in found and quote_amounts[m] > 0]
        if missing and self._jupiter is not None:
            quoted = await asyncio.gather(*(self._quote(m, quote_amounts[m]) for m in missing))
            found.update({q.mint: q for q in quoted if q is not None})
        for mint in mints:
            PRICE_LOOKUPS.labels(found[mint].source.value if mint in found else "none").inc()
        PRICE_SECONDS.observe(time.perf_counter() - started)
        return found

    async def _stored(self, mints: Sequence[str]) -> dict[str, MarkPrice]:
        if not mints:
            return {}
        since = self._clock() - self.max_age
        rank = (
            sa.func.row_number()
            .over(
                partition_by=TRADES.c.mint,
                order_by=(TRADES.c.block_time.desc(), TRADES.c.slot.desc(), TRADES.c.id.desc()),
            )
            .label("rank")
        )
        latest = (
            sa.select(TRADES, rank)
            .where(TRADES.c.mint.in_(mints), TRADES.c.block_time >= since)
            .subquery()
        )
        found: dict[str, MarkPrice] = {}
        async with self._engine.connect() as conn:
            for row in await conn.execute(sa.select(latest).where(latest.c.rank == 1)):
                mark = price_of_trade(row)
                if mark is not None:
                    found[row.mint] = mark
            rest = [m for m in mints if m not in found]
            if rest:
                pools = await conn.execute(
                    sa.select(POOLS)
                    .where(
                        sa.or_(POOLS.c.base_mint.in_(rest), POOLS.c.quote_mint.in_(rest)),
                        POOLS.c.created_at >= since,
                    )
                    .order_by(POOLS.c.created_at.desc())
                )
                for row in pools:
                    mint = row.quote_mint if row.base_mint == WSOL_MINT else row.base_mint
                    if mint in found or mint not in rest:
                        continue
                    mark = price_of_pool(row, mint)
                    if mark is not None:
                        found[mint] = mark
        return found

    async def _quote(self, mint: str, amount_raw: int) -> MarkPrice | None:
        assert self._jupiter is not None
        async with self._quotes:
            try:
                quote = await self._jupiter.quote(
                    mint, WSOL_MINT, amount_raw, slippage_bps=QUOTE_SLIPPAGE_BPS
                )
            except UpstreamError as exc:
                log.info("order_price_quote_failed", mint=mint, error=str(exc))
                return None
        if quote.out_amount_raw <= 0 or quote.in_amount_raw <= 0:
            return None
        return MarkPrice(
            mint,
            Price(quote.out_amount_raw, quote.in_amount_raw),
            PriceSource.JUPITER,
            self._clock(),
            None,
        )
