"""One worker process's services, built once from the settings and reused by every job.

RQ calls job functions synchronously; each runs its coroutine on the process's one event loop
(``Runtime.run``), so the database pool, the HTTP clients and the unlocked keystore are built
once per process (``python -m workers`` runs a ``SimpleWorker``: jobs run in the worker process
itself, and so do its Prometheus metrics). Under a forking ``rq worker`` every job builds them
again, which works but is slower.

What a trade needs comes from ``TradingService.from_settings``, as for the bot: the RPC node
(the first of ``SOLANA_RPC_URLS``), Jupiter (``JUPITER_BASE_URL``), the signer backend
(``SIGNER_BACKEND``: the keystore or Vault Transit), the operator's limits (``TRADING_*``)
lowered by each user's own, the mint facts of buys (risk report, honeypot probe, liquidity).
A missing one is a ``ConfigError`` naming it.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from core.chain.rpc_client import RpcClient
from core.config import EXAMPLES, Settings, load_settings
from core.errors import ConfigError
from core.storage.db import create_engine
from core.trading.audit import AuditTrail
from core.trading.autotrade_store import AutoTradeStore
from core.trading.confirm import TransactionLander
from core.trading.executor import TradeExecutor
from core.trading.jupiter_client import JupiterClient
from core.trading.order_store import OrderStore
from core.trading.pricing import MarkPrices
from core.trading.priority_fee import FeeBid, PriorityFeeEstimator
from core.trading.service import TradingService
from core.trading.trade_requests import TradeRequestStore
from workers import queues
from workers.config import WorkerSettings, load_worker_settings

log = structlog.get_logger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Services:
    engine: AsyncEngine
    orders: OrderStore
    trades: TradeRequestStore
    autotrade: AutoTradeStore
    audit: AuditTrail
    prices: MarkPrices
    rpc: RpcClient
    jupiter: JupiterClient
    executor: TradeExecutor
    aredis: aioredis.Redis  # streams (signals in, auto-trade intents out)


class Runtime:
    """The process's settings, event loop, Redis connection and (lazily) its services."""

    def __init__(self, settings: Settings, worker: WorkerSettings) -> None:
        self.settings = settings
        self.worker = worker
        if settings.redis_url is None:
            raise ConfigError("REDIS_URL", "not set (the workers' queues)", EXAMPLES["REDIS_URL"])
        self.redis_url = settings.redis_url.get_secret_value()
        self.redis = queues.connect(self.redis_url)
        self.owner = f"worker:{socket.gethostname()}:{os.getpid()}"
        self._loop = asyncio.new_event_loop()
        self._services: Services | None = None

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coro)

    def loops(self) -> list[queues.Loop]:
        w = self.worker
        return [
            queues.Loop("monitor", "workers.monitor.monitor_tick", w.monitor_interval_s),
            queues.Loop("reaper", "workers.reaper.reaper_tick", w.reaper_interval_s),
            queues.Loop("autotrade", "workers.autotrade.autotrade_tick", w.autotrade_interval_s),
        ]

    def loop_named(self, name: str) -> queues.Loop:
        return next(loop for loop in self.loops() if loop.name == name)

    def ensure_loops(self) -> list[str]:
        """Start the chains that are not alive; the names of those started."""
        return [
            loop.name
            for loop in self.loops()
            if queues.ensure(self.redis, loop, timeout_s=self.worker.job_timeout_s)
        ]

    def tick(self, name: str, token: str, body: Callable[[Services], Awaitable[object]]) -> str:
        """One run of loop ``name``: ``body`` unless this chain was replaced, then the next run
        (scheduled even when ``body`` raised, so an error never stops the loop)."""
        loop = self.loop_named(name)
        if not queues.current(self.redis, loop, token):
            queues.CHAIN_RUNS.labels(name, "superseded").inc()
            return "superseded"
        try:
            self.run(self._body(body))
        finally:
            queues.schedule_next(self.redis, loop, token, timeout_s=self.worker.job_timeout_s)
            queues.observe_depths(self.redis)
        return "ran"

    async def _body(self, body: Callable[[Services], Awaitable[object]]) -> None:
        await body(await self.services())

    async def services(self) -> Services:
        if self._services is None:
            self._services = await self._build()
        return self._services

    async def _build(self) -> Services:
        """The trading parts come from ``TradingService.from_settings`` (RPC node, Jupiter,
        the signer backend, each user's policy, the mint facts), exactly as the bot trades;
        the worker's executor has its own lease and owner name."""
        s, w = self.settings, self.worker
        engine = create_engine(s.database_url.get_secret_value())
        trading = TradingService.from_settings(s, engine=engine)
        trades = TradeRequestStore(engine=engine, lease_s=w.trade_lease_s)
        executor = TradeExecutor(
            store=trades,
            rpc=trading.rpc,
            route=trading.route,
            signer_for=trading.signers.signer,
            policy_for=trading.policy_for,
            fees=PriorityFeeEstimator(
                trading.rpc,
                FeeBid(
                    s.trading_priority_fee_percentile,
                    s.trading_priority_fee_min_micro_lamports,
                    s.trading_priority_fee_max_micro_lamports,
                ),
            ),
            lander=TransactionLander(
                trading.rpc,
                poll_s=s.trading_confirm_poll_ms / 1000,
                rebroadcast_s=s.trading_rebroadcast_ms / 1000,
            ),
            facts=trading.facts,
            owner=self.owner,
        )
        log.info("worker_services_ready", owner=self.owner, rpc=trading.rpc.name)
        return Services(
            engine=engine,
            orders=OrderStore(
                engine=engine, lease_s=w.order_lease_s, max_attempts=w.order_max_attempts
            ),
            trades=trades,
            autotrade=AutoTradeStore(engine=engine, intent_ttl_s=w.intent_ttl_s),
            audit=AuditTrail(engine=engine),
            prices=MarkPrices(engine=engine, jupiter=trading.jupiter, max_age_s=w.price_max_age_s),
            rpc=trading.rpc,
            jupiter=trading.jupiter,
            executor=executor,
            aredis=aioredis.Redis.from_url(self.redis_url),
        )


_RUNTIME: Runtime | None = None


def runtime() -> Runtime:
    """This process's runtime, built on first use from the environment."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = Runtime(load_settings(), load_worker_settings())
    return _RUNTIME
