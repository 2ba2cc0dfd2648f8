"""Consumer groups on real Redis: shared load, resume after a crash, takeover of a dead one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from core.bus import StreamConsumer, StreamPublisher

STREAM = "test.signals.out"


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def _publish(redis_client: aioredis.Redis, n: int) -> None:
    await StreamPublisher(redis_client, STREAM).publish_many([{"n": str(i)} for i in range(n)])


async def test_two_consumers_in_a_group_share_entries_without_overlap(
    redis_client: aioredis.Redis,
) -> None:
    a = StreamConsumer(redis_client, STREAM, "bots", "bot-a")
    b = StreamConsumer(redis_client, STREAM, "bots", "bot-b")
    await a.ensure_group()
    await b.ensure_group()  # idempotent
    await _publish(redis_client, 10)
    got_a = await a.read(count=6, block_ms=None)
    got_b = await b.read(count=6, block_ms=None)
    assert len(got_a) == 6 and len(got_b) == 4
    assert {e.fields["n"] for e in got_a} | {e.fields["n"] for e in got_b} == {
        str(i) for i in range(10)
    }
    assert not {e.id for e in got_a} & {e.id for e in got_b}


async def test_restarted_consumer_gets_back_what_it_had_not_acknowledged(
    redis_client: aioredis.Redis,
) -> None:
    first = StreamConsumer(redis_client, STREAM, "bots", "bot-a")
    await first.ensure_group()
    await _publish(redis_client, 5)
    delivered = await first.read(count=5, block_ms=None)
    await first.ack([e.id for e in delivered[:2]])  # crashes after handling two
    assert await first.pending_count() == 3

    restarted = StreamConsumer(redis_client, STREAM, "bots", "bot-a")
    again = await restarted.read(count=10, block_ms=None)
    assert [e.fields["n"] for e in again] == ["2", "3", "4"]
    await restarted.ack([e.id for e in again])
    await _publish(redis_client, 1)
    new = await restarted.read(count=10, block_ms=None)
    assert [e.fields["n"] for e in new] == ["0"]  # then new entries, nothing repeated
    assert await restarted.pending_count() == 1


async def test_live_consumer_claims_entries_of_one_that_never_came_back(
    redis_client: aioredis.Redis,
) -> None:
    dead = StreamConsumer(redis_client, STREAM, "bots", "bot-dead")
    live = StreamConsumer(redis_client, STREAM, "bots", "bot-live")
    await dead.ensure_group()
    await _publish(redis_client, 3)
    assert len(await dead.read(count=3, block_ms=None)) == 3
    assert await live.claim_stale(min_idle_ms=60_000) == []  # not stale yet
    claimed = await live.claim_stale(min_idle_ms=0)
    assert [e.fields["n"] for e in claimed] == ["0", "1", "2"]
