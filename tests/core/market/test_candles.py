from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.market.candles import CandleAggregator
from core.storage.records import TickRecord

MINT = "MintAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
OTHER = "MintBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
SOL = 1_000_000_000


def test_trade_in_a_later_second_closes_the_previous_1s_candle() -> None:
    agg = CandleAggregator(intervals_s=(1,))
    assert agg.add(MINT, 1_000, 1.0e-8, 2 * SOL, True) == []
    assert agg.add(MINT, 1_000, 1.5e-8, 1 * SOL, True) == []
    assert agg.add(MINT, 1_000, 0.8e-8, SOL // 2, False) == []
    assert agg.add(MINT, 1_000, 1.2e-8, SOL // 4, False) == []

    closed = agg.add(MINT, 1_003, 1.3e-8, SOL, True)

    assert closed == [
        TickRecord(
            mint=MINT,
            interval_s=1,
            bucket_start=1_000,
            open_price_sol=1.0e-8,
            high_price_sol=1.5e-8,
            low_price_sol=0.8e-8,
            close_price_sol=1.2e-8,
            volume_lamports=3_750_000_000,
            buys=2,
            sells=2,
            net_flow_lamports=3 * SOL - 750_000_000,
        )
    ]


def test_minute_candle_stays_open_while_second_candles_close() -> None:
    agg = CandleAggregator()  # 1 s and 60 s
    agg.add(MINT, 120, 1.0, SOL, True)
    closed = agg.add(MINT, 121, 2.0, SOL, False)
    assert [(c.interval_s, c.bucket_start) for c in closed] == [(1, 120)]

    closed = agg.add(MINT, 185, 3.0, SOL, True)

    assert [(c.interval_s, c.bucket_start) for c in closed] == [(1, 121), (60, 120)]
    minute = closed[1]
    assert (minute.open_price_sol, minute.high_price_sol, minute.low_price_sol) == (1.0, 2.0, 1.0)
    assert minute.close_price_sol == 2.0
    assert (minute.buys, minute.sells, minute.net_flow_lamports) == (1, 1, 0)


def test_mints_are_bucketed_independently() -> None:
    agg = CandleAggregator(intervals_s=(60,))
    agg.add(MINT, 0, 1.0, SOL, True)
    assert agg.add(OTHER, 90, 5.0, SOL, True) == []  # another mint's trade closes nothing here
    closed = agg.add(MINT, 61, 1.1, SOL, True)
    assert [(c.mint, c.bucket_start) for c in closed] == [(MINT, 0)]
    assert len(agg) == 2


def test_late_trade_adds_volume_to_the_open_candle_but_not_its_prices() -> None:
    agg = CandleAggregator(intervals_s=(1,))
    agg.add(MINT, 10, 1.0, SOL, True)
    agg.add(MINT, 11, 2.0, SOL, True)  # closes second 10
    assert agg.add(MINT, 10, 99.0, 3 * SOL, False) == []  # late: second 10 already closed

    (candle,) = agg.flush_all()

    assert candle.bucket_start == 11
    assert (candle.open_price_sol, candle.high_price_sol) == (2.0, 2.0)
    assert (candle.low_price_sol, candle.close_price_sol) == (2.0, 2.0)
    assert candle.volume_lamports == 4 * SOL
    assert (candle.buys, candle.sells, candle.net_flow_lamports) == (1, 1, -2 * SOL)
    assert agg.late_trades == 1


def test_flush_all_closes_open_candles_and_forgets_them() -> None:
    agg = CandleAggregator()
    agg.add(MINT, 5, 1.0, SOL, True)
    agg.add(OTHER, 6, 2.0, SOL, False)

    closed = agg.flush_all()

    assert sorted((c.mint, c.interval_s, c.bucket_start) for c in closed) == [
        (MINT, 1, 5),
        (MINT, 60, 0),
        (OTHER, 1, 6),
        (OTHER, 60, 0),
    ]
    assert len(agg) == 0
    assert agg.flush_all() == []


def test_idle_mints_are_closed_and_dropped_busy_ones_kept() -> None:
    agg = CandleAggregator(intervals_s=(60,))
    agg.add(MINT, 100, 1.0, SOL, True)
    agg.add(OTHER, 400, 2.0, SOL, True)

    closed = agg.evict_idle(now=700, idle_s=600)

    assert [(c.mint, c.bucket_start) for c in closed] == [(MINT, 60)]
    assert len(agg) == 1
    # the busy mint keeps its open candle: a later trade closes it as usual
    assert [c.mint for c in agg.add(OTHER, 460, 2.5, SOL, True)] == [OTHER]


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        CandleAggregator(intervals_s=())
    with pytest.raises(ValueError):
        CandleAggregator(intervals_s=(0, 60))
    with pytest.raises(ValueError):
        CandleAggregator(intervals_s=(60, 60))


trades = st.lists(
    st.tuples(
        st.sampled_from([MINT, OTHER]),
        st.integers(0, 600),  # block time, any order
        st.floats(1e-10, 1.0, allow_nan=False),
        st.integers(0, 10**12),
        st.booleans(),
    ),
    max_size=80,
)


@given(trades)
def test_candles_are_consistent_and_account_for_every_trade(
    batch: list[tuple[str, int, float, int, bool]],
) -> None:
    agg = CandleAggregator(intervals_s=(1, 60))
    candles: list[TickRecord] = []
    for mint, t, price, lamports, is_buy in batch:
        candles.extend(agg.add(mint, t, price, lamports, is_buy))
    candles.extend(agg.flush_all())

    for c in candles:
        assert c.high_price_sol >= max(c.open_price_sol, c.close_price_sol)
        assert c.low_price_sol <= min(c.open_price_sol, c.close_price_sol)
        assert c.bucket_start % c.interval_s == 0
    for interval in (1, 60):
        mine = [c for c in candles if c.interval_s == interval]
        assert sum(c.volume_lamports for c in mine) == sum(t[3] for t in batch)
        assert sum(c.buys for c in mine) == sum(1 for t in batch if t[4])
        assert sum(c.sells for c in mine) == sum(1 for t in batch if not t[4])
        net = sum(t[3] if t[4] else -t[3] for t in batch)
        assert sum(c.net_flow_lamports for c in mine) == net
        # one candle per (mint, bucket): a closed candle is never reopened
        keys = [(c.mint, c.bucket_start) for c in mine]
        assert len(keys) == len(set(keys))
