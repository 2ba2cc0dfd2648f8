"""The pipeline stage on its own: notices in, rows in a real database out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from core.chain.notices import LogsNotice
from core.ingest.feed import FeedItem, FeedKind
from core.ingest.pipeline import IngestPipeline
from core.storage.migrate import upgrade
from core.storage.repository import Repository
from core.storage.writer import BatchWriter

MINT = "DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump"
PUMP = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"


def _mainnet_notice(shared_fixtures: Path) -> LogsNotice:
    frame = orjson.loads(
        (
            shared_fixtures
            / "mainnet"
            / "c1r5_logsNotification_pumpfun_create_buy_slot310199880.json"
        ).read_bytes()
    )
    value = frame["params"]["result"]
    return LogsNotice(
        signature=value["value"]["signature"],
        slot=value["context"]["slot"],
        err=None,
        logs=tuple(value["value"]["logs"]),
        provider="test",
    )


async def test_bad_and_failed_transactions_never_stop_the_stream(
    shared_fixtures: Path, sqlite_url: str
) -> None:
    await upgrade(sqlite_url)
    good = _mainnet_notice(shared_fixtures)
    garbage = LogsNotice(
        "sigbad",
        1,
        None,
        (
            f"Program {PUMP} invoke [1]",
            "Program data: !!!not-base64!!!",
            f"Program {PUMP} success",
        ),
        "test",
    )
    failed = LogsNotice(
        "sigfailed", 2, {"InstructionError": [2, {"Custom": 6003}]}, good.logs, "test"
    )
    inbox: asyncio.Queue[LogsNotice] = asyncio.Queue()
    for notice in (garbage, failed, good, good):  # the duplicate must not double-store
        inbox.put_nowait(notice)
    feed: list[FeedItem] = []
    async with BatchWriter(sqlite_url, max_batch=100, flush_interval_ms=50) as writer:
        pipeline = IngestPipeline(
            inbox, writer, big_trade_lamports=1_000_000_000, on_feed=feed.append
        )
        pipeline.stop()  # drain what is queued, then return
        await pipeline.run()

    summary = pipeline.summary()
    assert summary["events"] == 4
    assert summary["decode_errors"] == 1
    assert summary["decode_errors_by_kind"] == {"bad_base64": 1}
    assert summary["failed_txs"] == 1
    assert summary["trades"] == 2 and summary["mints"] == 2
    assert [item.kind for item in feed] == [
        FeedKind.NEW_MINT,
        FeedKind.BIG_TRADE,
        FeedKind.NEW_MINT,
        FeedKind.BIG_TRADE,
    ]

    async with Repository(sqlite_url) as repo:
        counts = await repo.counts()
        token = await repo.token(MINT)
        trades = await repo.recent_trades(MINT, limit=10)
    assert counts["trades"] == 1  # the same (signature, event) is stored once
    assert token is not None and token.symbol == "44444"
    assert trades[0].sol_lamports == 2_400_000_000
    assert counts["ticks"] == 2  # the open 1 s and 1 m candles were flushed at stop
