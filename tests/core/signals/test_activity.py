"""Smart Activity on PostgreSQL and SQLite: hand-made trades of tracked and untracked wallets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from solders.pubkey import Pubkey

from core.market import curve
from core.signals.activity import ActivityPage, Side, SmartActivity
from core.storage.db import create_engine
from core.storage.migrate import upgrade
from core.storage.models import ListKind, User
from core.storage.records import MintRecord, TradeRecord
from core.storage.writer import BatchWriter
from core.wallets.registry import WalletRegistry
from tests.core.signals.factories import SOL, T0, trade


def address(n: int) -> str:
    return str(Pubkey(bytes([n]) * 32))


WHALE, KOL, KOL2, OUTSIDER, PRIVATE = (address(n) for n in (1, 2, 3, 4, 5))
MINT_A, MINT_B = address(10), address(11)
NOW = datetime.fromtimestamp(T0 + 600, UTC)
VSOL, VTOK = 40 * SOL, 800_000_000_000_000
POOL_PRICE = 4e-7


def curve_fill(t: int, trader: str, sol: float, *, buy: bool = True) -> TradeRecord:
    return trade(
        t=T0 + t,
        trader=trader,
        sol=sol,
        buy=buy,
        mint=MINT_A,
        vsol=VSOL,
        vtok=VTOK,
        price=curve.price_sol(VSOL, VTOK),
    )


FILLS = [
    curve_fill(590, WHALE, 10.0),
    curve_fill(595, OUTSIDER, 50.0),  # not tracked
    curve_fill(585, PRIVATE, 4.0),  # only user 1 watches it
    curve_fill(580, KOL, 3.0),
    curve_fill(570, KOL2, 2.0, buy=False),
    trade(
        t=T0 + 560,
        trader=KOL,
        sol=1.0,
        mint=MINT_B,
        vsol=None,
        vtok=None,
        real_sol=None,
        pool="pool1",
        price=POOL_PRICE,
    ),
    curve_fill(-100, WHALE, 7.0),  # 11m40s before NOW
]


@pytest.fixture
async def db_url(empty_db_url: str) -> str:
    url = empty_db_url
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(User.__table__), [{"id": 1, "settings": {}}])  # type: ignore[attr-defined]
    finally:
        await engine.dispose()
    async with WalletRegistry(url) as registry:
        await registry.add(WHALE, alias="whale1", tags=["whale"], kind=ListKind.COMMUNITY)
        await registry.add(KOL, alias="kol_ana", tags=["kol"], kind=ListKind.FEATURED)
        await registry.add(KOL2, alias="kol_bob", tags=["kol"], kind=ListKind.FEATURED)
        await registry.add(PRIVATE, alias="my_guy", tags=["friend"], kind=ListKind.MINE, user_id=1)
        await registry.add(WHALE, alias="big_fish", tags=["fav"], kind=ListKind.MINE, user_id=1)
    async with BatchWriter(url) as writer:
        for mint, symbol in ((MINT_A, "PEPE2"), (MINT_B, "BONK2")):
            await writer.add(
                MintRecord(
                    mint,
                    symbol.title(),
                    symbol,
                    "",
                    address(20),
                    "curve",
                    T0 - 3600,
                    1,
                    f"create-{symbol}",
                    decimals=6,
                    supply_raw=10**15,
                )
            )
        await writer.add_many(FILLS)
    return url


@pytest.fixture(params=[500, 1], ids=["one-query", "chunked"])
async def activity(db_url: str, request: pytest.FixtureRequest) -> AsyncIterator[SmartActivity]:
    async with SmartActivity(db_url, clock=lambda: NOW, chunk=request.param) as a:
        yield a


async def _page(activity: SmartActivity, **kw: object) -> ActivityPage:
    args: dict[str, object] = {"mint": None, "tags": None, "window_s": 600, "limit": 10}
    return await activity.smart_activity(**{**args, **kw})  # type: ignore[arg-type]


def _who(page: ActivityPage) -> list[str | None]:
    return [row.alias for row in page.rows]


async def test_rows_are_tracked_fills_in_the_window_newest_first(activity: SmartActivity) -> None:
    page = await _page(activity)
    assert _who(page) == ["whale1", "kol_ana", "kol_bob", "kol_ana"]
    whale = page.rows[0]
    assert (whale.wallet, whale.side, whale.mint, whale.symbol, whale.decimals) == (
        WHALE,
        Side.BUY,
        MINT_A,
        "PEPE2",
        6,
    )
    assert whale.time == datetime.fromtimestamp(T0 + 590, UTC)
    assert whale.tags == ("whale",)
    assert whale.sol_lamports == 10 * SOL and whale.token_amount_raw == 1_000_000
    assert whale.price_sol == pytest.approx(curve.price_sol(VSOL, VTOK))
    assert whale.market_cap_sol == pytest.approx(curve.market_cap_sol(VSOL, VTOK, 10**15, 6))
    assert page.rows[2].side is Side.SELL
    pool_row = page.rows[3]
    assert pool_row.symbol == "BONK2"
    assert pool_row.market_cap_sol == pytest.approx(POOL_PRICE * 10**15 / 10**6)  # 400 SOL


async def test_window_totals_and_the_v_min_threshold(activity: SmartActivity) -> None:
    page = await _page(activity)
    t = page.totals
    assert (t.buy_lamports, t.sell_lamports, t.net_lamports) == (14 * SOL, 2 * SOL, 12 * SOL)
    assert (t.unique_wallets, t.unique_buyers, t.fills) == (3, 2, 4)
    assert page.threshold_passed(14 * SOL) and not page.threshold_passed(14 * SOL + 1)
    assert page.since == datetime.fromtimestamp(T0, UTC) and page.until == NOW


async def test_filter_by_tag_and_by_mint(activity: SmartActivity) -> None:
    assert _who(await _page(activity, tags={"kol"})) == ["kol_ana", "kol_bob", "kol_ana"]
    assert _who(await _page(activity, tags={"KOL", "whale"}))[0] == "whale1"
    assert _who(await _page(activity, tags={"nobody"})) == []
    by_mint = await _page(activity, mint=MINT_A)
    assert _who(by_mint) == ["whale1", "kol_ana", "kol_bob"]
    assert by_mint.totals.buy_lamports == 13 * SOL
    kol_b = await _page(activity, mint=MINT_B, tags={"kol"})
    assert [(r.alias, r.mint) for r in kol_b.rows] == [("kol_ana", MINT_B)]


async def test_longer_window_reaches_older_fills(activity: SmartActivity) -> None:
    page = await _page(activity, window_s=3600)
    assert _who(page) == ["whale1", "kol_ana", "kol_bob", "kol_ana", "whale1"]
    assert page.totals.buy_lamports == 21 * SOL
    assert _who(await _page(activity, window_s=35)) == ["whale1", "kol_ana", "kol_bob"]


async def test_pages_split_the_rows_and_keep_window_totals(activity: SmartActivity) -> None:
    first = await _page(activity, limit=2)
    second = await _page(activity, limit=2, offset=2)
    third = await _page(activity, limit=2, offset=4)
    assert _who(first) == ["whale1", "kol_ana"] and first.has_next and not first.has_prev
    assert _who(second) == ["kol_bob", "kol_ana"] and not second.has_next and second.has_prev
    assert third.rows == ()
    assert first.totals == second.totals


async def test_a_users_watches_add_wallets_and_their_alias_wins(activity: SmartActivity) -> None:
    page = await _page(activity, user_id=1)
    assert _who(page) == ["big_fish", "my_guy", "kol_ana", "kol_bob", "kol_ana"]
    assert page.rows[0].tags == ("fav", "whale")  # the user's tags and the list's
    assert page.totals.buy_lamports == 18 * SOL and page.totals.unique_wallets == 4
    friends = await _page(activity, user_id=1, tags={"friend"})
    assert [r.wallet for r in friends.rows] == [PRIVATE]
    assert PRIVATE not in {r.wallet for r in (await _page(activity)).rows}


async def test_bad_paging_arguments_are_refused(activity: SmartActivity) -> None:
    for kw in ({"limit": 0}, {"limit": 10_000}, {"offset": -1}, {"window_s": 0}):
        with pytest.raises(ValueError):
            await _page(activity, **kw)
