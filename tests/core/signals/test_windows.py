"""MintWindows: incremental sums and exact unique counts equal a brute-force recomputation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.signals.windows import MAX_WINDOW_S, MintWindows

LENGTHS = (60, 120, 300, 900)
SMART = {"w0", "w1", "w2"}


@dataclass
class Ev:
    sec: int
    wallet: str
    is_buy: bool
    lamports: int
    price: float
    smart: bool


def brute(events: list[Ev], now: int, w: int) -> dict[str, float]:
    cutoff = now - w
    inside = [e for e in events if e.sec > cutoff]
    before = [e for e in events if e.sec <= cutoff]
    if before:
        ref = before[-1].price
    elif inside:
        ref = inside[0].price
    else:
        ref = 0.0
    last = events[-1].price if events else 0.0
    return {
        "buys": sum(e.is_buy for e in inside),
        "sells": sum(not e.is_buy for e in inside),
        "sol_in": sum(e.lamports for e in inside if e.is_buy),
        "sol_out": sum(e.lamports for e in inside if not e.is_buy),
        "uniq": len({e.wallet for e in inside if e.is_buy}),
        "smart_uniq": len({e.wallet for e in inside if e.is_buy and e.smart}),
        "smart_sol": sum(e.lamports for e in inside if e.is_buy and e.smart),
        "ret": last / ref - 1.0 if ref > 0 else 0.0,
    }


def observed(mw: MintWindows, w: int) -> dict[str, float]:
    return {
        "buys": mw.buys(w),
        "sells": mw.sells(w),
        "sol_in": mw.sol_in_lamports(w),
        "sol_out": mw.sol_out_lamports(w),
        "uniq": mw.unique_buyers(w),
        "smart_uniq": mw.unique_smart_buyers(w),
        "smart_sol": mw.smart_sol_lamports(w),
        "ret": mw.return_pct(w),
    }


step = st.tuples(
    st.one_of(st.integers(0, 3), st.integers(0, 120), st.integers(-5, 0), st.integers(0, 1000)),
    st.integers(0, 6),  # wallet
    st.booleans(),  # buy?
    st.integers(1, 10**10),  # lamports
    st.floats(1e-8, 1e-6),  # price
    st.booleans(),  # True: trade, False: only advance the clock
)


@settings(max_examples=150, deadline=None)
@given(st.lists(step, min_size=1, max_size=250))
def test_window_sums_and_unique_counts_equal_brute_force(steps: list) -> None:
    mw = MintWindows(LENGTHS)
    events: list[Ev] = []
    t = 1_000_000
    for dt, wallet_i, is_buy, lamports, price, is_trade in steps:
        t += dt
        wallet = f"w{wallet_i}"
        if is_trade:
            smart = is_buy and wallet in SMART
            sec = mw.add_trade(t, wallet, is_buy, lamports, price, smart)
            assert sec == max(t, mw.now)
            events.append(Ev(sec, wallet, is_buy, lamports, price, smart))
        else:
            mw.advance(t)
        now = mw.now
        for w in LENGTHS:
            want = brute(events, now, w)
            got = observed(mw, w)
            assert got.pop("ret") == pytest.approx(want.pop("ret"), rel=1e-12, abs=1e-12)
            assert got == want, (w, now)


@settings(max_examples=50, deadline=None)
@given(st.lists(step, min_size=1, max_size=150), st.sampled_from([(60, 300), (60, 180, 900)]))
def test_changing_window_lengths_rebuilds_the_same_sums_as_a_fresh_aggregate(
    steps: list, new_lengths: tuple[int, ...]
) -> None:
    mw = MintWindows(LENGTHS)
    events: list[Ev] = []
    t = 1_000_000
    for dt, wallet_i, is_buy, lamports, price, _ in steps:
        t += dt
        wallet = f"w{wallet_i}"
        smart = is_buy and wallet in SMART
        sec = mw.add_trade(t, wallet, is_buy, lamports, price, smart)
        events.append(Ev(sec, wallet, is_buy, lamports, price, smart))
    mw.set_lengths(new_lengths)
    for w in new_lengths:
        want = brute([e for e in events if e.sec > mw.now - MAX_WINDOW_S], mw.now, w)
        got = observed(mw, w)
        got.pop("ret"), want.pop("ret")
        assert got == want


def test_memory_is_released_once_everything_left_the_longest_window() -> None:
    mw = MintWindows(LENGTHS)
    for i in range(5_000):
        mw.add_trade(1_000 + i, f"wallet{i}", True, 10**9, 1e-7, smart=i % 10 == 0)
    assert mw.tracked_wallet_count() <= 900 + 90  # only the last 900 s are remembered
    mw.advance(1_000 + 5_000 + MAX_WINDOW_S)
    assert mw.tracked_wallet_count() == 0
    assert mw.unique_buyers(900) == 0 and mw.buys(900) == 0 and mw.smart_sol_lamports(900) == 0
    assert mw.smart_buys(900) == []


def test_return_compares_last_price_with_price_at_window_start() -> None:
    mw = MintWindows(LENGTHS)
    mw.add_trade(1_000, "a", True, 10**9, 1.0e-7)
    mw.add_trade(1_030, "b", True, 10**9, 1.1e-7)
    mw.add_trade(1_070, "c", True, 10**9, 1.2e-7)
    # At 1070 the 1 m window is (1010, 1070]: the price at its start is the 1000 trade's 1.0e-7.
    assert mw.return_pct(60) == pytest.approx(1.2 / 1.0 - 1)
    # The 5 m window still holds the first trade: the first price seen is the reference.
    assert mw.return_pct(300) == pytest.approx(1.2 / 1.0 - 1)
    mw.advance(1_091)  # (1031, 1091]: the 1030 trade left, reference 1.1e-7
    assert mw.return_pct(60) == pytest.approx(1.2 / 1.1 - 1)


def test_per_minute_returns_feed_the_ewma_mean_and_variance() -> None:
    mw = MintWindows(LENGTHS, alpha=0.5)
    mw.add_trade(60 * 100, "a", True, 1, 1.0)  # minute 100 opens at 1.0
    mw.add_trade(60 * 101, "a", True, 1, 1.1)  # closes minute 100 at 1.0: r = 1.0/1.0 - 1 = 0
    assert (mw.return_mean, mw.return_var, mw.return_samples) == (0.0, 0.0, 1)
    mw.add_trade(60 * 102, "a", True, 1, 1.2)  # minute 101 closed at 1.1: r = 1.1/1.0 - 1 = 0.1
    # mean = 0 + 0.5·(0.1 - 0) = 0.05; var = (1 - 0.5)·(0 + 0.5·0.1²) = 0.0025
    assert mw.return_mean == pytest.approx(0.05)
    assert mw.return_var == pytest.approx(0.0025)
    mw.add_trade(60 * 104, "a", True, 1, 1.2)  # minute 102: 1.2/1.1 - 1, then quiet 103: 0
    r = 1.2 / 1.1 - 1
    mean = 0.05 + 0.5 * (r - 0.05)
    var = 0.5 * (0.0025 + 0.5 * (r - 0.05) ** 2)
    mean, var = mean + 0.5 * (0 - mean), 0.5 * (var + 0.5 * mean**2)
    assert mw.return_mean == pytest.approx(mean)
    assert mw.return_var == pytest.approx(var)
    assert mw.return_samples == 4


def test_a_late_trade_counts_at_the_window_clock() -> None:
    mw = MintWindows(LENGTHS)
    mw.add_trade(2_000, "a", True, 5, 1e-7)
    assert mw.add_trade(1_990, "b", False, 7, 1e-7) == 2_000
    assert (mw.buys(60), mw.sells(60), mw.sol_out_lamports(60)) == (1, 1, 7)


def test_window_lengths_outside_one_to_fifteen_minutes_are_refused() -> None:
    with pytest.raises(ValueError):
        MintWindows((60, MAX_WINDOW_S + 1))
