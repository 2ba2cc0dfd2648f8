"""TokenSnapshots on PostgreSQL and SQLite: hand-made tokens, trades, candles and pools, and the
figures a signal card shows, computed by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from solders.pubkey import Pubkey

from core.market.snapshot import PricePoint, SmartBuyFill, TokenSnapshots
from core.programs import WSOL_MINT, Program
from core.storage.models import ListKind
from core.storage.records import CurveCompleteRecord, MintRecord, PoolRecord, TickRecord
from core.storage.writer import BatchWriter
from core.wallets.registry import WalletRegistry
from tests.core.signals.factories import SOL, trade


def address(n: int) -> str:
    return str(Pubkey(bytes([n]) * 32))


WHALE, KOL, KOL2, OUTSIDER = (address(n) for n in (1, 2, 3, 4))
CURVE_MINT, POOL_MINT, BARE_POOL_MINT, SILENT_MINT, UNKNOWN, MIGRATED = (
    address(n) for n in (10, 11, 12, 13, 14, 15)
)
T_NOW = 1_754_000_400  # a multiple of 60: candles start on the minute
NOW = datetime.fromtimestamp(T_NOW, UTC)

# On the curve after 273M tokens were bought: 40 SOL / 800M tokens virtual, 10 SOL real.
VSOL, VTOK = 40 * SOL, 800_000_000_000_000
REAL_SOL, REAL_TOKEN = 10 * SOL, 793_100_000_000_000 - 273_000_000_000_000
LAST_PRICE = 5e-8  # SOL per whole token: 40 / 800M


def curve_trade(dt: int, trader: str, sol: float, *, buy: bool = True, mint: str = CURVE_MINT):
    return trade(
        t=T_NOW + dt,
        trader=trader,
        sol=sol,
        buy=buy,
        mint=mint,
        vsol=VSOL,
        vtok=VTOK,
        real_sol=REAL_SOL,
        real_token=REAL_TOKEN,
        price=LAST_PRICE,
    )


def tick(mint: str, dt: int, close: float, interval_s: int = 60) -> TickRecord:
    return TickRecord(mint, interval_s, T_NOW + dt, close, close, close, close, SOL, 1, 0, SOL)


def mint_record(mint: str, symbol: str, *, created: int, supply_raw: int | None) -> MintRecord:
    return MintRecord(
        mint,
        symbol.title(),
        symbol,
        "",
        address(20),
        f"curve-{symbol}",
        created,
        1,
        f"create-{symbol}",
        supply_raw=supply_raw,
    )


@pytest.fixture
async def snapshots(db_url: str) -> AsyncIterator[TokenSnapshots]:
    async with WalletRegistry(db_url) as registry:
        await registry.add(WHALE, alias="whale1", tags=["whale"], kind=ListKind.COMMUNITY)
        await registry.add(KOL, alias="kol_ana", tags=["kol"], kind=ListKind.FEATURED)
        await registry.add(KOL2, alias=None, tags=["kol"], kind=ListKind.FEATURED)
    async with BatchWriter(db_url) as writer:
        await writer.add(mint_record(CURVE_MINT, "PEPE2", created=T_NOW - 240, supply_raw=None))
        await writer.add_many(
            [
                curve_trade(-1000, WHALE, 7.0),  # 16m40s ago: outside the smart window
                curve_trade(-600, OUTSIDER, 2.0),  # 10m ago: outside the 5m volume
                curve_trade(-200, WHALE, 3.0),
                curve_trade(-100, OUTSIDER, 1.5, buy=False),
                curve_trade(-50, KOL2, 0.25, buy=False),  # a tracked wallet's sell
                curve_trade(-30, KOL, 0.5),
                trade(t=T_NOW + 60, trader=KOL, sol=9.0, mint=CURVE_MINT, price=1.0),  # future
            ]
        )
        await writer.add_many(
            [
                tick(CURVE_MINT, -3660, 1.0),  # 61 minutes ago: too old
                tick(CURVE_MINT, -3600, 3e-8),
                tick(CURVE_MINT, -120, 4e-8),
                tick(CURVE_MINT, -60, 5e-8),
                tick(CURVE_MINT, -60, 9.0, interval_s=1),  # 1-second candles are not the series
                tick(CURVE_MINT, 60, 9.0),  # after now
                tick(POOL_MINT, -60, 7.0),
            ]
        )
        # Migrated: a pool trade carrying the pool's reserves (90 SOL / 180M tokens).
        await writer.add(mint_record(POOL_MINT, "BONK2", created=T_NOW - 7200, supply_raw=10**15))
        await writer.add(CurveCompleteRecord(POOL_MINT, "curve-BONK2", T_NOW - 3000, 1, "done"))
        await writer.add(
            PoolRecord(
                "pool-b",
                Program.PUMP_AMM,
                POOL_MINT,
                WSOL_MINT,
                T_NOW - 3000,
                1,
                "p",
                None,
                None,
                200_000_000_000_000,
                80 * SOL,
            )
        )
        await writer.add(
            trade(
                t=T_NOW - 10,
                trader=WHALE,
                sol=2.0,
                mint=POOL_MINT,
                vsol=None,
                vtok=None,
                real_sol=90 * SOL,
                real_token=180_000_000_000_000,
                pool="pool-b",
                price=5e-7,
            )
        )
        # A Raydium pool storing SOL as its base side, no trade yet: 60 SOL / 300M tokens.
        await writer.add(
            mint_record(BARE_POOL_MINT, "RAY2", created=T_NOW - 9000, supply_raw=10**15)
        )
        await writer.add(
            PoolRecord(
                "pool-r",
                Program.RAYDIUM_CPMM,
                WSOL_MINT,
                BARE_POOL_MINT,
                T_NOW - 100,
                1,
                "r",
                None,
                None,
                60 * SOL,
                300_000_000_000_000,
            )
        )
        # A Pump.fun launch whose supply was never read, migrated: 1e9 tokens (fixed supply).
        await writer.add(mint_record(MIGRATED, "MIG", created=T_NOW - 5000, supply_raw=None))
        await writer.add(
            trade(
                t=T_NOW - 20,
                trader=OUTSIDER,
                sol=1.0,
                mint=MIGRATED,
                vsol=None,
                vtok=None,
                real_sol=45 * SOL,
                real_token=90_000_000_000_000,
                pool="pool-m",
                price=5e-7,
            )
        )
        # Launched, never traded.
        await writer.add(mint_record(SILENT_MINT, "QUIET", created=T_NOW - 30, supply_raw=None))
    async with TokenSnapshots(db_url, clock=lambda: NOW) as reader:
        yield reader


async def test_a_curve_token_shows_price_cap_liquidity_progress_and_recent_volume(
    snapshots: TokenSnapshots,
) -> None:
    snap = await snapshots.snapshot(CURVE_MINT)
    assert (snap.symbol, snap.name) == ("PEPE2", "Pepe2")
    assert snap.created_at == NOW - timedelta(seconds=240)
    assert snap.on_curve is True and snap.pool is None
    assert snap.last_trade_at == NOW - timedelta(seconds=30)  # the future trade is not "now"
    assert snap.price_sol == LAST_PRICE
    # 1e9 tokens (Pump.fun supply) x 40 SOL / 800M tokens = 50 SOL
    assert snap.market_cap_lamports == 50 * SOL
    assert snap.liquidity_lamports == 10 * SOL
    assert snap.curve_progress_pct == pytest.approx(100 * 273 / 793.1)
    # 3 (whale buy) + 1.5 (outsider sell) + 0.25 (kol2 sell) + 0.5 (kol buy) in the last 5 min
    assert snap.volume_5m_lamports == 5_250_000_000


async def test_the_price_series_is_the_last_hour_of_minute_closes_oldest_first(
    snapshots: TokenSnapshots,
) -> None:
    snap = await snapshots.snapshot(CURVE_MINT)
    assert snap.prices == (
        PricePoint(NOW - timedelta(minutes=60), 3e-8),
        PricePoint(NOW - timedelta(minutes=2), 4e-8),
        PricePoint(NOW - timedelta(minutes=1), 5e-8),
    )


async def test_smart_buys_are_tracked_wallets_buys_of_the_last_15_minutes_newest_first(
    snapshots: TokenSnapshots,
) -> None:
    snap = await snapshots.snapshot(CURVE_MINT)
    assert snap.smart_buys == (
        SmartBuyFill(KOL, "kol_ana", 500_000_000, NOW - timedelta(seconds=30)),
        SmartBuyFill(WHALE, "whale1", 3 * SOL, NOW - timedelta(seconds=200)),
    )


async def test_a_migrated_token_uses_its_pool_reserves_and_has_no_curve_progress(
    snapshots: TokenSnapshots,
) -> None:
    snap = await snapshots.snapshot(POOL_MINT)
    assert snap.on_curve is False and snap.pool == "pool-b"
    # 1e15 raw supply x 90 SOL / 180e12 raw tokens = 500 SOL
    assert snap.market_cap_lamports == 500 * SOL
    assert snap.liquidity_lamports == 90 * SOL
    assert snap.curve_progress_pct is None
    assert snap.price_sol == 5e-7
    assert snap.volume_5m_lamports == 2 * SOL
    assert snap.prices == (PricePoint(NOW - timedelta(minutes=1), 7.0),)
    assert [b.alias for b in snap.smart_buys] == ["whale1"]


async def test_a_migrated_pump_fun_token_of_unknown_supply_has_the_fixed_supply(
    snapshots: TokenSnapshots,
) -> None:
    snap = await snapshots.snapshot(MIGRATED)
    assert snap.on_curve is False and snap.pool == "pool-m"
    assert snap.supply_raw == 10**15
    # 1e15 raw supply x 45 SOL / 90e12 raw tokens = 500 SOL
    assert snap.market_cap_lamports == 500 * SOL
    assert snap.liquidity_lamports == 45 * SOL


async def test_a_pool_without_trades_is_read_with_sol_on_either_side(
    snapshots: TokenSnapshots,
) -> None:
    snap = await snapshots.snapshot(BARE_POOL_MINT)
    assert snap.on_curve is False and snap.pool == "pool-r"
    # 1e15 raw supply x 60 SOL / 300e12 raw tokens = 200 SOL; price 60 / 300M = 2e-7 SOL
    assert snap.market_cap_lamports == 200 * SOL
    assert snap.liquidity_lamports == 60 * SOL
    assert snap.price_sol == pytest.approx(2e-7)
    assert snap.last_trade_at is None and snap.volume_5m_lamports == 0


async def test_a_launched_token_without_trades_is_on_the_curve_with_no_figures(
    snapshots: TokenSnapshots,
) -> None:
    snap = await snapshots.snapshot(SILENT_MINT)
    assert snap.known and snap.on_curve is True
    assert snap.symbol == "QUIET"
    assert (snap.price_sol, snap.market_cap_lamports, snap.liquidity_lamports) == (None,) * 3
    assert snap.curve_progress_pct is None and snap.prices == () and snap.smart_buys == ()


async def test_an_unknown_mint_gives_an_empty_snapshot(snapshots: TokenSnapshots) -> None:
    snap = await snapshots.snapshot(UNKNOWN)
    assert not snap.known
    assert snap.on_curve is None and snap.symbol is None and snap.market_cap_lamports is None
    assert snap.volume_5m_lamports == 0


async def test_labels_name_the_known_mints_only(snapshots: TokenSnapshots) -> None:
    labels = await snapshots.labels([CURVE_MINT, POOL_MINT, UNKNOWN, CURVE_MINT])
    assert set(labels) == {CURVE_MINT, POOL_MINT}
    assert labels[POOL_MINT].symbol == "BONK2"
    assert labels[CURVE_MINT].created_at == NOW - timedelta(seconds=240)
