"""Ingested records reach the Redis stream the signal engine will consume, losslessly."""

from __future__ import annotations

import redis.asyncio as aioredis

from core.ingest.redis_stream import RedisRecordStream, decode_record
from core.programs import Program
from core.storage.records import MintRecord, TickRecord, TradeRecord

U64_MAX = 2**64 - 1


def _trade(i: int) -> TradeRecord:
    return TradeRecord(
        signature=f"sig{i}",
        event_index=0,
        slot=100 + i,
        block_time=1_754_000_000 + i,
        program=Program.PUMP,
        mint="MintA",
        trader="Trader",
        is_buy=i % 2 == 0,
        sol_lamports=1_000_000_000 + i,
        token_amount_raw=U64_MAX - i,
        price_sol=2.8e-8,
        virtual_sol_reserves=30_000_000_000,
        virtual_token_reserves=1_073_000_000_000_000,
    )


async def test_records_round_trip_through_the_stream_in_order(redis_url: str) -> None:
    stream = RedisRecordStream(redis_url, stream="test.ingest")
    mint = MintRecord(
        mint="MintA",
        name="Pepe Two",
        symbol="PEPE2",
        uri="https://x",
        creator="Dev",
        bonding_curve="Curve",
        created_at=1_754_000_000,
        slot=99,
        signature="sigc",
    )
    tick = TickRecord("MintA", 1, 1_754_000_000, 1.0, 1.0, 1.0, 1.0, 1, 1, 0, 1)
    trades = [_trade(i) for i in range(3)]
    await stream.add_many([mint, *trades, tick])
    await stream.aclose()

    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    entries = await client.xrange("test.ingest")
    await client.aclose()
    got = [decode_record(fields) for _id, fields in entries]
    assert got == [mint, *trades]  # candles are not streamed; u64 values stay exact


async def test_stream_length_is_capped(redis_url: str) -> None:
    stream = RedisRecordStream(redis_url, stream="test.capped", maxlen=100)
    for start in range(0, 2000, 500):
        await stream.add_many([_trade(i) for i in range(start, start + 500)])
    await stream.aclose()
    client = aioredis.Redis.from_url(redis_url)
    length = await client.xlen("test.capped")
    await client.aclose()
    assert length < 2000 / 2  # approximate trimming keeps it near the cap, far below the total
