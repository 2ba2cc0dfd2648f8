from __future__ import annotations

from core.decode.events import DecodedEvent
from core.ingest.normalize import Normalizer
from core.programs import WSOL_MINT, Program
from core.storage.records import PoolRecord, TradeRecord
from tests.factories import MINT, POOL, TRADER, pump_amm_create_pool, pump_amm_swap


def test_pumpswap_buy_after_pool_creation_becomes_a_sol_trade_on_the_token() -> None:
    norm = Normalizer()
    records = norm.records([pump_amm_create_pool()])
    assert isinstance(records[0], PoolRecord)
    assert records[0].base_mint == MINT and records[0].quote_mint == WSOL_MINT

    buy = pump_amm_swap(
        "BuyEvent",
        base=1_000_000_000,
        quote=400_000_000,
        base_res=206_900_000_000_000,
        quote_res=84_990_359_593,
    )
    (trade,) = norm.records([buy])
    assert isinstance(trade, TradeRecord)
    assert trade.mint == MINT and trade.pool == POOL and trade.trader == TRADER
    assert trade.is_buy is True
    assert trade.token_amount_raw == 1_000_000_000
    assert trade.sol_lamports == 404_000_000  # what the user paid, fees included
    # reserves after: base - out, quote + in
    assert trade.real_token_reserves == 206_899_000_000_000
    assert trade.real_sol_reserves == 85_390_359_593
    expected_price = (85_390_359_593 / 1e9) / (206_899_000_000_000 / 1e6)
    assert abs(trade.price_sol - expected_price) < 1e-15


def test_pumpswap_sell_moves_reserves_the_other_way() -> None:
    norm = Normalizer()
    norm.records([pump_amm_create_pool()])
    sell = pump_amm_swap(
        "SellEvent", base=2_000_000, quote=800_000, base_res=1_000_000_000, quote_res=400_000_000
    )
    (trade,) = norm.records([sell])
    assert isinstance(trade, TradeRecord)
    assert trade.is_buy is False
    assert trade.sol_lamports == 792_000
    assert trade.real_token_reserves == 1_002_000_000
    assert trade.real_sol_reserves == 399_200_000


def test_pool_with_sol_as_base_flips_the_side() -> None:
    norm = Normalizer()
    norm.records([pump_amm_create_pool(base_mint=WSOL_MINT, quote_mint=MINT)])
    buy_base = pump_amm_swap(
        "BuyEvent", base=5_000_000, quote=9_000, base_res=10**12, quote_res=10**9
    )
    (trade,) = norm.records([buy_base])
    assert isinstance(trade, TradeRecord)
    assert trade.mint == MINT
    assert trade.is_buy is False  # buying SOL with the token = selling the token


def test_swap_on_unknown_pool_is_counted_not_guessed() -> None:
    norm = Normalizer()
    buy = pump_amm_swap("BuyEvent", base=1, quote=1, base_res=10, quote_res=10)
    assert norm.records([buy]) == []
    assert norm.skipped["unresolved_pool_trades"] == 1


def test_event_too_short_for_a_record_is_counted_and_the_rest_still_normalised() -> None:
    norm = Normalizer()
    short = DecodedEvent(Program.PUMP, "TradeEvent", {"mint": MINT}, "s", 1)
    records = norm.records([short, pump_amm_create_pool()])
    assert [type(r) for r in records] == [PoolRecord]
    assert norm.skipped["incomplete_TradeEvent"] == 1
