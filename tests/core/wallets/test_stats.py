from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.wallets.stats import (
    PositionState,
    TradeCounters,
    WalletTrade,
    apply_trade,
    fold,
    hit_rate,
    wallet_stats,
)

T0 = datetime(2025, 1, 1, tzinfo=UTC)
lamports = st.integers(min_value=0, max_value=10**15)
raw = st.integers(min_value=1, max_value=10**18)


def _trade(i: int, mint: str, buy: bool, sol: int, tokens: int, at_s: int = 0) -> WalletTrade:
    return WalletTrade(i, "W", mint, buy, sol, tokens, T0 + timedelta(seconds=at_s))


@given(buys=st.lists(st.tuples(lamports, raw), min_size=1, max_size=8), sol_out=lamports)
def test_buying_then_selling_everything_realizes_sol_out_minus_sol_in(
    buys: list[tuple[int, int]], sol_out: int
) -> None:
    trades = [_trade(i, "M", True, sol, tokens) for i, (sol, tokens) in enumerate(buys)]
    held = sum(tokens for _, tokens in buys)
    trades.append(_trade(99, "M", False, sol_out, held, 60))
    (position,) = fold([], trades).positions
    assert position.closed
    assert position.realized_pnl_lamports == sol_out - sum(sol for sol, _ in buys)


@given(
    st.lists(
        st.tuples(st.booleans(), lamports, raw, st.sampled_from("AB"), st.integers(0, 10**7)),
        max_size=40,
    )
)
def test_hit_rate_is_a_share_between_zero_and_one(
    steps: list[tuple[bool, int, int, str, int]],
) -> None:
    trades = [_trade(i, m, b, s, t, at) for i, (b, s, t, m, at) in enumerate(steps)]
    result = fold([], trades)
    stats = wallet_stats("W", result.positions, result.counters.get("W", TradeCounters()), now=T0)
    for rate in stats.hit_rate.values():
        assert rate is None or 0.0 <= rate <= 1.0
    assert stats.trade_count == len(steps)


def test_partial_sells_use_the_average_cost() -> None:
    trades = [
        _trade(1, "M", True, 1_000, 100),
        _trade(2, "M", True, 3_000, 100),  # average cost 20 per token
        _trade(3, "M", False, 1_500, 50),  # cost out 1_000: +500
    ]
    (p,) = fold([], trades).positions
    assert (p.realized_pnl_lamports, p.cost_lamports, p.token_amount_raw) == (500, 3_000, 150)
    assert not p.closed


def test_a_sell_without_a_position_changes_nothing_but_counts_as_a_trade() -> None:
    result = fold([], [_trade(1, "M", False, 1_000, 100)])
    assert result.positions == []
    assert result.counters["W"].trade_count == 1
    assert apply_trade(None, _trade(1, "M", False, 1_000, 100)) is None


def test_fold_resumes_from_stored_open_positions_without_changing_them() -> None:
    first = fold([], [_trade(1, "M", True, 1_000, 100)])
    stored = first.positions[0]
    stored.position_id = 7
    second = fold([stored], [_trade(2, "M", False, 1_500, 100)])
    (p,) = second.positions
    assert (p.position_id, p.closed, p.realized_pnl_lamports) == (7, True, 500)
    assert not stored.closed


def test_selling_down_to_dust_closes_and_writes_off_the_dust_cost() -> None:
    trades = [_trade(1, "M", True, 1_000_000, 1_000_000), _trade(2, "M", False, 999, 999_500)]
    (p,) = fold([], trades).positions
    assert p.closed and p.token_amount_raw == 0
    assert p.realized_pnl_lamports == 999 - 1_000_000


def test_hit_rate_counts_only_positions_closed_in_the_window() -> None:
    def closed(days_ago: int, pnl: int) -> PositionState:
        return PositionState(
            "W",
            "M",
            closed=True,
            closed_at=T0 - timedelta(days=days_ago),
            realized_pnl_lamports=pnl,
        )

    positions = [closed(1, 5), closed(10, -5), closed(20, 0), closed(60, 9)]
    assert hit_rate(positions, T0 - timedelta(days=7)) == 1.0
    assert hit_rate(positions, T0 - timedelta(days=30)) == 1 / 3
    assert hit_rate(positions, T0 - timedelta(days=90)) == 2 / 4
    assert hit_rate(positions, T0) is None
