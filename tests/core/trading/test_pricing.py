"""Mark prices: the latest stored trade's curve or pool reserves, a fresh pool, else a Jupiter
quote of the held amount."""

from __future__ import annotations

from datetime import UTC, datetime

from core.market.amm import sell_quote
from core.programs import WSOL_MINT
from core.storage.writer import BatchWriter
from core.trading.orders import Price
from core.trading.pricing import MarkPrices, PriceSource
from tests.core.signals.factories import T0, pool, trade
from tests.core.trading.conftest import FEE_BPS, POOL_SOL, POOL_TOKENS, Desk

CURVE_MINT = "Curve11111111111111111111111111111111111pump"
POOL_MINT = "PoolMint1111111111111111111111111111111pump"
FRESH_MINT = "Fresh111111111111111111111111111111111pump"
STALE_MINT = "Stale111111111111111111111111111111111pump"
NOW = datetime.fromtimestamp(T0 + 30, UTC)


async def store(url: str, *records: object) -> None:
    async with BatchWriter(url) as writer:
        await writer.add_many(records)  # type: ignore[arg-type]


async def test_curve_and_pool_trades_price_from_their_reserves(db_url: str) -> None:
    await store(
        db_url,
        trade(t=T0, mint=CURVE_MINT, vsol=31_000_000_000, vtok=1_000_000_000_000_000),
        trade(t=T0 + 20, mint=CURVE_MINT, vsol=32_000_000_000, vtok=990_000_000_000_000),
        trade(
            t=T0 + 10,
            mint=POOL_MINT,
            pool="pool1",
            vsol=None,
            vtok=None,
            real_sol=85_000_000_000,
            real_token=200_000_000_000_000,
        ),
    )
    prices = MarkPrices(db_url, clock=lambda: NOW)

    marks = await prices.prices({CURVE_MINT: 1_000, POOL_MINT: 1_000})

    curve = marks[CURVE_MINT]
    assert curve.source is PriceSource.CURVE
    assert curve.price == Price(32_000_000_000, 990_000_000_000_000)  # the latest trade
    assert marks[POOL_MINT].price == Price(85_000_000_000, 200_000_000_000_000)
    assert marks[POOL_MINT].source is PriceSource.POOL
    assert marks[POOL_MINT].liquidity_lamports == 85_000_000_000
    await prices.aclose()


async def test_a_stale_trade_gives_no_price_without_a_quote_fallback(db_url: str) -> None:
    await store(db_url, trade(t=T0 - 600, mint=STALE_MINT))
    prices = MarkPrices(db_url, clock=lambda: NOW, max_age_s=60)
    assert await prices.prices({STALE_MINT: 1_000}) == {}
    await prices.aclose()


async def test_a_fresh_pool_prices_its_token_with_the_sol_side_oriented(db_url: str) -> None:
    await store(db_url, pool(mint=FRESH_MINT, sol_res=40_000_000_000, token_res=5_000_000, t=T0))
    prices = MarkPrices(db_url, clock=lambda: NOW)
    mark = (await prices.prices({FRESH_MINT: 1}))[FRESH_MINT]
    assert mark.source is PriceSource.POOL_ROW
    assert mark.price == Price(40_000_000_000, 5_000_000)
    assert WSOL_MINT not in await prices.prices({WSOL_MINT: 1})
    await prices.aclose()


async def test_without_stored_trades_jupiter_quotes_selling_the_held_amount(desk: Desk) -> None:
    prices = MarkPrices(desk.db_url, jupiter=desk.jupiter)
    held = 5_000_000_000
    unknown = str(desk.node.create_mint(6))  # a mint without a pool: no route

    marks = await prices.prices({str(desk.mint): held, unknown: held})

    mark = marks[str(desk.mint)]
    assert mark.source is PriceSource.JUPITER
    assert mark.price == Price(sell_quote(held, POOL_TOKENS, POOL_SOL, FEE_BPS), held)
    assert unknown not in marks
    await prices.aclose()
