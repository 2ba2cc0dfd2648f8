from __future__ import annotations

from core.ingest.feed import FeedKind, feed_items, render_line
from core.programs import Program
from core.storage.records import MintRecord, TradeRecord


def _trade(sol_lamports: int) -> TradeRecord:
    return TradeRecord(
        signature="s",
        event_index=0,
        slot=1,
        block_time=1_754_006_400,
        program=Program.PUMP,
        mint="DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump",
        trader="EmLPb9Vpzj4NECQCR1nWShfxgeUjTXNzBjKXx6JiXLHp",
        is_buy=True,
        sol_lamports=sol_lamports,
        token_amount_raw=1,
        price_sol=3.2612e-8,
        virtual_sol_reserves=32_400_000_000,
        virtual_token_reserves=993_518_518_518_519,
    )


def test_only_trades_at_or_above_the_threshold_reach_the_feed() -> None:
    items = feed_items(
        [_trade(9_999_999_999), _trade(10_000_000_000)], big_trade_lamports=10_000_000_000
    )
    assert [i.kind for i in items] == [FeedKind.BIG_TRADE]


def test_big_trade_line_shows_side_size_token_and_market_cap_in_usd() -> None:
    (item,) = feed_items([_trade(12_500_000_000)], big_trade_lamports=1)
    line = render_line(item, sol_usd=150.0)
    # MC = 32.4 SOL / 993,518,518.5 tokens * 1e9 supply = 32.61 SOL → 4.9k USD at 150
    assert line == (
        "00:00:00 TRADE BUY  12.50 SOL of DGxV…pump by EmLP…XLHp @ 0.0000000326 SOL · MC 4.9k USD"
    )
    assert "MC" not in render_line(item)  # no SOL/USD known: no made-up dollar figure


def test_new_mint_line_names_symbol_name_and_creator() -> None:
    mint = MintRecord(
        mint="DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump",
        name="Pepe Two",
        symbol="PEPE2",
        uri="",
        creator="EmLPb9Vpzj4NECQCR1nWShfxgeUjTXNzBjKXx6JiXLHp",
        bonding_curve="c",
        created_at=1_754_006_461,
        slot=1,
        signature="s",
    )
    (item,) = feed_items([mint], big_trade_lamports=1)
    assert render_line(item) == "00:01:01 NEW   PEPE2 (Pepe Two) DGxV…pump by EmLP…XLHp"
