"""PubsubClient end to end against the local replay server (core.replay.server.ReplayServer).

The guarantee under test: from the first transaction the client receives live, every signature
the server publishes reaches the output queue exactly once, whatever happens to the connection
(kill and restart, dropped connections, failover to a second provider).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections import Counter
from collections.abc import AsyncIterator, Sequence

import pytest

from core.chain.notices import LogsNotice
from core.chain.providers import Provider
from core.chain.pubsub import PubsubClient
from core.programs import PROGRAM_IDS
from core.replay.ledger import ReplayTx
from core.replay.market import SimulatedMarket
from core.replay.server import ReplayServer

WATCHED = list(PROGRAM_IDS.values())
START_SLOT = 300_000_000
START_TIME = 1_735_000_000
LIVENESS_S = 30.0  # how long to wait for something that must happen (not a performance bound)


def market_transactions(count: int, seed: int = 11) -> list[ReplayTx]:
    source = SimulatedMarket(seed=seed).transactions(START_SLOT, START_TIME)
    return list(itertools.islice(source, count))


class Received:
    """Drains the client's output queue and lets a test wait for signatures to arrive."""

    def __init__(self, out: asyncio.Queue[LogsNotice]) -> None:
        self.notices: list[LogsNotice] = []
        self._out = out
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while True:
            self.notices.append(await self._out.get())
            self._changed.set()

    @property
    def signatures(self) -> list[str]:
        return [n.signature for n in self.notices]

    async def until(self, done: object) -> None:
        async def wait() -> None:
            while not done():  # type: ignore[operator]
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout=LIVENESS_S)

    async def at_least(self, count: int) -> None:
        await self.until(lambda: len(self.notices) >= count)

    async def covering(self, published: Sequence[str]) -> list[str]:
        """Wait until every signature published since the first live one arrived; return those."""
        await self.at_least(1)
        first_live = next(n.signature for n in self.notices if n.source == "ws")
        promised = list(published[published.index(first_live) :])
        # a lost signature never arrives: stop waiting and let the assertion count what is missing
        with contextlib.suppress(TimeoutError):
            await self.until(lambda: set(promised) <= set(self.signatures))
        return promised

    async def close(self) -> None:
        self._task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self._task


def client_for(providers: list[Provider], out: asyncio.Queue[LogsNotice], **kw) -> PubsubClient:
    kw.setdefault("backoff_base_s", 0.05)
    kw.setdefault("backoff_cap_s", 0.25)
    kw.setdefault("rng", random.Random(3))
    return PubsubClient(providers, WATCHED, out, **kw)


def provider_of(server: ReplayServer, name: str) -> Provider:
    return Provider(name, server.ws_url, server.http_url)


def assert_exactly_once(received: Received, promised: list[str], published: list[str]) -> None:
    counts = Counter(received.signatures)
    duplicated = {sig: n for sig, n in counts.items() if n > 1}
    assert duplicated == {}, f"{len(duplicated)} signatures emitted more than once"
    lost = [sig for sig in promised if sig not in counts]
    assert lost == [], f"{len(lost)} of {len(promised)} published signatures never arrived"
    unknown = set(counts) - set(published)
    assert unknown == set()


@pytest.fixture
async def out() -> AsyncIterator[asyncio.Queue[LogsNotice]]:
    yield asyncio.Queue(maxsize=10_000)


async def test_subscribed_client_receives_every_published_transaction_once(
    out: asyncio.Queue[LogsNotice],
) -> None:
    txs = market_transactions(60)
    server = ReplayServer(txs, rate_per_s=60)
    await server.start()
    client = client_for([provider_of(server, "replay")], out)
    task = asyncio.create_task(client.run())
    received = Received(out)
    try:
        await server.wait_published(len(txs))
        promised = await received.covering(server.published)
    finally:
        client.stop()
        await task
        await received.close()
        await server.stop()
    assert_exactly_once(received, promised, server.published)
    assert len(promised) > len(txs) // 2  # the client was listening for most of the stream
    assert {n.provider for n in received.notices} == {"replay"}
    by_sig = {tx.signature: tx for tx in txs}
    sample = received.notices[-1]
    assert sample.logs == by_sig[sample.signature].logs
    assert sample.slot == by_sig[sample.signature].slot


async def test_killed_and_restarted_server_is_gap_filled_with_no_loss_and_no_duplicates(
    out: asyncio.Queue[LogsNotice],
) -> None:
    txs = market_transactions(200)
    server = ReplayServer(txs, rate_per_s=100)
    await server.start()
    client = client_for([provider_of(server, "replay")], out)
    task = asyncio.create_task(client.run())
    received = Received(out)
    try:
        await received.at_least(20)
        await server.kill()
        down_at = len(server.published)
        await server.wait_published(down_at + 30)  # the chain moves on while we are cut off
        await server.restart()
        await server.wait_published(len(txs))
        promised = await received.covering(server.published)
    finally:
        client.stop()
        await task
        await received.close()
        await server.stop()
    assert_exactly_once(received, promised, server.published)
    assert client.state.reconnects >= 1
    assert client.state.gapfilled >= 1
    gapfilled = [n for n in received.notices if n.source == "gapfill"]
    assert all(n.block_time is not None for n in gapfilled)


async def test_dropped_connections_reconnect_and_lose_nothing(
    out: asyncio.Queue[LogsNotice],
) -> None:
    txs = market_transactions(200)
    server = ReplayServer(txs, rate_per_s=100)
    await server.start()
    client = client_for([provider_of(server, "replay")], out)
    task = asyncio.create_task(client.run())
    received = Received(out)
    try:
        await received.at_least(20)
        await server.drop_connections()
        await received.at_least(60)
        await server.drop_connections()
        await server.wait_published(len(txs))
        promised = await received.covering(server.published)
    finally:
        client.stop()
        await task
        await received.close()
        await server.stop()
    assert_exactly_once(received, promised, server.published)
    assert client.state.reconnects >= 2


async def test_killing_the_preferred_provider_fails_over_to_the_second_without_loss(
    out: asyncio.Queue[LogsNotice],
) -> None:
    txs = market_transactions(200)
    first = ReplayServer(txs, rate_per_s=100)
    second = ReplayServer(txs, rate_per_s=100)  # the same chain seen through another vendor
    await first.start()
    await second.start()
    providers = [provider_of(first, "first"), provider_of(second, "second")]
    client = client_for(providers, out, error_threshold=2)
    task = asyncio.create_task(client.run())
    received = Received(out)
    try:
        await received.at_least(20)
        await first.kill()
        await second.wait_published(len(txs))
        promised = await received.covering(second.published)
    finally:
        client.stop()
        await task
        await received.close()
        await first.stop()
        await second.stop()
    assert_exactly_once(received, promised, second.published)
    assert client.current_provider == "second"
    assert client.state.failovers >= 1
    assert {n.provider for n in received.notices} == {"first", "second"}
