from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.market import curve
from core.market.curve import (
    INITIAL_REAL_TOKEN_RESERVES_RAW,
    INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS,
    INITIAL_VIRTUAL_TOKEN_RESERVES_RAW,
    buy_quote,
    curve_progress_pct,
    market_cap_sol,
    price_impact_pct,
    price_sol,
    sell_quote,
)

VSOL = INITIAL_VIRTUAL_SOL_RESERVES_LAMPORTS
VTOK = INITIAL_VIRTUAL_TOKEN_RESERVES_RAW
ONE_SOL = 1_000_000_000

reserves = st.tuples(
    st.integers(min_value=1_000_000, max_value=10**12),  # virtual SOL, lamports
    st.integers(min_value=10**9, max_value=10**16),  # virtual tokens, raw
)
fees = st.integers(min_value=0, max_value=500)


def test_fresh_curve_price_is_30_sol_over_1073m_tokens() -> None:
    # (30e9 / 1e9) SOL / (1.073e15 / 1e6) tokens
    assert price_sol(VSOL, VTOK) == pytest.approx(2.7958993476e-8, rel=1e-10)


def test_fresh_curve_market_cap_is_about_28_sol() -> None:
    assert market_cap_sol(VSOL, VTOK) == pytest.approx(27.958993476, rel=1e-10)


def test_price_respects_decimals() -> None:
    # Same reserves, 9 decimals: each whole token is 1000x bigger, so 1000x dearer.
    assert price_sol(VSOL, VTOK, decimals=9) == pytest.approx(2.7958993476e-5, rel=1e-10)


def test_one_sol_buy_on_fresh_curve_without_fee() -> None:
    # 1.073e15 * 1e9 / (30e9 + 1e9) = 34_612_903_225_806.45 -> floor
    assert buy_quote(ONE_SOL, VSOL, VTOK, fee_bps=0) == 34_612_903_225_806


def test_one_sol_buy_with_one_percent_fee_pays_fee_on_top() -> None:
    # 1e9 * 10_000 // 10_100 = 990_099_009 lamports enter the curve
    # 1.073e15 * 990_099_009 // (30e9 + 990_099_009) = 34_281_150_129_545
    assert buy_quote(ONE_SOL, VSOL, VTOK, fee_bps=100) == 34_281_150_129_545


def test_selling_back_a_one_sol_buy_loses_a_lamport_to_rounding() -> None:
    tokens = 34_612_903_225_806
    # after the buy: 31e9 lamports, 1_038_387_096_774_194 tokens
    vsol_after, vtok_after = VSOL + ONE_SOL, VTOK - tokens
    assert sell_quote(tokens, vsol_after, vtok_after, fee_bps=0) == 999_999_999
    # a 1 % fee takes ceil(9_999_999.99) = 10_000_000 lamports
    assert sell_quote(tokens, vsol_after, vtok_after, fee_bps=100) == 989_999_999


def test_buy_is_capped_at_tokens_left_on_the_curve() -> None:
    assert buy_quote(100 * ONE_SOL, VSOL, VTOK, 0, real_token_reserves=5_000) == 5_000


def test_one_sol_into_fresh_curve_fills_a_thirtieth_above_spot() -> None:
    assert price_impact_pct(ONE_SOL, VSOL, VTOK) == pytest.approx(100 / 30, rel=1e-6)
    assert price_impact_pct(0, VSOL, VTOK) == 0.0


def test_progress_from_start_to_graduation() -> None:
    assert curve_progress_pct(INITIAL_REAL_TOKEN_RESERVES_RAW) == 0.0
    assert curve_progress_pct(INITIAL_REAL_TOKEN_RESERVES_RAW // 2) == pytest.approx(50.0)
    assert curve_progress_pct(0) == 100.0
    # the 2024 chainstack BondingCurve account: 790_519_577_927_421 tokens left
    assert curve_progress_pct(790_519_577_927_421) == pytest.approx(0.325359, abs=1e-6)


def test_progress_is_clamped_to_0_100() -> None:
    assert curve_progress_pct(INITIAL_REAL_TOKEN_RESERVES_RAW * 2) == 0.0
    assert curve_progress_pct(-1) == 100.0


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        price_sol(0, VTOK)
    with pytest.raises(ValueError):
        buy_quote(ONE_SOL, VSOL, VTOK, fee_bps=-1)
    with pytest.raises(ValueError):
        sell_quote(-5, VSOL, VTOK, fee_bps=0)


@given(reserves, st.integers(min_value=0, max_value=10**13), fees)
def test_buy_then_sell_never_returns_more_sol_than_paid(
    res: tuple[int, int], sol_in: int, fee_bps: int
) -> None:
    vsol, vtok = res
    tokens = buy_quote(sol_in, vsol, vtok, fee_bps)
    net_in = curve.sol_into_curve_lamports(sol_in, fee_bps)
    back = sell_quote(tokens, vsol + net_in, vtok - tokens, fee_bps)
    assert 0 <= back <= sol_in


@given(reserves, st.integers(min_value=0, max_value=10**13), st.integers(1, 10**12), fees)
def test_bigger_buys_get_more_tokens_at_a_worse_price(
    res: tuple[int, int], sol_in: int, extra: int, fee_bps: int
) -> None:
    vsol, vtok = res
    small = buy_quote(sol_in, vsol, vtok, fee_bps)
    large = buy_quote(sol_in + extra, vsol, vtok, fee_bps)
    assert small <= large < vtok


@given(st.lists(st.integers(0, INITIAL_REAL_TOKEN_RESERVES_RAW), min_size=2))
def test_progress_rises_as_tokens_leave_the_curve(real_reserves: list[int]) -> None:
    ordered = sorted(real_reserves, reverse=True)
    progress = [curve_progress_pct(r) for r in ordered]
    assert progress == sorted(progress)
    assert all(0.0 <= p <= 100.0 for p in progress)
