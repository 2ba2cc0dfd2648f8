"""Assembles one ingestion process: pubsub client → pipeline → storage (+ Redis stream).

Used by `solsignals run` (real providers, PostgreSQL, Redis) and `solsignals demo` (local replay,
SQLite). Same code path for both; only the providers and URLs differ.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from core.chain.notices import LogsNotice
from core.chain.providers import Provider
from core.chain.pubsub import PubsubClient
from core.chain.rpc_client import RpcClient
from core.ingest.feed import FeedItem
from core.ingest.pipeline import IngestPipeline
from core.ingest.pools import PoolResolver
from core.ingest.redis_stream import RedisRecordStream
from core.ingest.scoring import Scoring
from core.ingest.sinks import FanoutSink, RecordSink
from core.market.sol_usd import SolUsdOracle
from core.risk import CheckResult, RiskParams, RiskService
from core.risk.sellability import check_sellability
from core.signals.stage import Emit
from core.storage.migrate import upgrade
from core.storage.writer import BatchWriter
from core.trading import JupiterClient
from core.wallets.clusters import ClusterParams

log = structlog.get_logger(__name__)


def _risk_service(
    rpc: RpcClient, jupiter: JupiterClient | None, probe_wallet: str | None
) -> RiskService:
    """Risk checks; the honeypot probe joins them when Jupiter and a probe wallet are set."""
    if jupiter is None or probe_wallet is None:
        return RiskService(rpc, RiskParams())
    wallet = probe_wallet

    async def probe(mint: str) -> CheckResult:
        return await check_sellability(jupiter, rpc, mint, probe_wallet=wallet)

    return RiskService(rpc, RiskParams(), sellability=probe)


class IngestService:
    def __init__(
        self,
        client: PubsubClient,
        pipeline: IngestPipeline,
        sink: FanoutSink,
        inbox: asyncio.Queue[LogsNotice],
        rpc: RpcClient | None = None,
    ) -> None:
        self.client = client
        self.pipeline = pipeline
        self._sink = sink
        self._inbox = inbox
        self._rpc = rpc
        self.sol_usd: SolUsdOracle | None = None
        self.scoring: Scoring | None = None
        self._sol_usd_refresh_s = 30.0

    @classmethod
    async def create(
        cls,
        *,
        database_url: str,
        providers: Sequence[tuple[str, str, str]],
        addresses: Sequence[str],
        batch_size: int,
        flush_ms: int,
        big_trade_lamports: int,
        on_feed: Callable[[FeedItem, float], None] | None = None,
        sol_usd_fallback: float = 150.0,
        sol_usd_refresh_s: float = 30.0,
        redis_url: str | None = None,
        migrate: bool = False,
        queue_size: int = 20_000,
        commitment: str = "confirmed",
        max_slot_lag: int = 150,
        heartbeat_s: float = 20.0,
        resolve_pools: bool = True,
        score: bool = True,
        risk_checks: bool = True,
        emit: Emit | None = None,
        smart_wallets_refresh_s: float = 30.0,
        jupiter: JupiterClient | None = None,
        honeypot_probe_wallet: str | None = None,
        cluster_params: ClusterParams | None = None,
        funder_lookups: bool = True,
    ) -> IngestService:
        if migrate:
            await upgrade(database_url)
        # Unknown pools, risk accounts, tracked wallets' first funders and the Pyth SOL/USD
        # account are read from the preferred provider.
        rpc = RpcClient(providers[0][2], name=providers[0][0])
        sol_usd = SolUsdOracle(rpc, fallback_usd=sol_usd_fallback)
        writer = BatchWriter(database_url, max_batch=batch_size, flush_interval_ms=flush_ms)
        await writer.start()
        secondaries: list[tuple[str, RecordSink]] = []
        if redis_url:
            stream = RedisRecordStream(redis_url)
            await stream.ping()
            secondaries.append(("redis_stream", stream))
        scoring: Scoring | None = None
        if score:
            scoring = await Scoring.create(
                database_url,
                sol_usd=lambda: sol_usd.price_usd,
                risk=_risk_service(rpc, jupiter, honeypot_probe_wallet) if risk_checks else None,
                emit=emit,
                redis_url=redis_url,
                refresh_s=smart_wallets_refresh_s,
                rpc=rpc if funder_lookups else None,
                cluster_params=cluster_params,
            )
            secondaries.append(("signals", scoring.stage))
        sink = FanoutSink(writer, secondaries)
        inbox: asyncio.Queue[LogsNotice] = asyncio.Queue(maxsize=queue_size)
        client = PubsubClient(
            [Provider(name, ws, http) for name, ws, http in providers],
            addresses,
            inbox,
            commitment=commitment,
            max_slot_lag=max_slot_lag,
            heartbeat_s=heartbeat_s,
        )

        def feed(item: FeedItem) -> None:
            if on_feed is not None:
                on_feed(item, sol_usd.price_usd)

        pipeline = IngestPipeline(
            inbox,
            sink,
            big_trade_lamports=big_trade_lamports,
            on_feed=feed if on_feed is not None else None,
            pool_resolver=PoolResolver(rpc) if resolve_pools else None,
        )
        service = cls(client, pipeline, sink, inbox, rpc)
        service.sol_usd = sol_usd
        service.scoring = scoring
        service._sol_usd_refresh_s = sol_usd_refresh_s
        return service

    async def _refresh_sol_usd(self) -> None:
        """Keep SOL/USD fresh; the oracle itself logs, counts and falls back on failure."""
        if self.sol_usd is None:
            return
        while True:
            await self.sol_usd.refresh()
            await asyncio.sleep(self._sol_usd_refresh_s)

    async def run_for(self, seconds: float) -> dict[str, Any]:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.call_later(seconds, stop.set)
        return await self.run_until(stop)

    async def run_until(self, stop: asyncio.Event) -> dict[str, Any]:
        """Ingest until ``stop`` is set, then drain the queue, flush storage and summarise."""
        client_task = asyncio.create_task(self.client.run(), name="pubsub")
        oracle_task = asyncio.create_task(self._refresh_sol_usd(), name="sol_usd")
        wallets_task = asyncio.create_task(
            self.scoring.refresh_loop() if self.scoring else asyncio.sleep(0), name="wallets"
        )
        pipeline_task = asyncio.create_task(self.pipeline.run(), name="pipeline")
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait(
                {client_task, pipeline_task, stopper}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if task is not stopper:
                    task.result()  # a crashed stage is a crash of the service: re-raise it
                    raise RuntimeError(f"{task.get_name()} stopped unexpectedly")
        finally:
            stopper.cancel()
            oracle_task.cancel()
            wallets_task.cancel()
            self.client.stop()
            await asyncio.gather(client_task, return_exceptions=True)
            self.pipeline.stop()
            pipeline_error = await asyncio.gather(pipeline_task, return_exceptions=True)
            await self._sink.aclose()
            if self.scoring is not None:
                await self.scoring.aclose()
            if self._rpc is not None:
                await self._rpc.aclose()
        if isinstance(pipeline_error[0], BaseException):
            raise pipeline_error[0]
        summary = self.pipeline.summary()
        state = self.client.state
        summary.update(
            reconnects=state.reconnects,
            failovers=state.failovers,
            gap_filled=state.gapfilled,
            duplicates=state.duplicates,
            provider=state.provider,
        )
        if self.scoring is not None:
            summary.update(self.scoring.summary())
        if self.sol_usd is not None:
            summary.update(
                sol_usd=self.sol_usd.price_usd, sol_usd_source=self.sol_usd.source.value
            )
        log.info("ingest_stopped", **{k: v for k, v in summary.items() if not isinstance(v, dict)})
        return summary
