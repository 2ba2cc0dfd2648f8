"""Scoring wired for a running process: the engine, what it reads from the database, where its
signals go.

- Tracked wallets come from the registry (featured, community, users' private lists) and the
  operator's global rules from the rules table; both are re-read every ``refresh_s``, so a wallet
  or rule added from a bot or the admin takes effect without a restart.
- Engine parameters come from the ``engine_params`` table and are hot-reloaded by a watcher; a
  bad row is logged and the last good parameters stay in force.
- Every signal is stored in ``signals`` and, with Redis, published on the ``signals.out`` stream
  that the bots read with a consumer group.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
import structlog
from sqlalchemy.exc import SQLAlchemyError

from core.bus.streams import StreamPublisher
from core.errors import UpstreamError
from core.risk.service import RiskService
from core.signals import SignalEngine, SignalParams
from core.signals.codec import STREAM, signal_to_stream_fields
from core.signals.params_store import ParamsStore, ParamsWatcher
from core.signals.rules import Rule
from core.signals.rules_store import RulesStore
from core.signals.signal import Signal
from core.signals.stage import Emit, SignalStage
from core.signals.store import SignalStore
from core.wallets.registry import WalletRegistry

log = structlog.get_logger(__name__)


async def tracked_wallets(registry: WalletRegistry) -> dict[str, frozenset[str]]:
    return {e.address: frozenset(e.tags) for e in await registry.entries()}


class Scoring:
    def __init__(
        self,
        engine: SignalEngine,
        *,
        database_url: str,
        registry: WalletRegistry,
        params: SignalParams,
        rules: tuple[Rule, ...],
        risk: RiskService | None,
        extra_emit: Emit | None,
        redis: aioredis.Redis | None,
        refresh_s: float,
        params_poll_s: float,
        tracked: Collection[str] = (),
    ) -> None:
        self._registry = registry
        self._signals = SignalStore(database_url)
        self._params_store = ParamsStore(database_url)
        self._rules_store = RulesStore(database_url)
        self._base_params = params
        self._rules = rules
        self._extra_emit = extra_emit
        self._redis = redis
        self._publisher = StreamPublisher(redis, STREAM) if redis is not None else None
        self._refresh_s = refresh_s
        self._watcher = ParamsWatcher(
            self._params_store, self._on_params, poll_s=params_poll_s, current=params
        )
        self.stage = SignalStage(engine, emit=self._emit, risk=risk, tracked=tracked)
        self.tracked = 0
        self.published = 0

    @classmethod
    async def create(
        cls,
        database_url: str,
        *,
        sol_usd: Callable[[], float],
        risk: RiskService | None,
        emit: Emit | None,
        redis_url: str | None = None,
        refresh_s: float = 30.0,
        params_poll_s: float = 5.0,
    ) -> Scoring:
        registry = WalletRegistry(database_url)
        wallets = await tracked_wallets(registry)
        async with ParamsStore(database_url) as params_store:
            params = await params_store.load()
        async with RulesStore(database_url) as rules_store:
            rules = tuple(await rules_store.active_rules())
        engine = SignalEngine(_with_rules(params, rules), wallets, sol_usd=sol_usd)
        redis = aioredis.Redis.from_url(redis_url) if redis_url else None
        scoring = cls(
            engine,
            database_url=database_url,
            registry=registry,
            params=params,
            rules=rules,
            risk=risk,
            extra_emit=emit,
            redis=redis,
            refresh_s=refresh_s,
            params_poll_s=params_poll_s,
            tracked=wallets.keys(),
        )
        scoring.tracked = len(wallets)
        log.info("scoring_ready", tracked_wallets=len(wallets), stored_rules=len(rules))
        return scoring

    # ---- signals out ------------------------------------------------------------------------

    async def _emit(self, signals: Sequence[Signal]) -> None:
        await self._signals.save(signals)
        if self._publisher is not None:
            try:
                await self._publisher.publish_many([signal_to_stream_fields(s) for s in signals])
                self.published += len(signals)
            except UpstreamError as exc:  # stored already: bots can still read the table
                log.warning("signals_publish_failed", count=len(signals), error=str(exc))
        if self._extra_emit is not None:
            await self._extra_emit(signals)

    # ---- what the engine reads --------------------------------------------------------------

    def _on_params(self, params: SignalParams) -> None:
        self._base_params = params
        self.stage.engine.update_params(_with_rules(params, self._rules))
        log.info("signal_params_reloaded")

    def set_wallets(self, wallets: Mapping[str, frozenset[str]]) -> None:
        self.stage.engine.set_smart_wallets(wallets)
        self.stage.set_tracked(wallets.keys())
        self.tracked = len(wallets)

    async def refresh_loop(self) -> None:
        watcher = asyncio.create_task(self._watcher.run())
        try:
            while True:
                await asyncio.sleep(self._refresh_s)
                try:
                    self.set_wallets(await tracked_wallets(self._registry))
                    rules = tuple(await self._rules_store.active_rules())
                except SQLAlchemyError as exc:  # keep scoring with what we have; retry later
                    log.warning("scoring_refresh_failed", error=str(exc))
                    continue
                if rules != self._rules:
                    self._rules = rules
                    self.stage.engine.update_params(_with_rules(self._base_params, rules))
                    log.info("signal_rules_reloaded", rules=len(rules))
        finally:
            self._watcher.stop()
            watcher.cancel()

    def summary(self) -> dict[str, Any]:
        stats = self.stage.stats
        return {
            "signals": stats.signals,
            "signalled_mints": len(stats.first_signal_at),
            "signals_published": self.published,
            "tracked_wallets": self.tracked,
            "risk_reports": stats.risk_reports,
            "clustered_signals": stats.clustered_signals,
        }

    async def aclose(self) -> None:
        await self.stage.aclose()
        await self._registry.aclose()
        await self._signals.aclose()
        await self._params_store.aclose()
        await self._rules_store.aclose()
        if self._redis is not None:
            await self._redis.aclose()


def _with_rules(params: SignalParams, rules: tuple[Rule, ...]) -> SignalParams:
    """The engine's parameters plus the operator's stored global rules."""
    if not rules:
        return params
    return dataclasses.replace(params, rules=(*params.rules, *rules))
