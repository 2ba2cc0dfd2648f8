"""Trades on PumpSwap pools created before we started listening are resolved from chain and
stored with the right token; addresses that are not pools are counted, never guessed."""

from __future__ import annotations

import asyncio
import itertools

from core.chain.notices import LogsNotice
from core.chain.rpc_client import RpcClient
from core.ingest.pipeline import IngestPipeline
from core.ingest.pools import PoolResolver
from core.programs import PROGRAM_IDS, WSOL_MINT, Program
from core.replay.encode import program_data_line
from core.replay.market import SimulatedMarket
from core.replay.server import ReplayServer
from core.storage.migrate import upgrade
from core.storage.repository import Repository
from core.storage.writer import BatchWriter

PUMP_AMM = PROGRAM_IDS[Program.PUMP_AMM]
NOT_A_POOL = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"


def _notice(tx: object) -> LogsNotice:
    return LogsNotice(
        tx.signature,
        tx.slot,
        tx.err,
        tx.logs,
        "replay",
        block_time=tx.block_time,  # type: ignore[attr-defined]
    )


async def test_trades_of_a_pool_created_before_we_listened_are_stored_with_its_token(
    sqlite_url: str,
) -> None:
    market = SimulatedMarket(seed=3, preexisting_pools=2)
    old_pools = market.preexisting_pool_mints
    txs = [
        tx
        for tx in itertools.islice(
            market.transactions(start_slot=1, start_time=1_754_000_000), 3000
        )
        if tx.err is None and tx.mentions & old_pools.keys()
    ]
    assert len(txs) >= 10
    server = ReplayServer([], accounts=market.account)
    await server.start()
    await upgrade(sqlite_url)
    inbox: asyncio.Queue[LogsNotice] = asyncio.Queue()
    for tx in txs:
        inbox.put_nowait(_notice(tx))
    try:
        async with RpcClient(server.http_url) as rpc, BatchWriter(sqlite_url) as writer:
            pipeline = IngestPipeline(
                inbox, writer, big_trade_lamports=10**18, pool_resolver=PoolResolver(rpc)
            )
            pipeline.stop()
            await pipeline.run()
    finally:
        await server.stop()

    summary = pipeline.summary()
    assert summary["held_for_pool"] == 0 and summary["not_stored"] == {}
    assert summary["pools_resolved"] == len(
        {p for tx in txs for p in tx.mentions & old_pools.keys()}
    )
    assert summary["trades"] == len(txs)
    async with Repository(sqlite_url) as repo:
        for pool, mint in old_pools.items():
            trades = await repo.recent_trades(mint, limit=5000)
            assert trades, f"no trades stored for {mint}"
            assert {t.pool for t in trades} == {pool}
        counts = await repo.counts()
    assert counts["trades"] == len(txs)
    assert counts["pools"] == summary["pools_resolved"]


async def test_trade_naming_an_address_that_is_not_a_pool_is_counted_and_dropped(
    sqlite_url: str,
) -> None:
    market = SimulatedMarket(seed=3)
    server = ReplayServer([], accounts=market.account)  # knows no such account
    await server.start()
    await upgrade(sqlite_url)
    buy = {
        "timestamp": 1_754_000_000,
        "base_amount_out": 1_000_000,
        "max_quote_amount_in": 2,
        "user_base_token_reserves": 0,
        "user_quote_token_reserves": 0,
        "pool_base_token_reserves": 10**12,
        "pool_quote_token_reserves": 10**10,
        "quote_amount_in": 1_000,
        "lp_fee_basis_points": 20,
        "lp_fee": 2,
        "protocol_fee_basis_points": 5,
        "protocol_fee": 1,
        "quote_amount_in_with_lp_fee": 1_002,
        "user_quote_amount_in": 1_003,
        "pool": NOT_A_POOL,
        "user": WSOL_MINT,
    }
    logs = (
        f"Program {PUMP_AMM} invoke [1]",
        program_data_line(Program.PUMP_AMM, "BuyEvent", buy, upto=len(buy)),
        f"Program {PUMP_AMM} success",
    )
    inbox: asyncio.Queue[LogsNotice] = asyncio.Queue()
    inbox.put_nowait(LogsNotice("sig1", 5, None, logs, "replay"))
    try:
        async with RpcClient(server.http_url) as rpc, BatchWriter(sqlite_url) as writer:
            pipeline = IngestPipeline(
                inbox, writer, big_trade_lamports=10**18, pool_resolver=PoolResolver(rpc)
            )
            pipeline.stop()
            await pipeline.run()
    finally:
        await server.stop()
    summary = pipeline.summary()
    assert summary["trades"] == 0
    assert summary["not_stored"] == {"unresolvable_pool_trades": 1}
    assert summary["held_for_pool"] == 0
