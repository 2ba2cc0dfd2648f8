"""Scoring wired for a running process: the engine, what it reads from the database, where its
signals go.

- Tracked wallets come from the registry (featured, community, users' private lists) and the
  operator's global rules from the rules table; both are re-read every ``refresh_s``, so a wallet
  or rule added from a bot or the admin takes effect without a restart.
- Engine parameters come from the ``engine_params`` table and are hot-reloaded by a watcher; a
  bad row is logged and the last good parameters stay in force.
- Every signal is stored in ``signals`` and, with Redis, published on the ``signals.out`` stream
  that the bots read with a consumer group.
- With an RPC client, each tracked wallet's first SOL funder is looked up once in the background
  (``FunderTracker``, stored in ``wallet_funders``) and common funders become clusters
  (``ClusterIndex.set_funders``, hub rule in ``core.wallets.clusters``).
- Fills of the featured and community wallets (not users' private watches, which must not leak
  into alerts sent to everyone) feed the Smart Activity detector; its alerts are published, with
  Redis, on the ``activity.out`` stream (``core.signals.activity_alerts``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis
import structlog
from prometheus_client import Gauge
from sqlalchemy.exc import SQLAlchemyError

from core.bus.streams import StreamPublisher
from core.chain.rpc_client import RpcClient
from core.errors import UpstreamError
from core.risk.service import RiskService
from core.signals import SignalEngine, SignalParams
from core.signals.activity_alerts import (
    ACTIVITY_PUBLISH_FAILURES,
    ActivityAlert,
    ActivityDetector,
    activity_alert_to_stream_fields,
)
from core.signals.activity_alerts import STREAM as ACTIVITY_STREAM
from core.signals.codec import STREAM, signal_to_stream_fields
from core.signals.params_store import ParamsStore, ParamsWatcher
from core.signals.rules import Rule
from core.signals.rules_store import RulesStore
from core.signals.signal import Signal
from core.signals.stage import Emit, SignalStage
from core.signals.store import SignalStore
from core.storage.models import ListKind
from core.wallets.clusters import ClusterIndex, ClusterParams
from core.wallets.funder_store import FunderStore
from core.wallets.funders import FunderTracker
from core.wallets.registry import WalletRegistry

log = structlog.get_logger(__name__)

FUNDER_HUBS = Gauge(
    "solsignals_wallet_funder_hubs",
    "Funders that link nobody under the hub rule (more tracked wallets than the limit)",
)

Wallets = dict[str, frozenset[str]]


async def registry_wallets(registry: WalletRegistry) -> tuple[Wallets, Wallets]:
    """Every tracked wallet (address -> tags), and the public ones (featured, community)."""
    entries = await registry.entries()
    tracked = {e.address: frozenset(e.tags) for e in entries}
    public = {e.address: frozenset(e.tags) for e in entries if e.list_kind is not ListKind.MINE}
    return tracked, public


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
        public: Mapping[str, frozenset[str]] | None = None,
        funders: FunderTracker | None = None,
        cluster_params: ClusterParams | None = None,
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
        self._activity_publisher = (
            StreamPublisher(redis, ACTIVITY_STREAM) if redis is not None else None
        )
        self._refresh_s = refresh_s
        self._watcher = ParamsWatcher(
            self._params_store, self._on_params, poll_s=params_poll_s, current=params
        )
        self.funders = funders
        self.stage = SignalStage(
            engine,
            emit=self._emit,
            risk=risk,
            tracked=tracked,
            clusters=ClusterIndex(cluster_params or ClusterParams()),
            activity=ActivityDetector(params, public if public is not None else {}),
            emit_activity=self._emit_activity,
        )
        self.tracked = 0
        self.published = 0
        self.activity_published = 0

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
        rpc: RpcClient | None = None,
        cluster_params: ClusterParams | None = None,
        funder_concurrency: int = 4,
    ) -> Scoring:
        """``rpc``: where first funders are looked up (None: clusters from co-buying only)."""
        registry = WalletRegistry(database_url)
        wallets, public = await registry_wallets(registry)
        async with ParamsStore(database_url) as params_store:
            params = await params_store.load()
        async with RulesStore(database_url) as rules_store:
            rules = tuple(await rules_store.active_rules())
        engine = SignalEngine(_with_rules(params, rules), wallets, sol_usd=sol_usd)
        redis = aioredis.Redis.from_url(redis_url) if redis_url else None
        funders = None
        if rpc is not None:
            store = FunderStore(database_url)
            funders = FunderTracker(rpc, store, concurrency=funder_concurrency)
            await funders.track(wallets.keys())
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
            public=public,
            funders=funders,
            cluster_params=cluster_params,
        )
        scoring.tracked = len(wallets)
        scoring.apply_funders()
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

    async def _emit_activity(self, alerts: Sequence[ActivityAlert]) -> None:
        for alert in alerts:
            log.info(
                "activity_alert",
                mint=alert.mint,
                window_s=alert.window_s,
                buy_lamports=alert.buy_lamports,
                wallets=len(alert.wallets),
            )
        if self._activity_publisher is None:
            return
        try:
            await self._activity_publisher.publish_many(
                [activity_alert_to_stream_fields(a) for a in alerts]
            )
            self.activity_published += len(alerts)
        except UpstreamError as exc:
            ACTIVITY_PUBLISH_FAILURES.inc(len(alerts))
            log.warning("activity_publish_failed", count=len(alerts), error=str(exc))

    # ---- what the engine reads --------------------------------------------------------------

    def _on_params(self, params: SignalParams) -> None:
        self._base_params = params
        self.stage.engine.update_params(_with_rules(params, self._rules))
        if self.stage.activity is not None:
            self.stage.activity.update_params(params)
        log.info("signal_params_reloaded")

    def set_wallets(
        self,
        wallets: Mapping[str, frozenset[str]],
        public: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        """The tracked wallets (address -> tags) and, of them, those whose fills may raise
        Smart Activity alerts (None: all of them)."""
        self.stage.engine.set_smart_wallets(wallets)
        self.stage.set_tracked(wallets.keys())
        if self.stage.activity is not None:
            self.stage.activity.set_wallets(public if public is not None else wallets)
        self.tracked = len(wallets)
        self.apply_funders()

    def apply_funders(self) -> None:
        """Hand the known first funders of the tracked wallets to the clusters."""
        if self.funders is None:
            return
        clusters = self.stage.clusters
        clusters.set_funders(self.funders.funders(self.stage.tracked))
        FUNDER_HUBS.set(len(clusters.hub_funders))

    async def _refresh_wallets(self) -> None:
        wallets, public = await registry_wallets(self._registry)
        self.set_wallets(wallets, public)
        if self.funders is not None:
            await self.funders.track(wallets.keys())

    async def refresh_loop(self) -> None:
        watcher = asyncio.create_task(self._watcher.run())
        funders = (
            asyncio.create_task(self.funders.run(self.apply_funders), name="funders")
            if self.funders is not None
            else None
        )
        try:
            while True:
                await asyncio.sleep(self._refresh_s)
                try:
                    await self._refresh_wallets()
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
            if funders is not None:
                funders.cancel()
                await asyncio.gather(funders, return_exceptions=True)

    def summary(self) -> dict[str, Any]:
        stats = self.stage.stats
        return {
            "signals": stats.signals,
            "signalled_mints": len(stats.first_signal_at),
            "signals_published": self.published,
            "tracked_wallets": self.tracked,
            "risk_reports": stats.risk_reports,
            "clustered_signals": stats.clustered_signals,
            "clusters": len(self.stage.clusters.clusters()),
            "funders_known": self.funders.known if self.funders is not None else 0,
            "funders_pending": self.funders.pending if self.funders is not None else 0,
            "funder_hubs": len(self.stage.clusters.hub_funders),
            "activity_alerts": stats.activity_alerts,
            "activity_alerts_published": self.activity_published,
        }

    async def aclose(self) -> None:
        await self.stage.aclose()
        await self._registry.aclose()
        await self._signals.aclose()
        await self._params_store.aclose()
        await self._rules_store.aclose()
        if self.funders is not None:
            await self.funders.aclose()
        if self._redis is not None:
            await self._redis.aclose()


def _with_rules(params: SignalParams, rules: tuple[Rule, ...]) -> SignalParams:
    """The engine's parameters plus the operator's stored global rules."""
    if not rules:
        return params
    return dataclasses.replace(params, rules=(*params.rules, *rules))
