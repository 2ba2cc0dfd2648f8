"""A real ``redis-server`` restarted under a publisher and a consumer that keep their clients:
while Redis is down both raise a retryable ``UpstreamError`` (the fan-out and the ingest
retry); once it is back they carry on without being rebuilt. Restarted with its snapshot, the
group and its pending entries are still there; restarted empty, the consumer group is created
again and every entry published since the restart is delivered."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from core.bus import StreamConsumer, StreamPublisher
from core.errors import UpstreamError
from tests.redis_server import RedisServer

STREAM = "test.restart.out"


@pytest.fixture(params=[True, False], ids=["with_snapshot", "empty"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path, persist=request.param)
    server.start()
    yield server
    server.close()


@pytest.fixture
async def client(server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(server.url(), socket_connect_timeout=0.5)
    yield client
    await client.aclose()


async def test_publisher_and_consumer_carry_on_after_a_redis_restart(
    server: RedisServer, client: aioredis.Redis
) -> None:
    publisher = StreamPublisher(client, STREAM)
    consumer = StreamConsumer(client, STREAM, "bots", "bot-a")
    await consumer.ensure_group(start_id="$")
    await publisher.publish_many([{"n": "1"}, {"n": "2"}])
    before = await consumer.read(count=10, block_ms=None)
    await consumer.ack([before[0].id])  # "2" is in hand, not acknowledged, at the restart

    server.stop(signal.SIGTERM if server.persist else signal.SIGKILL)
    with pytest.raises(UpstreamError) as down:
        await publisher.publish({"n": "lost"})
    assert down.value.retryable
    with pytest.raises(UpstreamError) as down:
        await consumer.read(count=10, block_ms=10)
    assert down.value.retryable
    server.start()

    await publisher.publish_many([{"n": "3"}])  # the ingest's way: a pipeline
    # the fan-out's order: claim stale entries first (a lost group is created again here)
    assert await consumer.claim_stale(min_idle_ms=60_000) == []
    after = await consumer.read(count=10, block_ms=100)
    assert [e.fields["n"] for e in after] == ["3"]  # nothing lost, nothing repeated
    await consumer.ack([e.id for e in after])
    if server.persist:  # the snapshot kept the group and the entry still in hand
        assert await consumer.pending_count() == 1
        await consumer.ack([before[1].id])
    assert await consumer.pending_count() == 0
    await publisher.publish({"n": "4"})
    assert [e.fields["n"] for e in await consumer.read(count=10, block_ms=100)] == ["4"]
