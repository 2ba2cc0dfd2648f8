from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.market.amm import (
    buy_quote,
    depth_1pct_lamports,
    depth_lamports,
    liquidity_usd,
    market_cap_sol,
    price_impact_pct,
    price_sol,
    sell_quote,
)

# A freshly migrated Pump.fun token on PumpSwap: ~206.9M tokens against ~85 SOL.
BASE = 206_900_000_000_000  # raw, 6 decimals
QUOTE = 85_000_000_000  # lamports
SUPPLY = 1_000_000_000_000_000


def test_price_from_reserves_and_decimals() -> None:
    # 85 SOL / 206.9M tokens
    assert price_sol(BASE, QUOTE, base_decimals=6) == pytest.approx(4.108265e-7, rel=1e-6)
    # a 9-decimal base: the same raw reserves hold 1000x fewer whole tokens
    assert price_sol(BASE, QUOTE, base_decimals=9) == pytest.approx(4.108265e-4, rel=1e-6)


def test_market_cap_is_price_times_supply() -> None:
    assert market_cap_sol(BASE, QUOTE, SUPPLY, base_decimals=6) == pytest.approx(410.8265, 1e-6)


def test_buy_quote_takes_fee_from_input() -> None:
    # 1 SOL, 25 bps: 997_500_000 enter the pool; 206.9e12 * 997.5e6 // (85e9 + 997.5e6)
    assert buy_quote(10**9, BASE, QUOTE, 25) == 2_399_869_182_243
    assert buy_quote(10**9, BASE, QUOTE, 0) == BASE * 10**9 // (QUOTE + 10**9)


def test_sell_quote_takes_fee_from_input() -> None:
    # 1e12 raw tokens, 25 bps: 997_500_000_000 enter; 85e9 * 997.5e9 // (206.9e12 + 997.5e9)
    assert sell_quote(10**12, BASE, QUOTE, 25) == 407_833_187


def test_one_percent_depth_of_an_85_sol_pool() -> None:
    # 85 SOL * (sqrt(1.01) - 1) = 0.42394 SOL, rounded up to a lamport
    depth = depth_1pct_lamports(QUOTE)
    assert depth == 423_942_780
    after = price_sol(BASE - buy_quote(depth, BASE, QUOTE, 0), QUOTE + depth, 6)
    before = price_sol(BASE, QUOTE, 6)
    assert after / before == pytest.approx(1.01, abs=1e-6)


def test_depth_with_fee_costs_more_by_the_fee() -> None:
    no_fee = depth_1pct_lamports(QUOTE)
    with_fee = depth_1pct_lamports(QUOTE, fee_bps=25)
    assert with_fee == -(-no_fee * 10_000 // 9_975)


def test_liquidity_counts_both_sides() -> None:
    assert liquidity_usd(QUOTE, sol_usd=150.0) == pytest.approx(25_500.0)


def test_price_impact_of_one_sol_in_85_sol_pool() -> None:
    assert price_impact_pct(10**9, BASE, QUOTE) == pytest.approx(100 / 85, rel=1e-6)


@given(
    st.integers(10**6, 10**16),
    st.integers(10**6, 10**13),
    st.integers(0, 10**13),
    st.integers(0, 300),
)
def test_round_trip_never_returns_more_than_paid(
    base: int, quote: int, quote_in: int, fee_bps: int
) -> None:
    out = buy_quote(quote_in, base, quote, fee_bps)
    net_in = quote_in - (-(-quote_in * fee_bps // 10_000))
    back = sell_quote(out, base - out, quote + net_in, fee_bps)
    assert 0 <= back <= quote_in


@given(st.integers(1, 10**13), st.integers(1, 5_000))
def test_depth_is_the_smallest_spend_reaching_the_move(quote: int, move_bps: int) -> None:
    spend = depth_lamports(quote, move_bps)
    # price scales by ((Q + x) / Q)^2: spend reaches the move, spend - 1 does not
    assert (quote + spend) ** 2 * 10_000 >= (10_000 + move_bps) * quote**2
    assert (quote + spend - 1) ** 2 * 10_000 < (10_000 + move_bps) * quote**2
