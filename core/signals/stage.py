"""The scoring stage: ingested records → SignalEngine → signals handed to an emitter.

It sits after storage in the record fan-out (data flows one way: it never writes back into
ingestion). Time is event time: the engine ticks on the newest block time seen, so a replay
at any speed scores exactly as the same events live. Risk reports are fetched in the
background for each new mint (bounded concurrency, never on the record path) and handed to the
engine when they arrive.

Fills of tracked wallets also feed the co-buy clusters (``clusters``) and, when given, the Smart
Activity detector (``activity``), whose alerts go to ``emit_activity``. Each signal whose smart
buyers include several wallets of one cluster names the cluster, its reasons and its strength.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field

import structlog

from core.errors import UpstreamError
from core.risk.service import RiskService
from core.signals.activity_alerts import ActivityAlert, ActivityDetector
from core.signals.engine import SignalEngine
from core.signals.signal import Signal
from core.storage.records import (
    CurveCompleteRecord,
    MintRecord,
    PoolRecord,
    Record,
    TradeRecord,
)
from core.wallets.clusters import ClusterIndex

log = structlog.get_logger(__name__)

Emit = Callable[[Sequence[Signal]], Awaitable[None]]
EmitActivity = Callable[[Sequence[ActivityAlert]], Awaitable[None]]
MAX_REMEMBERED = 50_000  # mints whose first signal / dev sell we remember for the summary


@dataclass(slots=True)
class StageStats:
    signals: int = 0
    risk_reports: int = 0
    risk_failures: int = 0
    clustered_signals: int = 0  # signals where several smart buyers are one entity
    activity_alerts: int = 0
    first_signal_at: OrderedDict[str, int] = field(default_factory=OrderedDict)
    dev_sold_at: OrderedDict[str, int] = field(default_factory=OrderedDict)


def _remember(bounded: OrderedDict[str, int], key: str, value: int) -> None:
    if key not in bounded:
        bounded[key] = value
        if len(bounded) > MAX_REMEMBERED:
            bounded.popitem(last=False)


class SignalStage:
    """A record sink that scores; ``emit`` receives each batch of new signals."""

    def __init__(
        self,
        engine: SignalEngine,
        *,
        emit: Emit | None = None,
        risk: RiskService | None = None,
        risk_concurrency: int = 4,
        clock: Callable[[], float] = time.time,  # only for dev-sell times without a block time
        tracked: Collection[str] = (),
        clusters: ClusterIndex | None = None,
        activity: ActivityDetector | None = None,
        emit_activity: EmitActivity | None = None,
    ) -> None:
        self.engine = engine
        self._tracked = frozenset(tracked)
        self.clusters = clusters if clusters is not None else ClusterIndex()
        self.activity = activity
        self._emit_activity = emit_activity
        self._emit = emit
        self._risk = risk
        self._risk_slots = asyncio.Semaphore(risk_concurrency)
        self._risk_tasks: set[asyncio.Task[None]] = set()
        self._clock = clock
        self._last_tick = 0
        self._event_time = 0
        self.stats = StageStats()
        engine.on_dev_sell = self._on_dev_sell

    def _on_dev_sell(self, trade: TradeRecord) -> None:
        _remember(self.stats.dev_sold_at, trade.mint, trade.block_time or int(self._clock()))

    def set_tracked(self, wallets: Collection[str]) -> None:
        """The wallets whose buys feed co-buy clustering (the engine's smart wallets)."""
        self._tracked = frozenset(wallets)

    @property
    def tracked(self) -> frozenset[str]:
        return self._tracked

    async def add_many(self, records: Sequence[Record]) -> None:
        engine = self.engine
        tracked = self._tracked
        activity = self.activity
        active = activity.wallets if activity is not None else {}
        out: list[Signal] = []
        alerts: list[ActivityAlert] = []
        for rec in records:
            if isinstance(rec, TradeRecord):
                if rec.is_buy and rec.trader in tracked and rec.block_time:
                    self.clusters.add_buy(rec.trader, rec.mint, rec.block_time)
                if rec.trader in active:
                    assert activity is not None
                    alerts.extend(activity.on_trade(rec))
                signal = engine.on_trade(rec)
                if signal is not None:
                    out.append(signal)
            elif isinstance(rec, MintRecord):
                engine.on_mint(rec)
                self._check_risk(rec.mint, rec.creator)
            elif isinstance(rec, CurveCompleteRecord):
                engine.on_complete(rec)
            elif isinstance(rec, PoolRecord):
                engine.on_pool(rec)
        for rec in reversed(records):
            if isinstance(rec, TradeRecord) and rec.block_time:
                self._event_time = max(self._event_time, rec.block_time)
                break
        now = self._event_time
        if now and now != self._last_tick:
            self._last_tick = now
            out.extend(engine.tick(now))
            if activity is not None:
                activity.expire(now)
        if alerts:
            self.stats.activity_alerts += len(alerts)
            if self._emit_activity is not None:
                await self._emit_activity(alerts)
        if out:
            await self._deliver(out)

    def _with_clusters(self, signal: Signal) -> Signal:
        buyers = {address for address, _sol in signal.smart_buyers}
        if len(buyers) < 2:
            return signal
        groups = self.clusters.independent_buyers(buyers).groups
        if not groups:
            return signal
        self.stats.clustered_signals += 1
        return dataclasses.replace(
            signal,
            clusters=tuple((g.cluster_id, tuple(sorted(g.members)), g.describe()) for g in groups),
        )

    async def _deliver(self, signals: list[Signal]) -> None:
        signals = [self._with_clusters(s) for s in signals]
        self.stats.signals += len(signals)
        for signal in signals:
            _remember(self.stats.first_signal_at, signal.mint, signal.at)
        if self._emit is not None:
            await self._emit(signals)

    def _check_risk(self, mint: str, creator: str | None) -> None:
        if self._risk is None:
            return
        task = asyncio.create_task(self._fetch_risk(mint, creator))
        self._risk_tasks.add(task)
        task.add_done_callback(self._risk_tasks.discard)

    async def _fetch_risk(self, mint: str, creator: str | None) -> None:
        assert self._risk is not None
        async with self._risk_slots:
            try:
                report = await self._risk.report(mint, creator=creator, dev_sold=None)
            except UpstreamError as exc:  # the service degrades to UNKNOWN itself; belt and braces
                self.stats.risk_failures += 1
                log.warning("risk_report_failed", mint=mint, error=str(exc))
                return
        self.stats.risk_reports += 1
        self.engine.set_risk(mint, report)

    async def aclose(self) -> None:
        for task in list(self._risk_tasks):
            task.cancel()
        await asyncio.gather(*self._risk_tasks, return_exceptions=True)
