"""The ingestion loop: chain notices → decode → records → storage, candles and the live feed."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from core.chain.notices import LogsNotice
from core.decode import decode_logs
from core.decode.events import DecodeStats, FailureKind
from core.errors import UpstreamError
from core.ingest import metrics
from core.ingest.feed import FeedItem, feed_items
from core.ingest.normalize import Normalizer
from core.ingest.pools import PoolResolver
from core.market.candles import CandleAggregator
from core.programs import Program
from core.storage.records import (
    CurveCompleteRecord,
    MintRecord,
    PoolRecord,
    Record,
    TradeRecord,
)

log = structlog.get_logger(__name__)

MAX_DRAIN = 1_000  # notices decoded per loop turn before yielding to storage
MAX_POOL_ATTEMPTS = 3  # RPC failures before a pool's held trades are given up (and counted)
POOL_RETRY_S = 1.0


class RecordSink(Protocol):
    async def add_many(self, records: Sequence[Record]) -> None: ...


@dataclass(slots=True)
class IngestStats:
    notices: int = 0
    decoded: int = 0
    decode_errors: int = 0  # inputs we could not decode (a failed transaction is not one)
    failed_txs: int = 0  # transactions with err != null: their events never happened
    trades: int = 0
    mints: int = 0
    completes: int = 0
    pools: int = 0
    pools_resolved: int = 0  # pools first seen through trades and read from chain
    ticks: int = 0
    events_by_name: Counter[str] = field(default_factory=Counter)
    started_monotonic: float = field(default_factory=time.monotonic)

    def as_dict(self, decode_stats: DecodeStats) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.started_monotonic, 1e-9)
        return {
            "events": self.notices,
            "decoded": self.decoded,
            "decode_errors": self.decode_errors,
            "decode_errors_by_kind": {
                k: v for k, v in decode_stats.failures.items() if k != FailureKind.FAILED_TX.value
            },
            "failed_txs": self.failed_txs,
            "trades": self.trades,
            "mints": self.mints,
            "curve_completes": self.completes,
            "pools": self.pools,
            "pools_resolved": self.pools_resolved,
            "ticks": self.ticks,
            "events_by_name": dict(self.events_by_name),
            "events_per_s": round(self.notices / elapsed, 1),
            "elapsed_s": round(elapsed, 3),
        }


class IngestPipeline:
    """Consumes ``LogsNotice`` from ``inbox``; hands records to ``sink`` in drained batches."""

    def __init__(
        self,
        inbox: asyncio.Queue[LogsNotice],
        sink: RecordSink,
        *,
        big_trade_lamports: int,
        on_feed: Callable[[FeedItem], None] | None = None,
        candles: CandleAggregator | None = None,
        normalizer: Normalizer | None = None,
        pool_resolver: PoolResolver | None = None,
    ) -> None:
        self._inbox = inbox
        self._sink = sink
        self._on_feed = on_feed
        self._big_trade_lamports = big_trade_lamports
        self._candles = candles if candles is not None else CandleAggregator()
        self._normalizer = normalizer if normalizer is not None else Normalizer()
        self._resolver = pool_resolver
        if pool_resolver is not None:
            self._normalizer.hold_unknown_pools = True
        self._resolving: set[asyncio.Task[None]] = set()
        self._pool_attempts: Counter[str] = Counter()
        self.decode_stats = DecodeStats()
        self.stats = IngestStats()
        self._failures_reported: Counter[str] = Counter()
        self._failed_txs_seen = 0
        self._stopping = asyncio.Event()

    def summary(self) -> dict[str, Any]:
        out = self.stats.as_dict(self.decode_stats)
        out["not_stored"] = dict(self._normalizer.skipped)
        out["held_for_pool"] = self._normalizer.held_events
        return out

    def stop(self) -> None:
        """Finish what is queued, flush open candles, then return from ``run``."""
        self._stopping.set()

    async def run(self) -> None:
        while True:
            batch = await self._next_batch()
            if batch:
                records = self.process(batch)
                if records:
                    await self._sink.add_many(records)
                self._start_pool_resolution()
            elif self._stopping.is_set():
                break
        while self._resolving:  # held trades are stored before the final candles
            await asyncio.gather(*self._resolving, return_exceptions=True)
        closing = self._candles.flush_all()
        self.stats.ticks += len(closing)
        if closing:
            await self._sink.add_many(closing)

    async def _next_batch(self) -> list[LogsNotice]:
        inbox = self._inbox
        if inbox.empty():
            if self._stopping.is_set():
                return []
            getter = asyncio.ensure_future(inbox.get())
            stopper = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if getter not in done:
                getter.cancel()
                return []
            batch = [getter.result()]
        else:
            batch = [inbox.get_nowait()]
        while len(batch) < MAX_DRAIN and not inbox.empty():
            batch.append(inbox.get_nowait())
        metrics.INBOX_DEPTH.set(inbox.qsize())
        return batch

    def _account(self, records: list[Record], out: list[Record]) -> None:
        """Count records, update candles and the feed, and append all of it to ``out``."""
        stats = self.stats
        out.extend(records)
        for rec in records:
            if isinstance(rec, TradeRecord):
                stats.trades += 1
                if rec.block_time:
                    ticks = self._candles.add(
                        rec.mint, rec.block_time, rec.price_sol, rec.sol_lamports, rec.is_buy
                    )
                    if ticks:
                        stats.ticks += len(ticks)
                        out.extend(ticks)
            elif isinstance(rec, MintRecord):
                stats.mints += 1
            elif isinstance(rec, CurveCompleteRecord):
                stats.completes += 1
            elif isinstance(rec, PoolRecord):
                stats.pools += 1
        if self._on_feed is not None:
            for item in feed_items(records, big_trade_lamports=self._big_trade_lamports):
                self._on_feed(item)

    # ---- pools first seen through their trades ---------------------------------------------

    def _start_pool_resolution(self) -> None:
        if self._resolver is None:
            return
        pools = self._normalizer.take_unrequested_pools()
        if pools:
            task = asyncio.create_task(self._resolve_pools(pools))
            self._resolving.add(task)
            task.add_done_callback(self._resolving.discard)

    async def _resolve_pools(self, pools: list[str]) -> None:
        assert self._resolver is not None
        try:
            found = await self._resolver.resolve(pools)
        except UpstreamError as exc:
            retry = []
            for pool in pools:
                self._pool_attempts[pool] += 1
                if self._pool_attempts[pool] >= MAX_POOL_ATTEMPTS:
                    self._normalizer.resolve_pool(pool, None)  # counted, dropped
                    del self._pool_attempts[pool]
                else:
                    self._normalizer.release_pool(pool)
                    retry.append(pool)
            log.warning(
                "pool_resolution_failed", pools=len(pools), retry=len(retry), error=str(exc)
            )
            if retry and not self._stopping.is_set():
                await asyncio.sleep(POOL_RETRY_S)
                self._start_pool_resolution()
            return
        out: list[Record] = []
        for pool, mints in found.items():
            self._pool_attempts.pop(pool, None)
            resolved: list[Record] = []
            if mints is not None:
                self.stats.pools_resolved += 1
                resolved.append(
                    PoolRecord(
                        pool=pool,
                        program=Program.PUMP_AMM,
                        base_mint=mints.base_mint,
                        quote_mint=mints.quote_mint,
                        created_at=None,  # created before we listened
                        slot=None,
                        signature=None,
                    )
                )
            resolved.extend(self._normalizer.resolve_pool(pool, mints))
            self._account(resolved, out)
        if out:
            await self._sink.add_many(out)

    def process(self, notices: list[LogsNotice]) -> list[Record]:
        """Decode and normalise a batch (pure CPU work, no awaits)."""
        started = time.perf_counter()
        stats = self.stats
        dstats = self.decode_stats
        out: list[Record] = []
        failures_before = dstats.failed
        # Live notices carry no block time; at `confirmed` the receipt time is within a few
        # seconds of it, and events' own timestamps take precedence in normalisation.
        received_s = int(time.time())
        by_source: Counter[str] = Counter()
        by_event: Counter[tuple[str, str]] = Counter()
        for notice in notices:
            stats.notices += 1
            by_source[notice.source] += 1
            events = decode_logs(
                notice.logs,
                signature=notice.signature,
                slot=notice.slot,
                block_time=notice.block_time or received_s,
                err=notice.err,
                stats=dstats,
            )
            if not events:
                continue
            stats.decoded += len(events)
            for ev in events:
                by_event[(ev.program.value, ev.event)] += 1
            self._account(self._normalizer.records(events), out)
        new_failures = dstats.failed - failures_before
        failed_now = dstats.failures.get(FailureKind.FAILED_TX.value, 0)
        new_failures -= failed_now - self._failed_txs_seen
        stats.failed_txs += failed_now - self._failed_txs_seen
        self._failed_txs_seen = failed_now
        if new_failures:
            stats.decode_errors += new_failures
            log.debug("decode_failures", count=new_failures, last=dstats.last_failure)
            for kind, total in dstats.failures.items():
                seen = self._failures_reported[kind]
                if total > seen:
                    metrics.DECODE_FAILURES.labels(kind).inc(total - seen)
                    self._failures_reported[kind] = total
        for source, n in by_source.items():
            metrics.NOTICES_IN.labels(source).inc(n)
        for (program, event), n in by_event.items():
            stats.events_by_name[f"{program}.{event}"] += n
            metrics.EVENTS_DECODED.labels(program, event).inc(n)
        metrics.RECORDS_OUT.labels("all").inc(len(out))
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        return out
