"""Fixtures of the replay tests: a small simulated market and a running replay server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection

from core.replay.ledger import ReplayTx
from core.replay.market import SimulatedMarket
from core.replay.server import ReplayServer

START_SLOT = 310_000_000
START_TIME = 1_750_000_000


@pytest.fixture(scope="session")
def market_txs() -> list[ReplayTx]:
    """The first 3000 transactions of the seed-11 market."""
    return list(SimulatedMarket(seed=11).transactions(START_SLOT, START_TIME, limit=3000))


@pytest.fixture
async def paused_server(market_txs: list[ReplayTx]) -> AsyncIterator[ReplayServer]:
    """A listening server over ``market_txs`` that publishes only once resumed."""
    server = ReplayServer(market_txs)
    server.pause()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def rpc(ws: ClientConnection, request: dict[str, Any]) -> dict[str, Any]:
    """Send one request and return the next message (the answer, when nothing is streaming)."""
    await ws.send(orjson.dumps(request).decode())
    return orjson.loads(await ws.recv())  # type: ignore[no-any-return]


def logs_subscribe(address: str, request_id: int = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "logsSubscribe",
        "params": [{"mentions": [address]}, {"commitment": "confirmed"}],
    }
