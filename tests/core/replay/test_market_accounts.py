"""Pools that existed before the stream, and the account state the market keeps."""

from __future__ import annotations

import pytest

from core.decode import DecodedEvent, decode_logs
from core.decode.accounts import decode_mint, decode_pump_swap_pool
from core.programs import PROGRAM_IDS, TOKEN_PROGRAM_ID, WSOL_MINT, Program
from core.replay.ledger import ReplayTx
from core.replay.market import SimulatedMarket

from .conftest import START_SLOT, START_TIME

PUMP_AMM_ID = PROGRAM_IDS[Program.PUMP_AMM]
SWAPS = ("BuyEvent", "SellEvent")


@pytest.fixture(scope="module")
def preexisting_run() -> tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]]:
    market = SimulatedMarket(seed=5, preexisting_pools=3)
    txs = list(market.transactions(START_SLOT, START_TIME, limit=6000))
    decoded = [event for tx in txs for event in decode_logs(tx.logs, err=tx.err)]
    return market, txs, decoded


def test_preexisting_pools_trade_without_any_creation_event_in_the_stream(
    preexisting_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    market, _, decoded = preexisting_run
    pools = market.preexisting_pool_mints
    assert len(pools) == 3 and len(set(pools.values())) == 3
    mints = set(pools.values())
    for event in decoded:
        f = event.fields
        assert not (event.event == "CreatePoolEvent" and f["pool"] in pools)
        assert not (event.event in ("CreateEvent", "CompleteEvent") and f["mint"] in mints)
        assert not (event.event == "TradeEvent" and f["mint"] in mints)
    swaps = {p: {"BuyEvent": 0, "SellEvent": 0} for p in pools}
    for event in decoded:
        if event.event in SWAPS and event.fields["pool"] in pools:
            swaps[event.fields["pool"]][event.event] += 1
    for pool, counts in swaps.items():
        assert counts["BuyEvent"] >= 5 and counts["SellEvent"] >= 5, (pool, counts)


def test_preexisting_pool_trades_mention_pool_and_mint_and_keep_a_small_share(
    preexisting_run: tuple[SimulatedMarket, list[ReplayTx], list[DecodedEvent]],
) -> None:
    market, txs, _ = preexisting_run
    pools = market.preexisting_pool_mints
    mine = [tx for tx in txs if pools.keys() & tx.mentions]
    for tx in mine:
        (pool,) = pools.keys() & tx.mentions
        assert pools[pool] in tx.mentions and PUMP_AMM_ID in tx.mentions
    assert 0.005 * len(txs) < len(mine) < 0.15 * len(txs)


def test_preexisting_pool_accounts_exist_before_the_stream_starts() -> None:
    market = SimulatedMarket(seed=8, preexisting_pools=2)
    assert len(market.preexisting_pool_mints) == 2
    for pool, mint in market.preexisting_pool_mints.items():
        owner, data = market.account(pool) or ("", b"")
        assert owner == PUMP_AMM_ID
        decoded = decode_pump_swap_pool(data)
        assert (decoded.base_mint, decoded.quote_mint, decoded.index) == (mint, WSOL_MINT, 0)
        mint_owner, mint_data = market.account(mint) or ("", b"")
        assert mint_owner == TOKEN_PROGRAM_ID
        assert decode_mint(mint_data, mint_owner).decimals == 6


def test_default_market_is_unchanged_by_the_zero_preexisting_option() -> None:
    plain = SimulatedMarket(seed=42).transactions(START_SLOT, START_TIME, limit=2000)
    explicit = SimulatedMarket(seed=42, preexisting_pools=0).transactions(
        START_SLOT, START_TIME, limit=2000
    )
    assert list(plain) == list(explicit)
    assert SimulatedMarket(seed=42).preexisting_pool_mints == {}


def test_accounts_of_in_stream_tokens_exist_from_the_transaction_that_creates_them() -> None:
    """A mint exists from its launch transaction, a pool from its migration transaction."""
    limit = 12_000
    first = SimulatedMarket(seed=5)
    created_at: dict[str, int] = {}  # address → index of the creating transaction
    pool_mint: dict[str, str] = {}
    pool_events: dict[str, dict[str, object]] = {}
    for i, tx in enumerate(first.transactions(START_SLOT, START_TIME, limit=limit)):
        for event in decode_logs(tx.logs, err=tx.err):
            if event.event == "CreateEvent":
                created_at[event.fields["mint"]] = i
            elif event.event == "CreatePoolEvent":
                created_at[event.fields["pool"]] = i
                pool_mint[event.fields["pool"]] = event.fields["base_mint"]
                pool_events[event.fields["pool"]] = event.fields
    assert pool_mint, "no migration in the first transactions"
    pool = next(iter(pool_mint))
    mint = pool_mint[pool]
    again = SimulatedMarket(seed=5)
    assert again.account(mint) is None and again.account(pool) is None
    assert again.account(WSOL_MINT) is not None
    for i, _ in enumerate(again.transactions(START_SLOT, START_TIME, limit=limit)):
        assert (again.account(mint) is not None) == (i >= created_at[mint])
        assert (again.account(pool) is not None) == (i >= created_at[pool])
        if i > created_at[pool]:
            break
    owner, data = again.account(pool) or ("", b"")
    decoded = decode_pump_swap_pool(data)
    assert owner == PUMP_AMM_ID
    assert (decoded.base_mint, decoded.quote_mint) == (mint, WSOL_MINT)
    assert decoded.lp_supply > 0 and decoded.coin_creator is not None
    for address, fields in pool_events.items():
        owner, data = first.account(address) or ("", b"")
        account = decode_pump_swap_pool(data)
        assert (
            account.base_mint,
            account.quote_mint,
            account.creator,
            account.lp_mint,
            account.lp_supply,
            account.coin_creator,
        ) == (
            fields["base_mint"],
            fields["quote_mint"],
            fields["creator"],
            fields["lp_mint"],
            fields["lp_token_amount_out"],
            fields["coin_creator"],
        )
