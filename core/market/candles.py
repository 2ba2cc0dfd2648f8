"""OHLCV candles per mint from a stream of trades, closed as soon as a later trade proves it.

Rules (per mint, per interval):

- A trade at ``block_time`` belongs to the bucket starting at
  ``block_time - block_time % interval``.
- The first trade opens a bucket. A trade in the same bucket updates it. A trade in a *later*
  bucket closes the open one (returned from ``add``) and opens its own. Buckets without trades
  produce no candle (no flat filler candles).
- A *late* trade (in a bucket before the open one: transactions arrive out of order across
  providers and slots) cannot reopen a closed candle. It is folded into the open bucket's
  volumes, buy/sell counts and net flow, its price is ignored (OHLC untouched), and it is counted
  once per interval it is late for, in ``late_trades`` and
  ``solsignals_candle_late_trades_total``. Volumes therefore always sum to
  the trades' volumes; only their attribution to a bucket is approximate for late trades.
- ``evict_idle`` closes and forgets mints without a trade for ``idle_s`` (bounded memory);
  ``flush_all`` closes everything (shutdown). A trade arriving for an evicted mint starts afresh,
  so ``idle_s`` should exceed the expected lateness of trades.

``add`` is O(number of intervals) per trade: a dict lookup and a few field updates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.market import metrics
from core.storage.records import TickRecord


@dataclass(slots=True)
class _Bucket:
    start: int
    open_price_sol: float
    high_price_sol: float
    low_price_sol: float
    close_price_sol: float
    volume_lamports: int = 0
    buys: int = 0
    sells: int = 0
    net_flow_lamports: int = 0

    def add_flow(self, sol_lamports: int, is_buy: bool) -> None:
        self.volume_lamports += sol_lamports
        if is_buy:
            self.buys += 1
            self.net_flow_lamports += sol_lamports
        else:
            self.sells += 1
            self.net_flow_lamports -= sol_lamports

    def add_price(self, price_sol: float) -> None:
        self.close_price_sol = price_sol
        if price_sol > self.high_price_sol:
            self.high_price_sol = price_sol
        if price_sol < self.low_price_sol:
            self.low_price_sol = price_sol

    def to_record(self, mint: str, interval_s: int) -> TickRecord:
        return TickRecord(
            mint=mint,
            interval_s=interval_s,
            bucket_start=self.start,
            open_price_sol=self.open_price_sol,
            high_price_sol=self.high_price_sol,
            low_price_sol=self.low_price_sol,
            close_price_sol=self.close_price_sol,
            volume_lamports=self.volume_lamports,
            buys=self.buys,
            sells=self.sells,
            net_flow_lamports=self.net_flow_lamports,
        )


@dataclass(slots=True)
class _MintState:
    buckets: list[_Bucket]  # one per interval, same order as the aggregator's intervals
    last_trade_time: int


class CandleAggregator:
    """Builds 1 s / 1 min (or any) candles for many mints; see the module docstring for rules."""

    def __init__(self, intervals_s: Sequence[int] = (1, 60)) -> None:
        if not intervals_s or any(i <= 0 for i in intervals_s):
            raise ValueError(f"intervals_s must be positive, got {tuple(intervals_s)}")
        if len(set(intervals_s)) != len(intervals_s):
            raise ValueError(f"intervals_s has duplicates: {tuple(intervals_s)}")
        self.intervals_s: tuple[int, ...] = tuple(intervals_s)
        self._labels = tuple(str(i) for i in self.intervals_s)
        self._mints: dict[str, _MintState] = {}
        self.late_trades = 0

    def __len__(self) -> int:
        """Number of mints with open candles."""
        return len(self._mints)

    def add(
        self, mint: str, block_time: int, price_sol: float, sol_lamports: int, is_buy: bool
    ) -> list[TickRecord]:
        """Record one trade; return the candles this trade closed (oldest interval first)."""
        if sol_lamports < 0:
            raise ValueError("sol_lamports must be >= 0")
        state = self._mints.get(mint)
        if state is None:
            self._mints[mint] = _MintState(
                [
                    self._new_bucket(block_time - block_time % i, price_sol)
                    for i in self.intervals_s
                ],
                block_time,
            )
            for bucket in self._mints[mint].buckets:
                bucket.add_flow(sol_lamports, is_buy)
            metrics.CANDLE_OPEN_MINTS.set(len(self._mints))
            return []
        closed: list[TickRecord] = []
        state.last_trade_time = max(state.last_trade_time, block_time)
        for idx, interval in enumerate(self.intervals_s):
            bucket = state.buckets[idx]
            start = block_time - block_time % interval
            if start == bucket.start:
                bucket.add_price(price_sol)
            elif start > bucket.start:
                closed.append(bucket.to_record(mint, interval))
                bucket = self._new_bucket(start, price_sol)
                state.buckets[idx] = bucket
            else:
                self.late_trades += 1
                metrics.CANDLE_LATE_TRADES.labels(interval_s=self._labels[idx]).inc()
            bucket.add_flow(sol_lamports, is_buy)
        return closed

    def flush_all(self) -> list[TickRecord]:
        """Close every open candle and forget all mints (for shutdown)."""
        closed = [
            bucket.to_record(mint, interval)
            for mint, state in self._mints.items()
            for interval, bucket in zip(self.intervals_s, state.buckets, strict=True)
        ]
        self._mints.clear()
        metrics.CANDLE_OPEN_MINTS.set(0)
        return closed

    def evict_idle(self, now: int, idle_s: int) -> list[TickRecord]:
        """Close and forget mints whose last trade is at least ``idle_s`` before ``now``."""
        idle = [m for m, s in self._mints.items() if now - s.last_trade_time >= idle_s]
        closed: list[TickRecord] = []
        for mint in idle:
            state = self._mints.pop(mint)
            closed.extend(
                bucket.to_record(mint, interval)
                for interval, bucket in zip(self.intervals_s, state.buckets, strict=True)
            )
        metrics.CANDLE_OPEN_MINTS.set(len(self._mints))
        return closed

    @staticmethod
    def _new_bucket(start: int, price_sol: float) -> _Bucket:
        return _Bucket(start, price_sol, price_sol, price_sol, price_sol)
