"""Scoring as a process runs it: signals stored and published for the bots, params reloaded live,
stored rules and tracked wallets read from the database."""

from __future__ import annotations

import asyncio
import itertools

import redis.asyncio as aioredis

from core.bus import StreamConsumer
from core.decode import decode_logs
from core.ingest.normalize import Normalizer
from core.ingest.scoring import Scoring
from core.replay.market import SimulatedMarket
from core.signals import SignalParams
from core.signals.codec import STREAM, signal_from_stream_fields
from core.signals.params_store import ParamsStore
from core.signals.store import SignalStore
from core.storage.migrate import upgrade
from core.storage.models import ListKind
from core.wallets.csv_json import WalletRow
from core.wallets.registry import WalletRegistry


async def _feed(scoring: Scoring, market: SimulatedMarket, txs: int) -> None:
    normalizer = Normalizer()
    source = market.transactions(start_slot=1, start_time=1_754_000_000, limit=txs)
    for batch in iter(lambda: list(itertools.islice(source, 500)), []):
        records = []
        for tx in batch:
            events = decode_logs(
                tx.logs,
                signature=tx.signature,
                slot=tx.slot,
                block_time=tx.block_time,
                err=tx.err,
            )
            records.extend(normalizer.records(events))
        await scoring.stage.add_many(records)


async def test_signals_are_stored_and_published_for_the_bots(
    sqlite_url: str, redis_url: str
) -> None:
    await upgrade(sqlite_url)
    market = SimulatedMarket(seed=21)
    async with WalletRegistry(sqlite_url) as registry:
        await registry.store(
            [WalletRow(w, alias=None, tags=("smart",)) for w in sorted(market.smart_wallets)],
            kind=ListKind.FEATURED,
        )
    scoring = await Scoring.create(
        sqlite_url, sol_usd=lambda: 150.0, risk=None, emit=None, redis_url=redis_url
    )
    try:
        assert scoring.tracked == len(market.smart_wallets)
        await _feed(scoring, market, 15_000)
    finally:
        await scoring.aclose()
    emitted = scoring.stage.stats.signals
    assert emitted > 0 and scoring.published == emitted

    async with SignalStore(sqlite_url) as store:
        top = await store.top(since=0, limit=100)
    assert len(top) == len(scoring.stage.stats.first_signal_at)  # one (the latest) per mint

    client = aioredis.Redis.from_url(redis_url)
    consumer = StreamConsumer(client, STREAM, "telegram", "bot-1")
    await consumer.ensure_group()
    entries = await consumer.read(count=10_000, block_ms=None)
    await client.aclose()
    signals = [signal_from_stream_fields(e.fields) for e in entries]
    assert len(signals) == emitted
    latest = {s.mint: s for s in signals}
    assert {s.mint: s.strength for s in top} == {m: s.strength for m, s in latest.items()}


async def test_parameters_saved_in_the_database_reach_the_running_engine(
    sqlite_url: str,
) -> None:
    await upgrade(sqlite_url)
    scoring = await Scoring.create(
        sqlite_url, sol_usd=lambda: 150.0, risk=None, emit=None, params_poll_s=0.05
    )
    loop = asyncio.create_task(scoring.refresh_loop())
    try:
        assert scoring.stage.engine.params.min_strength == SignalParams().min_strength
        async with ParamsStore(sqlite_url) as store:
            await store.save({**SignalParams().to_dict(), "min_strength": 2.5}, updated_by="admin")
        for _ in range(100):
            if scoring.stage.engine.params.min_strength == 2.5:
                break
            await asyncio.sleep(0.02)
        assert scoring.stage.engine.params.min_strength == 2.5
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await scoring.aclose()
