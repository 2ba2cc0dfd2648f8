"""Wallet statistics from trades, pure: trades and a clock in, positions and stats out.

Positions use the **average-cost method** per wallet x mint, in integer lamports and raw units:

- a buy adds its tokens and its SOL to the held amount and the cost basis;
- a sell of ``s`` of ``h`` held tokens removes ``cost x s / h`` from the basis and realizes
  ``proceeds - that cost``; tokens sold beyond what the trades show held (received by transfer)
  have no known cost, so only the proceeds of the held share count;
- the position **closes** when what is held falls to at most ``DUST_PER_MILLE`` / 1000 of what it
  bought (~0); the dust's remaining cost is realized as a loss, so buy-then-sell-all realizes
  exactly ``sol_out - sol_in``. The next buy opens a new position.

``fold`` applies trades (in trade-id order) to the open positions and returns every position it
touched, so the caller can store position state and resume from its last trade id (incremental).
``wallet_stats`` summarises one wallet's positions: realized and unrealized PnL (unrealized at
the mint's latest trade price), hit-rate over 7/30/90 days (share of positions closed in the
window with PnL > 0; None when none closed), average buy size, median holding time, trade count.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

DUST_PER_MILLE = 1  # held <= 0.1 % of what the position bought counts as closed
HIT_RATE_WINDOWS_D = (7, 30, 90)
LAMPORTS_PER_SOL = 1_000_000_000
DEFAULT_DECIMALS = 6  # pump.fun and PumpSwap mints


@dataclass(frozen=True, slots=True)
class WalletTrade:
    """A trade of a tracked wallet as stats need it (from the ``trades`` table)."""

    trade_id: int
    wallet: str
    mint: str
    is_buy: bool
    sol_lamports: int
    token_amount_raw: int
    block_time: datetime | None


@dataclass(slots=True)
class PositionState:
    """One holding episode of a wallet in a mint (``closed_at`` None while open)."""

    wallet: str
    mint: str
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    token_amount_raw: int = 0
    bought_token_raw: int = 0
    cost_lamports: int = 0
    bought_lamports: int = 0
    sold_lamports: int = 0
    realized_pnl_lamports: int = 0
    buys: int = 0
    sells: int = 0
    closed: bool = False
    position_id: int | None = None  # the stored row, None until stored

    @property
    def holding_s(self) -> float | None:
        if self.opened_at is None or self.closed_at is None:
            return None
        return (self.closed_at - self.opened_at).total_seconds()


@dataclass(frozen=True, slots=True)
class TradeCounters:
    """Per-wallet counters folded alongside positions (every trade counts, matched or not)."""

    trade_count: int = 0
    buy_count: int = 0
    buy_lamports: int = 0
    last_trade_id: int = 0

    def add(self, trade: WalletTrade) -> TradeCounters:
        return TradeCounters(
            trade_count=self.trade_count + 1,
            buy_count=self.buy_count + (1 if trade.is_buy else 0),
            buy_lamports=self.buy_lamports + (trade.sol_lamports if trade.is_buy else 0),
            last_trade_id=max(self.last_trade_id, trade.trade_id),
        )


@dataclass(frozen=True, slots=True)
class WalletStats:
    address: str
    realized_pnl_lamports: int
    unrealized_pnl_lamports: int
    hit_rate: Mapping[int, float | None]  # window in days -> share in [0, 1], None: no data
    closed_positions: int
    open_positions: int
    avg_buy_lamports: int | None
    median_holding_s: float | None
    trade_count: int
    balance_lamports: int | None = None

    @property
    def pnl_lamports(self) -> int:
        return self.realized_pnl_lamports + self.unrealized_pnl_lamports


@dataclass(slots=True)
class FoldResult:
    positions: list[PositionState] = field(default_factory=list)  # touched, in first-touch order
    counters: dict[str, TradeCounters] = field(default_factory=dict)  # by wallet


def _is_dust(position: PositionState) -> bool:
    return position.token_amount_raw * 1000 <= position.bought_token_raw * DUST_PER_MILLE


def apply_trade(position: PositionState | None, trade: WalletTrade) -> PositionState | None:
    """The position after ``trade`` (``position`` is not changed): a new one on a buy when none
    is open; the same state when a sell finds nothing held."""
    return _apply(replace(position) if position is not None else None, trade)


def _apply(position: PositionState | None, trade: WalletTrade) -> PositionState | None:
    """Apply ``trade`` to ``position`` in place; returns the position the trade landed in."""
    if trade.is_buy:
        if position is None or position.closed:
            position = PositionState(trade.wallet, trade.mint, opened_at=trade.block_time)
        position.token_amount_raw += trade.token_amount_raw
        position.bought_token_raw += trade.token_amount_raw
        position.cost_lamports += trade.sol_lamports
        position.bought_lamports += trade.sol_lamports
        position.buys += 1
        return position
    if position is None or position.closed or position.token_amount_raw == 0:
        return position  # a sell of tokens the trades never showed bought: no position
    held = position.token_amount_raw
    sold = min(trade.token_amount_raw, held)
    if trade.token_amount_raw > 0:
        proceeds = trade.sol_lamports * sold // trade.token_amount_raw
    else:
        proceeds = trade.sol_lamports
    cost_out = position.cost_lamports * sold // held
    position.token_amount_raw -= sold
    position.cost_lamports -= cost_out
    position.sold_lamports += proceeds
    position.realized_pnl_lamports += proceeds - cost_out
    position.sells += 1
    if _is_dust(position):
        position.realized_pnl_lamports -= position.cost_lamports
        position.cost_lamports = 0
        position.token_amount_raw = 0
        position.closed = True
        position.closed_at = trade.block_time
    return position


def fold(
    open_positions: Iterable[PositionState],
    trades: Iterable[WalletTrade],
    counters: Mapping[str, TradeCounters] | None = None,
) -> FoldResult:
    """Apply ``trades`` (in trade-id order) to copies of the open positions.

    Returns every position the trades touched (closed ones, still-open ones, new ones, in
    first-touch order; stored ones keep their ``position_id``) and the updated counters.
    """
    current: dict[tuple[str, str], PositionState] = {
        (p.wallet, p.mint): replace(p) for p in open_positions if not p.closed
    }
    result = FoldResult(counters=dict(counters or {}))
    touched: dict[int, PositionState] = {}
    for trade in trades:
        previous = result.counters.get(trade.wallet, TradeCounters())
        result.counters[trade.wallet] = previous.add(trade)
        key = (trade.wallet, trade.mint)
        position = _apply(current.get(key), trade)
        if position is None:
            continue
        touched.setdefault(id(position), position)
        current[key] = position
    result.positions = list(touched.values())
    return result


def unrealized_pnl_lamports(
    position: PositionState, price_sol: float | None, decimals: int
) -> int:
    """Value of what is held at ``price_sol`` (SOL per whole token) minus its cost basis."""
    if position.closed or position.token_amount_raw == 0 or price_sol is None:
        return 0
    value = position.token_amount_raw * price_sol * LAMPORTS_PER_SOL / 10**decimals
    return round(value) - position.cost_lamports


def hit_rate(closed: Iterable[PositionState], since: datetime) -> float | None:
    """Share of positions closed at or after ``since`` with realized PnL > 0 (None: none)."""
    window = [p for p in closed if p.closed_at is not None and p.closed_at >= since]
    if not window:
        return None
    return sum(1 for p in window if p.realized_pnl_lamports > 0) / len(window)


def wallet_stats(
    address: str,
    positions: Iterable[PositionState],
    counters: TradeCounters,
    *,
    now: datetime,
    prices_sol: Mapping[str, float] | None = None,
    decimals: Mapping[str, int] | None = None,
    balance_lamports: int | None = None,
) -> WalletStats:
    """One wallet's statistics from its positions, at ``now`` (aware UTC)."""
    prices_sol = prices_sol or {}
    decimals = decimals or {}
    rows = list(positions)
    closed = [p for p in rows if p.closed]
    open_ = [p for p in rows if not p.closed]
    unrealized = sum(
        unrealized_pnl_lamports(p, prices_sol.get(p.mint), decimals.get(p.mint, DEFAULT_DECIMALS))
        for p in open_
    )
    holdings = [h for h in (p.holding_s for p in closed) if h is not None]
    return WalletStats(
        address=address,
        realized_pnl_lamports=sum(p.realized_pnl_lamports for p in rows),
        unrealized_pnl_lamports=unrealized,
        hit_rate={d: hit_rate(closed, now - timedelta(days=d)) for d in HIT_RATE_WINDOWS_D},
        closed_positions=len(closed),
        open_positions=len(open_),
        avg_buy_lamports=(
            counters.buy_lamports // counters.buy_count if counters.buy_count else None
        ),
        median_holding_s=statistics.median(holdings) if holdings else None,
        trade_count=counters.trade_count,
        balance_lamports=balance_lamports,
    )
